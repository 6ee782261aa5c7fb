#!/usr/bin/env bash
# make run-local: the whole system on one machine, no cluster and no Dodo account needed.
#
#   control plane  etcd + kube-apiserver from ./bin/k8s (hack/localcp, envtest), CRDs installed
#   dodo-simulator a Dodo Payments-compatible API with an admin API (clock, checkout pages)
#   simulator-2    a second simulator with its own API key: a second Dodo business, which
#                  the DodoAccount "second" reaches (hack/run-local-second-account.yaml)
#   dodo-operator  the controllers, pointed at the simulator (the operator's own account)
#   webhook-receiver  the sidecar, receiving both simulators' signed webhooks (the second
#                  simulator's on the account's path, signed with the account's secret)
#
# It builds what it needs (the first build of the control plane takes ~8 minutes), applies
# config/samples, prints how to use it, and runs until Ctrl-C, which stops everything.
# Each run starts from an empty control plane and a new simulator. Files live in ./.run
# (logs stay in ./.run/logs after a run).
#
# Addresses (override through the environment if a port is taken):
#   SIMULATOR_ADDR (127.0.0.1:8090), SIMULATOR2_ADDR (127.0.0.1:8091), RECEIVER_ADDR (127.0.0.1:9443),
#   OPERATOR_METRICS_ADDR (127.0.0.1:8080), OPERATOR_PROBE_ADDR (127.0.0.1:8081),
#   RECEIVER_METRICS_ADDR (127.0.0.1:8082), RECEIVER_PROBE_ADDR (127.0.0.1:8083)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
run=$root/.run
bin=$root/bin
assets=${KUBEBUILDER_ASSETS:-$bin/k8s}
kubectl=$assets/kubectl
SIMULATOR_ADDR=${SIMULATOR_ADDR:-127.0.0.1:8090}
SIMULATOR2_ADDR=${SIMULATOR2_ADDR:-127.0.0.1:8091}
RECEIVER_ADDR=${RECEIVER_ADDR:-127.0.0.1:9443}
OPERATOR_METRICS_ADDR=${OPERATOR_METRICS_ADDR:-127.0.0.1:8080}
OPERATOR_PROBE_ADDR=${OPERATOR_PROBE_ADDR:-127.0.0.1:8081}
RECEIVER_METRICS_ADDR=${RECEIVER_METRICS_ADDR:-127.0.0.1:8082}
RECEIVER_PROBE_ADDR=${RECEIVER_PROBE_ADDR:-127.0.0.1:8083}
# Started processes, in start order: name=pid.
started=()

say() { printf '>> %s\n' "$*"; }
fail() {
  printf 'run-local: %s\n' "$*" >&2
  exit 1
}

# progress LABEL CMD...: runs CMD and prints the elapsed time every 20 s, so that the long
# first build does not look stuck. CMD's own output stays visible.
progress() {
  local label=$1 start=$SECONDS next=20
  shift
  "$@" &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    if ((SECONDS - start >= next)); then
      say "$label: still building ($((SECONDS - start)) s)"
      next=$((next + 20))
    fi
  done
  wait "$pid" || fail "$label failed"
  say "$label: done in $((SECONDS - start)) s"
}

# ours PID PROGRAM: whether PID still runs PROGRAM with this checkout's ./.run or ./bin
# paths, so that a PID reused by someone else's process is never signalled.
ours() {
  local cmdline
  cmdline=$(tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline") || return 1
  [[ $cmdline == "$2 "* ]]
}

# stop_pid NAME PID [SECONDS]: SIGTERM, then SIGKILL to its process group after SECONDS.
stop_pid() {
  local name=$1 pid=$2 grace=${3:-30} i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 5; i++)); do
    kill -0 "$pid" 2>/dev/null || { say "stopped $name"; return 0; }
    sleep 0.2
  done
  say "$name did not stop in ${grace} s: killing it"
  kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
}

# stop_leftovers: a previous run that was killed outright (SIGKILL) may have left processes.
stop_leftovers() {
  local name pidfile pid program
  for name in operator webhook-receiver simulator-2 simulator control-plane; do
    pidfile=$run/pids/$name
    [[ -f $pidfile ]] || continue
    read -r pid program <"$pidfile"
    if ours "$pid" "$program"; then
      stop_pid "leftover $name ($pid)" "$pid" 30
    fi
  done
  # etcd and kube-apiserver orphaned by a killed control plane keep their data in ./.run/tmp.
  for pid in $(grep -lsF -- "$run/tmp/" /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3); do
    for program in "$assets/etcd" "$assets/kube-apiserver"; do
      if ours "$pid" "$program"; then
        stop_pid "leftover $(basename "$program") ($pid)" "$pid" 10
      fi
    done
  done
}

cleanup() {
  trap '' INT TERM
  local i entry
  echo
  say "stopping (in reverse start order)"
  for ((i = ${#started[@]} - 1; i >= 0; i--)); do
    entry=${started[i]}
    stop_pid "${entry%%=*}" "${entry#*=}" 30
  done
  rm -rf "$run/tmp" "$run/pids" "$run/api-key" "$run/webhook-secret" "$run/api-key-2" "$run/webhook-secret-2" \
    "$run/kubeconfig"
  say "all stopped; logs are in $run/logs"
}

# start NAME CMD...: starts CMD in its own session and process group (Ctrl-C reaches only
# this script, which then stops the processes in order), logging to .run/logs/NAME.log. The
# pid file names the program too, so that a later run only stops that very process.
start() {
  local name=$1 arg program=""
  shift
  for arg in "$@"; do
    if [[ -z $program && $arg == "$bin/"* ]]; then program=$arg; fi
  done
  setsid "$@" >"$run/logs/$name.log" 2>&1 &
  local pid=$!
  started+=("$name=$pid")
  echo "$pid $program" >"$run/pids/$name"
}

# wait_for NAME SECONDS CHECK...: polls CHECK until it succeeds; fails when NAME exits.
wait_for() {
  local name=$1 timeout=$2 entry pid i
  shift 2
  for entry in "${started[@]}"; do [[ ${entry%%=*} == "$name" ]] && pid=${entry#*=}; done
  for ((i = 0; i < timeout * 5; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 30 "$run/logs/$name.log" >&2
      fail "$name exited during start (log above: $run/logs/$name.log)"
    fi
    sleep 0.2
  done
  tail -n 30 "$run/logs/$name.log" >&2
  fail "$name did not become ready in $timeout s"
}

port_free() {
  ! (exec 3<>"/dev/tcp/${1%:*}/${1##*:}") 2>/dev/null
}

http_ok() { curl -fsS -o /dev/null --max-time 2 "$1"; }

build() {
  if [[ $assets == "$bin/k8s" ]]; then
    progress "control plane (etcd, kube-apiserver, kubectl; first run ~8 min)" bash hack/envtest/build.sh "$assets"
  fi
  for tool in etcd kube-apiserver kubectl; do
    [[ -x $assets/$tool ]] || fail "$assets/$tool is missing (unset KUBEBUILDER_ASSETS to build it)"
  done
  progress "go build dodo-operator, webhook-receiver, dodo-simulator, kubectl-dodo, localcp" \
    go build -o "$bin/" ./cmd/dodo-operator ./cmd/webhook-receiver ./cmd/dodo-simulator ./cmd/kubectl-dodo ./hack/localcp
}

start_all() {
  local sim_url=http://$SIMULATOR_ADDR
  start control-plane env TMPDIR="$run/tmp" "$bin/localcp" --assets "$assets" \
    --crd-dir "$root/config/crd/bases" --write-kubeconfig "$run/kubeconfig"
  wait_for control-plane 120 grep -q '^ready' "$run/logs/control-plane.log"
  say "control plane up, CRDs installed"

  # The simulator knows the samples' products; acme-trial's customer declines real charges.
  start simulator "$bin/dodo-simulator" --listen "$SIMULATOR_ADDR" --base-url "$sim_url" \
    --api-key-file "$run/api-key" --write-webhook-secret "$run/webhook-secret" \
    --webhook-url "http://$RECEIVER_ADDR/dodo/webhooks" \
    --product id=pdt_pro_monthly,name=Pro,price=4900,currency=USD,interval=Month \
    --product id=pdt_usage_ondemand,name=Usage,price=1000,currency=USD,interval=Month,on_demand=true
  wait_for simulator 30 http_ok "$sim_url/_simulator/clock"
  say "simulator up at $sim_url"

  # The second business: its own key and webhook secret, its own catalogue, and webhooks to
  # the receiver's path of the DodoAccount default/second.
  local sim2_url=http://$SIMULATOR2_ADDR
  start simulator-2 "$bin/dodo-simulator" --listen "$SIMULATOR2_ADDR" --base-url "$sim2_url" \
    --api-key-file "$run/api-key-2" --write-webhook-secret "$run/webhook-secret-2" \
    --webhook-url "http://$RECEIVER_ADDR/dodo/webhooks/namespaces/default/second" \
    --product id=pdt_team_monthly,name=Team,price=9900,currency=USD,interval=Month
  wait_for simulator-2 30 http_ok "$sim2_url/_simulator/clock"
  say "second simulator (the DodoAccount second) up at $sim2_url"

  start webhook-receiver env KUBECONFIG="$run/kubeconfig" "$bin/webhook-receiver" --listen "$RECEIVER_ADDR" \
    --metrics-bind-address "$RECEIVER_METRICS_ADDR" --health-probe-bind-address "$RECEIVER_PROBE_ADDR" \
    --webhook-key-file "$run/webhook-secret"
  wait_for webhook-receiver 60 http_ok "http://$RECEIVER_PROBE_ADDR/readyz"
  say "webhook receiver up at http://$RECEIVER_ADDR/dodo/webhooks"

  start operator env KUBECONFIG="$run/kubeconfig" DODO_PAYMENTS_BASE_URL="$sim_url" \
    DODO_PAYMENTS_API_KEY_FILE="$run/api-key" "$bin/dodo-operator" \
    --metrics-bind-address "$OPERATOR_METRICS_ADDR" --metrics-secure=false \
    --health-probe-bind-address "$OPERATOR_PROBE_ADDR" --resync-interval=1m
  wait_for operator 60 http_ok "http://$OPERATOR_PROBE_ADDR/readyz"
  say "operator up"
}

# second_account: the second business as a DodoAccount (its Secrets from the second
# simulator's files, never printed) and a Subscription that uses it.
second_account() {
  local k=("$kubectl" --kubeconfig "$run/kubeconfig")
  "${k[@]}" -n default create secret generic second-dodo --from-file=apiKey="$run/api-key-2" >/dev/null
  "${k[@]}" -n default create secret generic second-dodo-webhook --from-file=secret="$run/webhook-secret-2" >/dev/null
  sed "s|\$SIM2|http://$SIMULATOR2_ADDR|g" hack/run-local-second-account.yaml |
    "${k[@]}" apply --server-side --field-manager=run-local -f -
}

# print_walkthrough SIM_URL SIM2_URL: the steps of hack/walkthrough.txt as a person follows
# them (hack/walkthrough-test.sh follows the same file in CI).
print_walkthrough() {
  awk -v sim="$1" -v sim2="$2" '
    /^#\?/ { next }
    { gsub(/\$SIM2/, sim2); gsub(/\$SIM/, sim) }
    /^##/ { sub(/^## ?/, ""); print; next }
    /^#/ { next }
    { print "  " $0 }
  ' "$root/hack/walkthrough.txt"
}

usage() {
  local sim=http://$SIMULATOR_ADDR sim2=http://$SIMULATOR2_ADDR
  cat <<EOF

================================================================================
dodo-operator is running locally. Ctrl-C here stops everything. In another terminal:

  export KUBECONFIG=$run/kubeconfig PATH=$assets:$bin:\$PATH    # kubectl, and the kubectl dodo plugin

EOF
  print_walkthrough "$sim" "$sim2"
  cat <<EOF

Simulator state: curl -s $sim/_simulator/state (second business: $sim2)     Logs: $run/logs/
Metrics: http://$OPERATOR_METRICS_ADDR/metrics (operator), http://$RECEIVER_METRICS_ADDR/metrics (receiver)
================================================================================
EOF
}

main() {
  command -v curl >/dev/null || fail "curl is required"
  mkdir -p "$run"
  stop_leftovers
  rm -rf "$run"
  mkdir -p "$run/logs" "$run/pids" "$run/tmp"
  for addr in "$SIMULATOR_ADDR" "$SIMULATOR2_ADDR" "$RECEIVER_ADDR" "$OPERATOR_METRICS_ADDR" "$OPERATOR_PROBE_ADDR" \
    "$RECEIVER_METRICS_ADDR" "$RECEIVER_PROBE_ADDR"; do
    port_free "$addr" || fail "$addr is in use: set the matching *_ADDR variable (see hack/run-local.sh)"
  done
  build
  (umask 077 && printf 'local_%s\n' "$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')" >"$run/api-key")
  (umask 077 && printf 'local2_%s\n' "$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')" >"$run/api-key-2")
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  start_all
  "$kubectl" --kubeconfig "$run/kubeconfig" apply --server-side --field-manager=run-local -k config/samples
  second_account
  usage
  local entry
  # Run until Ctrl-C, or until a process dies (then say which, and stop the rest).
  wait -n "${started[@]#*=}" || true
  for entry in "${started[@]}"; do
    if ! kill -0 "${entry#*=}" 2>/dev/null; then
      tail -n 20 "$run/logs/${entry%%=*}.log" >&2
      fail "${entry%%=*} stopped unexpectedly (log above: $run/logs/${entry%%=*}.log)"
    fi
  done
}

main "$@"
