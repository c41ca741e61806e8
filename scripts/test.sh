#!/usr/bin/env bash
# The whole test suite, from nothing, on a Debian machine as root:
#   scripts/test.sh            every stage CI runs, in order
#   scripts/test.sh lint unit  only the stages named (any order)
# lint, unit, sanity, integration, image-tests and ee run side by side when
# they follow each other; the venv is built beside the docker and images stages
# (TEST_PARALLEL=0: all one after the other).
# Stages CI runs: docker images lint unit sanity integration image-tests ee molecule
# (ee: the AWX execution environment image, which the tenant scenario runs
# site.yml in; it needs the venv's ansible-builder, so images/ leaves it out)
# On demand only: tier-scenarios (the per-tier Molecule scenarios),
# tenant-full (the whole-tenant scenario with every drill: CI's, then
# molecule/tenant/side_effect_more.yml, the scaling drills in full, and
# Molecule's own idempotence run), and tenant-debian13 (the same, with every
# VM on Debian 13).
# `molecule` runs the whole-tenant scenario with at least one drill per
# capability and the security audit (run_tenant below);
# MOLECULE_SCENARIOS overrides its list. Each scenario writes its log to
# .cache/logs/molecule-<scenario>.log. The last lines are a table of each
# stage's wall time.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
all_stages=(docker images lint unit sanity integration image-tests ee molecule)
on_demand_stages=(tier-scenarios tenant-full tenant-debian13)
scenarios=${MOLECULE_SCENARIOS:-tenant}
# Each tier's own scenario: run on demand, when a role changes (their drills
# also run in `tenant`; see docs/testing.md for where each one lives).
tier_scenarios=${TIER_SCENARIOS:-smoke redis db app common exporters monitoring}
logs="$top/.cache/logs"
mkdir -p "$logs"

say() { printf '\n==> %s\n' "$*"; }

# pytest exits 5 when a tree holds no test yet; that is not a failure here.
run_pytest() {
  local rc=0
  pytest -q -p no:cacheprovider "$@" || rc=$?
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
# promtool (from Debian's prometheus package, into .cache/tools) checks and
# tests the alert rules (tests/unit/test_alert_rules.py).
stage_unit() {
  local promtool
  promtool=$(scripts/ensure-promtool.sh) || return 1
  PATH="$(dirname "$promtool"):$PATH" run_pytest tests/unit
}
stage_sanity() { scripts/sanity.sh; }
stage_integration() { run_pytest tests/integration; }
stage_image-tests() { run_pytest tests/images; }
stage_ee() { images/ee/build.sh; }
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
scenario_failed() { # log [more logs]
  local more
  failed_tasks "$1"
  for more in "${@:2}"; do [ -s "$more" ] && failed_tasks "$more"; done
  tail -n 80 "$1"
}
run_scenarios() {
  local scenario rc=0
  for scenario in "$@"; do
    if [ "$scenario" = tenant ]; then
      run_tenant || rc=1
      continue
    fi
    say "molecule test -s $scenario (log: $logs/molecule-$scenario.log)"
    if molecule test -s "$scenario" >"$logs/molecule-$scenario.log" 2>&1; then
      grep -E '^(PLAY RECAP|.*ok=.*changed=)' "$logs/molecule-$scenario.log" | tail -n 20
      echo "scenario $scenario passed"
    else
      scenario_failed "$logs/molecule-$scenario.log"
      echo "scenario $scenario FAILED"
      rc=1
    fi
  done
  return "$rc"
}
# The whole-tenant scenario as CI runs it: the steps of its test_sequence
# (molecule/tenant/molecule.yml), with two additions for the security audit
# (issue 15): the converge runs at -vvv --diff into its own log, and after
# the drills molecule/tenant/security.yml searches that log for every secret
# of the inventory and runs testssl.sh on the tenant's TLS ports; and one for
# AWX (issue 17): molecule/tenant/awx_job.yml runs site.yml again inside the
# execution environment image (the ee stage) through ansible-runner, as an
# AWX job, and fails unless it changes nothing on every host. In CI that job
# is the second converge after the drills, in place of Molecule's
# idempotence run (the same site.yml, the same changed=0 on every host: one
# whole site.yml run less). TENANT_FULL=1
# (tenant-full, tenant-debian13) adds side_effect_more.yml's drills and
# Molecule's idempotence run before the AWX job. Prints each step's wall time.
# One more playbook run as the tenant's side effect, into its log.
side_effect_step() { # playbook
  TENANT_SIDE_EFFECT=$1 molecule side-effect -s tenant >>"$logs/molecule-tenant.log" 2>&1
}
run_tenant() {
  local log="$logs/molecule-tenant.log" converge_log="$logs/tenant-converge-vvv.log"
  local rc=0 step begin times=()
  say "molecule: the tenant scenario, its converge at -vvv --diff (log: $log; converge: $converge_log)"
  rm -f "$converge_log"
  : >"$log"
  local steps=(destroy syntax create prepare converge verify side-effect)
  [ "${TENANT_FULL:-}" = 1 ] && steps+=(side-effect-more idempotence)
  steps+=(security awx-job verify)
  for step in "${steps[@]}"; do
    begin=$SECONDS
    case "$step" in
      converge)
        ANSIBLE_LOG_PATH=$converge_log molecule converge -s tenant -- -vvv --diff >/dev/null 2>>"$log" || rc=$? ;;
      security) TENANT_CONVERGE_LOG=$converge_log side_effect_step security.yml || rc=$? ;;
      side-effect-more) side_effect_step side_effect_more.yml || rc=$? ;;
      awx-job) side_effect_step awx_job.yml || rc=$? ;;
      *) molecule "$step" -s tenant >>"$log" 2>&1 || rc=$? ;;
    esac
    times+=("$step $((SECONDS - begin))")
    [ "$rc" -eq 0 ] || { echo "step $step FAILED"; break; }
  done
  molecule destroy -s tenant >>"$log" 2>&1
  printf '%s\n' "${times[@]}" | awk '{ printf "  %-12s %d:%02d\n", $1, $2 / 60, $2 % 60 }'
  if [ "$rc" -eq 0 ]; then
    # The audit's and the renewal drill's findings, then the last recap (the final verify's).
    sed 's/\x1b\[[0-9;]*m//g' "$log" |
      grep -E -A4 "secret values searched|lines of the CA's key searched|msg: serial|msg: '?(traefik|postgresql|pgbouncer|patroni-api): |site.yml ran in" |
      cut -c1-160 | tail -n 60
    grep -E '^.*ok=.*changed=' "$log" | tail -n 8
    echo "scenario tenant passed"
  else
    scenario_failed "$log" "$converge_log"
    echo "scenario tenant FAILED"
  fi
  return "$rc"
}
# shellcheck disable=SC2086 # word splitting of the scenario lists is wanted
stage_molecule() { run_scenarios $scenarios; }
# shellcheck disable=SC2086
stage_tier-scenarios() { run_scenarios $tier_scenarios; }
# Every drill of the scenario, the scaling drills in full (TENANT_SCALE_FULL:
# the app host's removal with a site.yml run without it, the DB host's
# replacement), and Molecule's idempotence run.
stage_tenant-full() { TENANT_FULL=1 TENANT_SCALE_FULL=1 run_tenant; }
# The same on Debian 13 VMs (molecule/tenant/molecule.yml).
stage_tenant-debian13() { TENANT_VM_IMAGE=localhost/odoo-hosting-vm:debian13 stage_tenant-full; }

stages=("$@")
[ "${#stages[@]}" -gt 0 ] || stages=("${all_stages[@]}")

# These stages only read the checkout and start their own throwaway services
# on free ports and their own test network, so they run side by side (lint
# and sanity are CPU-bound, the tests mostly wait on services): each into its
# own log, shown in order once all have ended. They do not run beside
# molecule: on 2 cores, beside its prepare and converge (even at nice 19)
# they made prepare 5:13 instead of 1:52 and converge 2 minutes longer, as
# much as the overlap saved, and the drills are better left the CPU they had
# when they were written. TEST_PARALLEL=0 runs every stage one after the other.
side_by_side=" lint unit sanity integration image-tests ee "
passed=0 failed=0 failed_names=() timings=()
record() { # stage seconds rc [note]
  if [ "$3" -eq 0 ]; then
    passed=$((passed + 1))
    timings+=("$1|$2|passed${4:-}")
    echo "stage $1 passed in $2 s"
  else
    failed=$((failed + 1)); failed_names+=("$1")
    timings+=("$1|$2|FAILED${4:-}")
    echo "stage $1 FAILED after $2 s"
  fi
}
run_group() { # stages run side by side
  local stage dir
  dir=$(mktemp -d "$logs/stages.XXXXXX")
  say "stages $* (side by side; logs: $logs/stage-<name>.log)"
  for stage in "$@"; do
    (
      begin=$SECONDS
      rc=0
      "stage_$stage" >"$logs/stage-$stage.log" 2>&1 || rc=$?
      echo "$rc $((SECONDS - begin))" >"$dir/$stage"
    ) &
  done
  wait
  for stage in "$@"; do
    say "stage $stage"
    cat "$logs/stage-$stage.log"
    read -r rc seconds <"$dir/$stage"
    record "$stage" "$seconds" "$rc" " (side by side)"
  done
  rm -rf "$dir"
}

for stage in "${stages[@]}"; do
  if ! declare -F "stage_$stage" >/dev/null; then
    echo "test.sh: unknown stage '$stage' (stages: ${all_stages[*]}; on demand: ${on_demand_stages[*]})" >&2
    exit 2
  fi
done

# The venv is needed by every stage but docker and images: it is built beside
# them (pip mostly waits on downloads) and entered before the first stage that
# needs it, with its own row in the table (0:00 when it is cached).
venv_pid=
start_venv() {
  (
    begin=$SECONDS
    rc=0
    scripts/dev-env.sh >"$logs/stage-venv.log" 2>&1 || rc=$?
    echo "$((SECONDS - begin))" >"$logs/.venv-seconds"
    exit "$rc"
  ) &
  venv_pid=$!
}
enter_venv() {
  local rc=0
  [ -n "$venv_pid" ] || start_venv
  wait "$venv_pid" || rc=$?
  cat "$logs/stage-venv.log"
  # Its own time, not the wait for the stages it was built beside.
  record venv "$(cat "$logs/.venv-seconds")" "$rc" "${venv_note:-}"
  [ "$rc" -eq 0 ] || return 1
  # shellcheck source=scripts/dev-env.sh
  . scripts/dev-env.sh
}
in_venv=
needs_venv=
for stage in "${stages[@]}"; do
  case "$stage" in docker | images) ;; *) needs_venv=1 ;; esac
done
if [ -n "$needs_venv" ] && [ "${TEST_PARALLEL:-1}" != 0 ]; then
  venv_note=" (beside docker and images)"
  start_venv
fi

i=0
while [ "$i" -lt "${#stages[@]}" ]; do
  case "${stages[$i]}" in
    docker | images) ;;
    *) if [ -z "$in_venv" ]; then enter_venv || break; in_venv=1; fi ;;
  esac
  group=()
  while [ "${TEST_PARALLEL:-1}" != 0 ] && [ "$i" -lt "${#stages[@]}" ] &&
    [[ "$side_by_side" == *" ${stages[$i]} "* ]]; do
    group+=("${stages[$i]}"); i=$((i + 1))
  done
  if [ "${#group[@]}" -gt 1 ]; then
    run_group "${group[@]}"
    continue
  elif [ "${#group[@]}" -eq 1 ]; then
    stage=${group[0]}
  else
    stage=${stages[$i]}; i=$((i + 1))
  fi
  say "stage $stage"
  start=$SECONDS
  rc=0
  "stage_$stage" || rc=$?
  record "$stage" $((SECONDS - start)) "$rc"
  # Nothing after a broken engine or missing images can pass.
  if [ "$rc" -ne 0 ]; then
    case "$stage" in docker | images) break ;; esac
  fi
done

# A broken engine or missing images stop the suite before the venv is used.
[ -z "$venv_pid" ] || [ -n "$in_venv" ] || wait "$venv_pid"
say "suite finished in $SECONDS s${failed_names[*]:+; failed: ${failed_names[*]}}"
printf '%-16s %10s  %s\n' stage "wall time" result
for row in "${timings[@]}"; do
  IFS='|' read -r name seconds result <<<"$row"
  printf '%-16s %7d:%02d  %s\n' "$name" $((seconds / 60)) $((seconds % 60)) "$result"
done
printf '%-16s %7d:%02d\n' total $((SECONDS / 60)) $((SECONDS % 60))
echo "stages: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
