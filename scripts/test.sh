#!/usr/bin/env bash
# The whole test suite, from nothing, on a Debian machine as root:
#   scripts/test.sh            every stage, in order
#   scripts/test.sh lint unit  only the stages named
# Stages: docker images lint unit sanity integration image-tests molecule
# Molecule scenarios run one after the other (MOLECULE_SCENARIOS overrides the
# list); each writes its log to .cache/logs/molecule-<scenario>.log.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
all_stages=(docker images lint unit sanity integration image-tests molecule)
# `common` and `exporters` (each role's own scenario, with its bad-input
# cases) run on demand: `tenant` runs both roles end to end through site.yml.
default_scenarios="smoke redis db app tenant"
scenarios=${MOLECULE_SCENARIOS:-$default_scenarios}
logs="$top/.cache/logs"
mkdir -p "$logs"

say() { printf '\n==> %s\n' "$*"; }

# pytest exits 5 when a tree holds no test yet; that is not a failure here.
run_pytest() {
  local rc=0
  pytest -q "$@" || rc=$?
  [ "$rc" -eq 5 ] && { echo "(no tests collected in $*)"; rc=0; }
  return "$rc"
}

stage_docker() { scripts/ensure-docker.sh; }
stage_images() { images/build-all.sh; }
stage_lint() {
  yamllint --strict . &&
    ansible-lint --offline &&
    antsibull-changelog lint &&
    scripts/build-collection.sh "$top/.cache/dist" >/dev/null
}
stage_unit() { run_pytest tests/unit; }
stage_sanity() { scripts/sanity.sh; }
stage_integration() { run_pytest tests/integration; }
stage_image-tests() { run_pytest tests/images; }
stage_molecule() {
  local scenario rc=0
  for scenario in $scenarios; do
    say "molecule test -s $scenario (log: $logs/molecule-$scenario.log)"
    if molecule test -s "$scenario" >"$logs/molecule-$scenario.log" 2>&1; then
      grep -E '^(PLAY RECAP|.*ok=.*changed=)' "$logs/molecule-$scenario.log" | tail -n 20
      echo "scenario $scenario passed"
    else
      tail -n 80 "$logs/molecule-$scenario.log"
      echo "scenario $scenario FAILED"
      rc=1
    fi
  done
  return "$rc"
}

stages=("$@")
[ "${#stages[@]}" -gt 0 ] || stages=("${all_stages[@]}")

# The venv is needed by every stage but the first two.
# shellcheck source=scripts/dev-env.sh
. scripts/dev-env.sh || exit 1

passed=0 failed=0 failed_names=()
for stage in "${stages[@]}"; do
  if ! declare -F "stage_$stage" >/dev/null; then
    echo "test.sh: unknown stage '$stage' (stages: ${all_stages[*]})" >&2
    exit 2
  fi
  say "stage $stage"
  start=$SECONDS
  if "stage_$stage"; then
    passed=$((passed + 1))
    echo "stage $stage passed in $((SECONDS - start)) s"
  else
    failed=$((failed + 1)); failed_names+=("$stage")
    echo "stage $stage FAILED after $((SECONDS - start)) s"
    # Nothing after a broken engine or missing images can pass.
    case "$stage" in docker | images) break ;; esac
  fi
done

say "suite finished in $SECONDS s${failed_names[*]:+; failed: ${failed_names[*]}}"
echo "stages: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
