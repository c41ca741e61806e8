#!/usr/bin/env bash
# The whole test suite, from nothing, on a Debian machine as root:
#   scripts/test.sh            every stage CI runs, in order
#   scripts/test.sh lint unit  only the stages named (any order)
# Stages CI runs: docker images lint unit sanity integration image-tests molecule
# On demand only: tier-scenarios (the per-tier Molecule scenarios).
# `molecule` runs the whole-tenant scenario, which carries every drill;
# MOLECULE_SCENARIOS overrides its list. Each scenario writes its log to
# .cache/logs/molecule-<scenario>.log. The last lines are a table of each
# stage's wall time.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
all_stages=(docker images lint unit sanity integration image-tests molecule)
on_demand_stages=(tier-scenarios)
scenarios=${MOLECULE_SCENARIOS:-tenant}
# Each tier's own scenario: run on demand, when a role changes (their drills
# also run in `tenant`; see docs/testing.md for where each one lives).
tier_scenarios=${TIER_SCENARIOS:-smoke redis db app common exporters}
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
# CI shows only this script's output: name the tasks that failed last (the
# refusals' expected failures come first), with the first lines of their
# results, since the log's own tail is the destroy step.
failed_tasks() {
  echo "--- failed tasks in $1:"
  awk '/TASK \[/ { task = $0 }
       /fatal: \[|failed: \[/ { print task; left = 12 }
       left > 0 { print substr($0, 1, 400); left-- }' "$1" | tail -n 120
  echo "---"
}
run_scenarios() {
  local scenario rc=0
  for scenario in "$@"; do
    say "molecule test -s $scenario (log: $logs/molecule-$scenario.log)"
    if molecule test -s "$scenario" >"$logs/molecule-$scenario.log" 2>&1; then
      grep -E '^(PLAY RECAP|.*ok=.*changed=)' "$logs/molecule-$scenario.log" | tail -n 20
      echo "scenario $scenario passed"
    else
      failed_tasks "$logs/molecule-$scenario.log"
      tail -n 80 "$logs/molecule-$scenario.log"
      echo "scenario $scenario FAILED"
      rc=1
    fi
  done
  return "$rc"
}
# shellcheck disable=SC2086 # word splitting of the scenario lists is wanted
stage_molecule() { run_scenarios $scenarios; }
# shellcheck disable=SC2086
stage_tier-scenarios() { run_scenarios $tier_scenarios; }

stages=("$@")
[ "${#stages[@]}" -gt 0 ] || stages=("${all_stages[@]}")

# The venv is needed by every stage but the first two.
# shellcheck source=scripts/dev-env.sh
. scripts/dev-env.sh || exit 1

passed=0 failed=0 failed_names=() timings=()
for stage in "${stages[@]}"; do
  if ! declare -F "stage_$stage" >/dev/null; then
    echo "test.sh: unknown stage '$stage' (stages: ${all_stages[*]}; on demand: ${on_demand_stages[*]})" >&2
    exit 2
  fi
  say "stage $stage"
  start=$SECONDS
  if "stage_$stage"; then
    passed=$((passed + 1))
    timings+=("$stage|$((SECONDS - start))|passed")
    echo "stage $stage passed in $((SECONDS - start)) s"
  else
    failed=$((failed + 1)); failed_names+=("$stage")
    timings+=("$stage|$((SECONDS - start))|FAILED")
    echo "stage $stage FAILED after $((SECONDS - start)) s"
    # Nothing after a broken engine or missing images can pass.
    case "$stage" in docker | images) break ;; esac
  fi
done

say "suite finished in $SECONDS s${failed_names[*]:+; failed: ${failed_names[*]}}"
printf '%-16s %10s  %s\n' stage "wall time" result
for row in "${timings[@]}"; do
  IFS='|' read -r name seconds result <<<"$row"
  printf '%-16s %7d:%02d  %s\n' "$name" $((seconds / 60)) $((seconds % 60)) "$result"
done
printf '%-16s %7d:%02d\n' total $((SECONDS / 60)) $((SECONDS % 60))
echo "stages: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
