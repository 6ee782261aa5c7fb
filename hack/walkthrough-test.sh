#!/usr/bin/env bash
# make walkthrough-test: follows the walkthrough `make run-local` prints, step by step, against
# a real local run, so every printed step is known to work in order. Each command of
# hack/walkthrough.txt must appear in the printed text, exit 0, and (where the file says
# "#? regex") produce matching output within STEP_TIMEOUT seconds; commands followed by a
# check are re-run until it matches (the file puts checks only after commands safe to repeat).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
STEP_TIMEOUT=${STEP_TIMEOUT:-90}
# Ports of their own, so a person's `make run-local` on the defaults is left alone.
export SIMULATOR_ADDR=127.0.0.1:18090 SIMULATOR2_ADDR=127.0.0.1:18091 RECEIVER_ADDR=127.0.0.1:19443 OPERATOR_METRICS_ADDR=127.0.0.1:18080
export OPERATOR_PROBE_ADDR=127.0.0.1:18081 RECEIVER_METRICS_ADDR=127.0.0.1:18082 RECEIVER_PROBE_ADDR=127.0.0.1:18083
out=$(mktemp -d)
printed=$out/printed.txt

say() { printf '== %s\n' "$*"; }
fail() {
  printf 'walkthrough-test: %s\n' "$*" >&2
  exit 1
}

setsid bash hack/run-local.sh >"$printed" 2>&1 &
local_run=$!
# SIGTERM, not SIGINT: a background job ignores SIGINT. run-local then stops its processes
# in order, as Ctrl-C does.
stop() {
  kill -TERM "$local_run" 2>/dev/null || true
  wait "$local_run" 2>/dev/null || true
}
trap stop EXIT

# The walkthrough is printed once everything is up (a cold first build takes ~8 minutes).
for ((i = 0; i < 1200; i++)); do
  grep -q 'Metrics: http' "$printed" && break
  kill -0 "$local_run" 2>/dev/null || { cat "$printed" >&2; fail "the local run stopped before printing its steps"; }
  sleep 1
done
grep -q 'Metrics: http' "$printed" || fail "the local run printed no steps in 20 minutes"
say "local run up; following its printed steps"

export KUBECONFIG=$root/.run/kubeconfig PATH=$root/bin/k8s:$root/bin:$PATH SIM=http://$SIMULATOR_ADDR
export SIM2=http://$SIMULATOR2_ADDR

# run_step CMD [REGEX]: CMD must exit 0; with REGEX, its output must match it within
# STEP_TIMEOUT seconds (the command is re-run, once a second).
run_step() {
  local cmd=$1 regex=${2:-} output deadline=$((SECONDS + STEP_TIMEOUT))
  while :; do
    if output=$(bash -c "$cmd" 2>&1); then
      if [[ -z $regex ]] || grep -Eq -- "$regex" <<<"$output"; then
        say "ok: $cmd"
        return 0
      fi
    elif [[ -z $regex ]]; then
      printf '%s\n' "$output" >&2
      fail "step failed: $cmd"
    fi
    if ((SECONDS >= deadline)); then
      printf '%s\n' "$output" >&2
      fail "step did not show /$regex/ in ${STEP_TIMEOUT}s: $cmd"
    fi
    sleep 1
  done
}

steps=0 pending=""
while IFS= read -r line || [[ -n $line ]]; do
  case $line in
    '#?'*)
      [[ -n $pending ]] || fail "a check with no command before it: $line"
      run_step "$pending" "${line#'#? '}"
      pending=""
      continue
      ;;
    '#'*) continue ;;
  esac
  [[ -n $pending ]] && run_step "$pending"
  pending=$line
  steps=$((steps + 1))
  # The person sees the command with $SIM and $SIM2 filled in: it must be printed like that.
  shown=${line//\$SIM2/$SIM2}
  shown="  ${shown//\$SIM/$SIM}"
  grep -qxF -- "$shown" "$printed" || fail "not printed by make run-local: $shown"
done <hack/walkthrough.txt
[[ -n $pending ]] && run_step "$pending"
say "all $steps printed steps work, in order ($SECONDS s)"
