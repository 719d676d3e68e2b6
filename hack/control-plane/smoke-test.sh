#!/usr/bin/env bash
# End-to-end check of hack/control-plane: builds (or reuses) the binaries, brings
# up an apiserver-mode cluster and a full-mode cluster in temp dirs, checks
# scheduling onto kwok GPU nodes and the kamado.dev/kwok-* pod-outcome stages,
# then tears everything down and checks that no process is left.
# Exits non-zero on any failure; last line: "smoke: N passed, M failed".
#
# Env: KAMADO_CP_BIN (bin dir; default: build.sh's), KAMADO_SMOKE_KEEP=1 keeps
# the full-mode cluster running and its dir on exit (for debugging).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CLUSTER="$HERE/cluster.sh"
BIN="${KAMADO_CP_BIN:-$("$HERE/build.sh" | tail -1)}"
export KAMADO_CP_BIN="$BIN"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/kamado-smoke.XXXXXX")"
API_DIR="$WORK/apiserver" FULL_DIR="$WORK/full"
PASS=0 FAIL=0

say() { printf '[smoke] %s\n' "$*" >&2; }
ok() { PASS=$((PASS + 1)); say "PASS: $*"; }
bad() { FAIL=$((FAIL + 1)); say "FAIL: $*"; }
cleanup() {
  if [[ "${KAMADO_SMOKE_KEEP:-0}" == 1 ]]; then
    say "KAMADO_SMOKE_KEEP=1: leaving $FULL_DIR running (down with: $CLUSTER down --dir $FULL_DIR)"
    "$CLUSTER" down --dir "$API_DIR" --purge >/dev/null 2>&1 || true
    return
  fi
  "$CLUSTER" down --dir "$API_DIR" --purge >/dev/null 2>&1 || true
  "$CLUSTER" down --dir "$FULL_DIR" --purge >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

leftovers() { # dir -> pids of our binaries whose command line mentions dir
  local p exe
  for p in /proc/[0-9]*; do
    exe="$(readlink "$p/exe" 2>/dev/null || true)"
    [[ "$exe" == "$BIN"/* ]] || continue
    tr '\0' ' ' < "$p/cmdline" 2>/dev/null | grep -qF -- "$1/" && echo "${p#/proc/}"
  done
  true
}
rss_kb() { # dir -> summed RSS (kB) of the cluster's processes
  local pid sum=0 f
  for f in "$1"/pids/*.pid; do
    pid="$(cat "$f")"
    sum=$((sum + $(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)))
  done
  echo "$sum"
}
# poll <timeout-s> <description> <command...>: retries until the command succeeds;
# records PASS/FAIL and always returns 0
poll() {
  local t="$1" what="$2" end
  shift 2
  end=$((SECONDS + t))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS > end)); then bad "$what (timed out after ${t}s)"; return 0; fi
    sleep 0.5
  done
  ok "$what"
}

# ------------------------------------------------------------ apiserver mode
t0=$(date +%s%3N)
if "$CLUSTER" up --dir "$API_DIR" --mode apiserver > "$WORK/api-up.out"; then
  ok "apiserver mode up in $(( $(date +%s%3N) - t0 )) ms"
  K=("$BIN/kubectl" --kubeconfig "$API_DIR/kubeconfig")
  [[ "$(tail -1 "$WORK/api-up.out")" == "KUBECONFIG=$API_DIR/kubeconfig" ]] && ok "up prints KUBECONFIG last" || bad "up's last stdout line: $(tail -1 "$WORK/api-up.out")"
  if "${K[@]}" version -o json 2>/dev/null | grep -q '"gitVersion": "v1.36.3"'; then ok "server version v1.36.3"; else bad "server version: $("${K[@]}" version 2>&1 | tail -1)"; fi
  say "apiserver mode idle RSS: $(( $(rss_kb "$API_DIR") / 1024 )) MiB (etcd + kube-apiserver)"
  "$CLUSTER" up --dir "$API_DIR" --mode apiserver >/dev/null 2>&1 && ok "up on a running cluster reuses it" || bad "up on a running cluster failed"
  "$CLUSTER" up --dir "$API_DIR" --mode full >/dev/null 2>&1 && bad "up --mode full on a running apiserver cluster should fail" || ok "up with another mode on a running cluster errors"
else
  bad "apiserver mode up failed"
fi
"$CLUSTER" down --dir "$API_DIR"
[[ -z "$(leftovers "$API_DIR")" ]] && ok "apiserver mode down leaves no process" || bad "apiserver mode down left: $(leftovers "$API_DIR")"

# ------------------------------------------------------------ full mode
t0=$(date +%s%3N)
if ! "$CLUSTER" up --dir "$FULL_DIR" --mode full > "$WORK/full-up.out"; then
  bad "full mode up failed"
  say "smoke: $PASS passed, $FAIL failed"
  exit 1
fi
ok "full mode up in $(( $(date +%s%3N) - t0 )) ms"
K=("$BIN/kubectl" --kubeconfig "$FULL_DIR/kubeconfig")
k() { "${K[@]}" "$@"; }

[[ "$(k get nodes -l kamado.dev/node-pool=gpu -o jsonpath='{.items[*].status.allocatable.nvidia\.com/gpu}')" == "8 8" ]] \
  && ok "2 GPU nodes with nvidia.com/gpu=8" || bad "GPU nodes: $(k get nodes -o wide 2>&1)"
[[ "$(k get nodes -l kamado.dev/node-pool=cpu -o name)" == "node/kwok-cpu-0" ]] && ok "1 CPU node" || bad "CPU nodes: $(k get nodes 2>&1)"
[[ "$(k auth can-i '*' '*' 2>/dev/null)" == yes ]] && ok "admin is cluster-admin" || bad "admin is not cluster-admin"
[[ "$(k auth can-i create pods --as=system:serviceaccount:default:default 2>/dev/null || true)" == no ]] \
  && ok "RBAC enforced for service accounts" || bad "default SA may create pods: RBAC not enforced"

job() { # name gpus annotations-yaml [podFailurePolicy-yaml] [backoffLimit]
  cat <<EOF
apiVersion: batch/v1
kind: Job
metadata:
  name: $1
spec:
  backoffLimit: ${5:-0}
${4:-}
  template:
    metadata:
      annotations: {${3}}
    spec:
      restartPolicy: Never
      containers:
      - name: main
        image: example.invalid/kamado/trainer:latest
        resources:
          limits:
            nvidia.com/gpu: "$2"
EOF
}
pod_field() { k get pods -l "batch.kubernetes.io/job-name=$1" -o jsonpath="{.items[0]$2}"; }
job_cond() { # job type -> prints status/reason of the condition
  k get job "$1" -o jsonpath="{.status.conditions[?(@.type==\"$2\")].status}/{.status.conditions[?(@.type==\"$2\")].reason}"
}
is() { [[ "$("${@:2}" 2>/dev/null)" == "$1" ]]; }
starts() { [[ "$("${@:2}" 2>/dev/null)" == "$1"* ]]; }

# 1. a 4-GPU job lands on a GPU node and completes
job gpu4 4 '' | k apply -f - >/dev/null || bad "kubectl apply failed"
poll 60 "job gpu4 (nvidia.com/gpu: 4) reaches Complete" starts "True/" job_cond gpu4 Complete
starts kwok-gpu- pod_field gpu4 .spec.nodeName && ok "gpu4 pod ran on $(pod_field gpu4 .spec.nodeName)" \
  || bad "gpu4 pod node: '$(pod_field gpu4 .spec.nodeName 2>&1)'"
is 0 pod_field gpu4 '.status.containerStatuses[0].state.terminated.exitCode' && ok "gpu4 container exit code 0" || bad "gpu4 exit code"

# 2. a 16-GPU job cannot be scheduled
job gpu16 16 '' | k apply -f - >/dev/null || bad "kubectl apply failed"
poll 30 "job gpu16 (nvidia.com/gpu: 16) pod is PodScheduled=False/Unschedulable" \
  is "False/Unschedulable" pod_field gpu16 '.status.conditions[?(@.type=="PodScheduled")].status}/{.items[0].status.conditions[?(@.type=="PodScheduled")].reason'
is Pending pod_field gpu16 .status.phase && ok "gpu16 pod stays Pending" || bad "gpu16 phase $(pod_field gpu16 .status.phase 2>&1)"

# 3. exit-code annotation -> Failed with that exit code; podFailurePolicy onExitCodes matches
job exit42 1 '"kamado.dev/kwok-exit-code": "42"' '  podFailurePolicy:
    rules:
    - action: FailJob
      onExitCodes:
        operator: In
        values: [42]' 6 | k apply -f - >/dev/null || bad "kubectl apply failed"
poll 60 "exit42 pod Failed" is Failed pod_field exit42 .status.phase
is 42/Error pod_field exit42 '.status.containerStatuses[0].state.terminated.exitCode}/{.items[0].status.containerStatuses[0].state.terminated.reason' \
  && ok "exit42 container terminated exitCode=42 reason=Error" || bad "exit42 terminated state: $(pod_field exit42 '.status.containerStatuses[0].state' 2>&1)"
poll 60 "job exit42 Failed by podFailurePolicy (onExitCodes)" is True/PodFailurePolicy job_cond exit42 Failed

# a bare pod (no Job) with the annotation fails too
cat <<EOF | k apply -f - >/dev/null || bad "kubectl apply failed"
apiVersion: v1
kind: Pod
metadata:
  name: bare-exit3
  annotations: {"kamado.dev/kwok-exit-code": "3", "kamado.dev/kwok-run-seconds": "2"}
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: example.invalid/x
EOF
poll 30 "bare pod runs before it fails (kwok-run-seconds)" is Running k get pod bare-exit3 -o jsonpath='{.status.phase}'
poll 30 "bare pod with kwok-exit-code=3 Failed with exit code 3" \
  is Failed/3 k get pod bare-exit3 -o jsonpath='{.status.phase}/{.status.containerStatuses[0].state.terminated.exitCode}'

# 4. disruption annotation -> DisruptionTarget; podFailurePolicy onPodConditions matches
job disrupt 1 '"kamado.dev/kwok-disruption": "true"' '  podFailurePolicy:
    rules:
    - action: FailJob
      onPodConditions:
      - type: DisruptionTarget' 6 | k apply -f - >/dev/null || bad "kubectl apply failed"
poll 60 "disrupt pod Failed with DisruptionTarget=True/PreemptionByScheduler" \
  is Failed/True/PreemptionByScheduler pod_field disrupt '.status.phase}/{.items[0].status.conditions[?(@.type=="DisruptionTarget")].status}/{.items[0].status.conditions[?(@.type=="DisruptionTarget")].reason'
poll 60 "job disrupt Failed by podFailurePolicy (onPodConditions DisruptionTarget)" is True/PodFailurePolicy job_cond disrupt Failed

# 5. non-Job pods without annotations keep running
cat <<EOF | k apply -f - >/dev/null || bad "kubectl apply failed"
apiVersion: v1
kind: Pod
metadata:
  name: bare-forever
spec:
  containers:
  - name: main
    image: example.invalid/x
EOF
poll 30 "bare pod without annotations Running" is Running k get pod bare-forever -o jsonpath='{.status.phase}'
sleep 3
is Running k get pod bare-forever -o jsonpath='{.status.phase}' && ok "bare pod still Running after 3s" || bad "bare pod left Running"

# 6. deleting a job's pods works (kwok pod-delete + job-tracking finalizer)
k delete job gpu4 --wait=false >/dev/null
poll 60 "gpu4 pods gone after deleting the Job" is "" k get pods -l batch.kubernetes.io/job-name=gpu4 -o name

sleep 5
say "full mode idle RSS: $(( $(rss_kb "$FULL_DIR") / 1024 )) MiB (etcd + apiserver + controller-manager + scheduler + kwok)"
for f in "$FULL_DIR"/pids/*.pid; do
  say "  $(basename "$f" .pid): $(( $(awk '/^VmRSS:/ {print $2}' "/proc/$(cat "$f")/status" 2>/dev/null || echo 0) / 1024 )) MiB"
done

if [[ "${KAMADO_SMOKE_KEEP:-0}" != 1 ]]; then
  "$CLUSTER" down --dir "$FULL_DIR"
  [[ -z "$(leftovers "$FULL_DIR")" ]] && ok "full mode down leaves no process" || bad "full mode down left: $(leftovers "$FULL_DIR")"
fi

say "smoke: $PASS passed, $FAIL failed"
echo "smoke: $PASS passed, $FAIL failed"
[[ $FAIL == 0 ]]
