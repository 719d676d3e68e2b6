#!/usr/bin/env bash
# Starts / stops a local Kubernetes control plane made of the binaries that
# hack/control-plane/build.sh builds (no containers, no kubelet):
#
#   apiserver mode: etcd + kube-apiserver
#   full mode:      + kube-controller-manager + kube-scheduler + kwok (fake nodes
#                   and pod lifecycles, see stages/*.yaml)
#
# Usage:
#   cluster.sh up   --dir DIR [--mode apiserver|full] [--timeout SECONDS]
#                   [--etcd-port N] [--etcd-peer-port N] [--apiserver-port N]
#                   [--kcm-port N] [--scheduler-port N] [--kwok-port N]
#                   [--gpu-nodes N] [--gpus-per-node N] [--cpu-nodes N]
#                   [--kwok-config FILE]... [--bin BINDIR]
#   cluster.sh down   --dir DIR [--purge]
#   cluster.sh status --dir DIR            exit 0 iff every component of the mode runs
#   cluster.sh kubectl --dir DIR -- ARGS   kubectl against the cluster
#
# up: everything (certs, etcd data, logs, pid files, kubeconfigs) lives under DIR.
#   Ports not given are picked free on 127.0.0.1. Returns once /readyz is ok and,
#   in full mode, the controller-manager and scheduler are healthy, the default
#   ServiceAccount exists and all kwok nodes are Ready and untainted. On timeout
#   or a crash it exits non-zero naming the component and its log file. stdout
#   gets only `KEY=VALUE` lines, KUBECONFIG=DIR/kubeconfig last (also written to
#   DIR/cluster.env); progress goes to stderr. If DIR already has a healthy
#   cluster of the same mode, up reuses it (exit 0); a partial or different-mode
#   cluster is an error. Certs and etcd data survive down/up unless --purge.
#   DIR/kubeconfig is cluster-admin (client cert in O=system:masters); RBAC and
#   the Node authorizer are enforced for every other identity.
#   Default fake nodes (full mode): kwok-gpu-0..N-1 (nvidia.com/gpu: 8, cpu 64,
#   memory 512Gi, pods 110, label nvidia.com/gpu.present=true) and kwok-cpu-0..
#   (cpu 32, memory 128Gi, pods 110); all labelled type=kwok,
#   kamado.dev/kwok-node=true, kamado.dev/node-pool=gpu|cpu, annotated
#   kwok.x-k8s.io/node=fake, untainted. --mode defaults to apiserver.
#   Fake pods (stages/kwok-defaults.yaml + stages/kamado-pod-outcomes.yaml, whose
#   header is the full contract): bound pods go Running at once; Job pods go
#   Succeeded after 1s; pod annotations kamado.dev/kwok-run-seconds: "N",
#   kamado.dev/kwok-exit-code: "N" (Failed, exitCode N) and
#   kamado.dev/kwok-disruption: "true" (Failed + DisruptionTarget condition)
#   steer the outcome. --kwok-config FILE adds more kwok Stage/config files.
# down: TERM, then KILL after 10s, every component whose pid file is in DIR (and
#   any leftover process of the build's bin dir whose command line names DIR).
#   --purge then deletes what up created in DIR.
#
# Binaries: --bin, else $KAMADO_CP_BIN, else `build.sh` (seconds when warm).
# Needs: bash, openssl, curl.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SERVICE_CIDR="10.96.0.0/16"
SERVICE_IP="10.96.0.1"
POD_CIDR="10.0.0.1/16"
COMPONENTS_APISERVER=(etcd kube-apiserver)
COMPONENTS_FULL=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)

log() { printf '[cluster.sh] %s\n' "$*" >&2; }
die() { printf '[cluster.sh] ERROR: %s\n' "$*" >&2; exit 1; }
usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2; exit "${1:-2}"; }

now_ms() { date +%s%3N; }

# ---------------------------------------------------------------- arguments
CMD="${1:-}"
[[ -n "$CMD" ]] || usage
[[ "$CMD" != -h && "$CMD" != --help && "$CMD" != help ]] || usage 0
shift
DIR="" MODE="" TIMEOUT=180 BIN="${KAMADO_CP_BIN:-}" PURGE=0
ETCD_PORT="" ETCD_PEER_PORT="" APISERVER_PORT="" KCM_PORT="" SCHED_PORT="" KWOK_PORT=""
GPU_NODES=2 GPUS_PER_NODE=8 CPU_NODES=1
EXTRA_KWOK_CONFIG=() PASSTHRU=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --dir) DIR="$2"; shift 2 ;;
    --mode) MODE="$2"; shift 2 ;;
    --timeout) TIMEOUT="$2"; shift 2 ;;
    --bin) BIN="$2"; shift 2 ;;
    --etcd-port) ETCD_PORT="$2"; shift 2 ;;
    --etcd-peer-port) ETCD_PEER_PORT="$2"; shift 2 ;;
    --apiserver-port) APISERVER_PORT="$2"; shift 2 ;;
    --kcm-port) KCM_PORT="$2"; shift 2 ;;
    --scheduler-port) SCHED_PORT="$2"; shift 2 ;;
    --kwok-port) KWOK_PORT="$2"; shift 2 ;;
    --gpu-nodes) GPU_NODES="$2"; shift 2 ;;
    --gpus-per-node) GPUS_PER_NODE="$2"; shift 2 ;;
    --cpu-nodes) CPU_NODES="$2"; shift 2 ;;
    --kwok-config) EXTRA_KWOK_CONFIG+=("$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"); shift 2 ;;
    --purge) PURGE=1; shift ;;
    -h|--help) usage 0 ;;
    --) shift; PASSTHRU=("$@"); break ;;
    *) if [[ "$CMD" == kubectl ]]; then PASSTHRU+=("$1"); shift; else die "unknown argument: $1 (see --help)"; fi ;;
  esac
done
[[ -n "$DIR" ]] || die "--dir DIR is required"
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"
for v in GPU_NODES GPUS_PER_NODE CPU_NODES TIMEOUT; do
  [[ "${!v}" =~ ^[0-9]+$ ]] || die "--${v,,} must be a non-negative integer, got '${!v}'"
done

PID_DIR="$DIR/pids" LOG_DIR="$DIR/logs" CERT_DIR="$DIR/pki" STATE="$DIR/cluster.env"

# ---------------------------------------------------------------- processes
pid_of() { [[ -f "$PID_DIR/$1.pid" ]] && cat "$PID_DIR/$1.pid" || true; }
alive() { # component -> 0 if its recorded pid runs that binary
  local pid exe
  pid="$(pid_of "$1")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
  [[ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]] || return 1  # exited, not yet reaped
  exe="$(readlink "/proc/$pid/exe" 2>/dev/null || true)"
  [[ "$(basename "${exe% (deleted)}")" == "$1" ]]  # guards against pid reuse
}
stop_pid() { # pid name
  local pid="$1" name="$2" i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    # A zombie (our own un-reaped child) counts as gone.
    [[ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" == Z ]] && return 0
    sleep 0.1
  done
  log "$name (pid $pid) ignored SIGTERM for 10s; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  log "WARNING: $name (pid $pid) still exists after SIGKILL"
}
stop_all() {
  local c pid exe p cmdline
  for c in kwok kube-scheduler kube-controller-manager kube-apiserver etcd; do
    if alive "$c"; then
      pid="$(pid_of "$c")"
      log "stopping $c (pid $pid)"
      stop_pid "$pid" "$c"
    fi
    rm -f "$PID_DIR/$c.pid"
  done
  # Safety net: processes of our bin dir whose command line mentions DIR
  # (e.g. pid files lost). Nothing else is touched.
  local bindir="${BIN:-}"
  [[ -n "$bindir" ]] || bindir="$(state_get BIN)"
  [[ -n "$bindir" ]] || return 0
  for p in /proc/[0-9]*; do
    exe="$(readlink "$p/exe" 2>/dev/null || true)"
    [[ "$exe" == "$bindir"/* ]] || continue
    cmdline="$(tr '\0' ' ' < "$p/cmdline" 2>/dev/null || true)"
    [[ "$cmdline" == *"$DIR/"* ]] || continue
    log "stopping leftover ${exe##*/} (pid ${p#/proc/})"
    stop_pid "${p#/proc/}" "${exe##*/}"
  done
}
start() { # component args...
  local c="$1"
  shift
  mkdir -p "$PID_DIR" "$LOG_DIR"
  printf '\n===== %s starting %s =====\n' "$(date -u +%FT%TZ)" "$c" >> "$LOG_DIR/$c.log"
  # setsid: own session, survives the caller; no inherited stdio pipes.
  KWOK_WORKDIR="$DIR/kwok" setsid "$BIN/$c" "$@" >> "$LOG_DIR/$c.log" 2>&1 < /dev/null &
  local pid=$! i exe
  echo "$pid" > "$PID_DIR/$c.pid"
  # Until the forked shell has exec'ed the binary, /proc/PID/exe is bash/setsid.
  for ((i = 0; i < 100; i++)); do
    exe="$(readlink "/proc/$pid/exe" 2>/dev/null || true)"
    [[ "$(basename "${exe% (deleted)}")" == "$c" ]] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.02
  done
  log "started $c (pid $pid, log $LOG_DIR/$c.log)"
}

# ---------------------------------------------------------------- state
state_get() { [[ -f "$STATE" ]] && sed -n "s/^$1=//p" "$STATE" | tail -1 || true; }

# ---------------------------------------------------------------- waiting
DEADLINE=0
fail_component() { # component message
  local lf="$LOG_DIR/$1.log"
  log "---- last lines of $lf ----"
  tail -n 25 "$lf" >&2 2>/dev/null || true
  die "$2 (see $lf)"
}
wait_for() { # component description command...
  local c="$1" what="$2"
  shift 2
  while :; do
    if "$@" >/dev/null 2>&1; then return 0; fi
    if [[ "$c" != - ]] && ! alive "$c"; then
      fail_component "$c" "$c exited while waiting for $what"
    fi
    if (( $(now_ms) > DEADLINE )); then
      if [[ "$c" == - ]]; then c=kube-apiserver; fi
      fail_component "$c" "timed out after ${TIMEOUT}s waiting for $what"
    fi
    sleep 0.25
  done
}
http_ok() { # url [curl args...] -> body must be ok or contain "true"
  local url="$1" body
  shift
  body="$(curl -sS --max-time 3 "$@" "$url" 2>/dev/null)" || return 1
  [[ "$body" == ok || "$body" == *'"health":"true"'* ]]
}
ADMIN_CURL=(--cacert "$CERT_DIR/ca.crt" --cert "$CERT_DIR/admin.crt" --key "$CERT_DIR/admin.key")
kc() { "$BIN/kubectl" --kubeconfig "$DIR/kubeconfig" "$@"; }

# ---------------------------------------------------------------- ports
port_free() {
  if command -v ss >/dev/null 2>&1; then
    [[ -z "$(ss -Htan "( sport = :$1 )" 2>/dev/null)" ]]
  else
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
  fi
}
USED_PORTS=" "
pick_port() { # var
  local p i
  if [[ -n "${!1}" ]]; then
    port_free "${!1}" || die "port ${!1} (${1}) is already in use"
    USED_PORTS+="${!1} "
    return 0
  fi
  # Below the kernel's ephemeral range: a port from inside it can be taken by any outgoing connection (the
  # components' own connections to etcd and the apiserver included) between this check and the bind.
  local low=32768 span
  read -r low _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true
  ((low > 11024)) || low=32768
  span=$((low - 11024))
  for ((i = 0; i < 200; i++)); do
    p=$((11024 + RANDOM % span))
    [[ "$USED_PORTS" == *" $p "* ]] && continue
    if port_free "$p"; then
      printf -v "$1" '%s' "$p"
      USED_PORTS+="$p "
      return 0
    fi
  done
  die "could not find a free port for $1"
}

# ---------------------------------------------------------------- pki
gen_key() { openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null; chmod 600 "$1"; }
sign() { # name subject extfile-content   (signed by $CA_NAME, default ca)
  local n="$1"
  gen_key "$CERT_DIR/$n.key"
  openssl req -new -key "$CERT_DIR/$n.key" -subj "$2" -out "$CERT_DIR/$n.csr" 2>/dev/null
  printf '%s\n' "$3" > "$CERT_DIR/$n.ext"
  local ca="${CA_NAME:-ca}"
  openssl x509 -req -in "$CERT_DIR/$n.csr" -CA "$CERT_DIR/$ca.crt" -CAkey "$CERT_DIR/$ca.key" \
    -CAcreateserial -days 3650 -sha256 -extfile "$CERT_DIR/$n.ext" -out "$CERT_DIR/$n.crt" 2>/dev/null
  rm -f "$CERT_DIR/$n.csr" "$CERT_DIR/$n.ext"
}
ensure_pki() {
  command -v openssl >/dev/null 2>&1 || die "openssl not found"
  mkdir -p "$CERT_DIR"
  if [[ ! -f "$CERT_DIR/ca.crt" || ! -f "$CERT_DIR/ca.key" ]]; then
    log "generating CA and certificates in $CERT_DIR"
    rm -f "$CERT_DIR"/*.crt "$CERT_DIR"/*.key
    gen_key "$CERT_DIR/ca.key"
    openssl req -x509 -new -key "$CERT_DIR/ca.key" -subj "/CN=kamado-local-ca" -days 3650 -sha256 \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
      -out "$CERT_DIR/ca.crt" 2>/dev/null
  fi
  local client_ext=$'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth'
  [[ -f "$CERT_DIR/apiserver.crt" ]] || sign apiserver "/CN=kube-apiserver" \
    $'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n'"subjectAltName=IP:127.0.0.1,DNS:localhost,IP:${SERVICE_IP},DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  [[ -f "$CERT_DIR/admin.crt" ]] || sign admin "/O=system:masters/CN=kamado-admin" "$client_ext"
  [[ -f "$CERT_DIR/kube-controller-manager.crt" ]] || sign kube-controller-manager "/CN=system:kube-controller-manager" "$client_ext"
  [[ -f "$CERT_DIR/kube-scheduler.crt" ]] || sign kube-scheduler "/CN=system:kube-scheduler" "$client_ext"
  # kwok patches node and pod status and node leases cluster-wide: give it masters.
  [[ -f "$CERT_DIR/kwok.crt" ]] || sign kwok "/O=system:masters/CN=kamado-kwok" "$client_ext"
  # Front proxy (requestheader) CA + client: lets aggregated APIs work and keeps
  # controller-manager/scheduler from logging a missing requestheader CA bundle.
  if [[ ! -f "$CERT_DIR/front-proxy-ca.crt" ]]; then
    gen_key "$CERT_DIR/front-proxy-ca.key"
    openssl req -x509 -new -key "$CERT_DIR/front-proxy-ca.key" -subj "/CN=kamado-front-proxy-ca" -days 3650 -sha256 \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
      -out "$CERT_DIR/front-proxy-ca.crt" 2>/dev/null
    rm -f "$CERT_DIR/front-proxy-client.crt"
  fi
  [[ -f "$CERT_DIR/front-proxy-client.crt" ]] || CA_NAME=front-proxy-ca sign front-proxy-client "/CN=front-proxy-client" "$client_ext"
  if [[ ! -f "$CERT_DIR/sa.key" ]]; then
    gen_key "$CERT_DIR/sa.key"
    openssl pkey -in "$CERT_DIR/sa.key" -pubout -out "$CERT_DIR/sa.pub" 2>/dev/null
  fi
}
write_kubeconfig() { # file user-cert-name
  local f="$1" n="$2" ca crt key
  ca="$(base64 -w0 < "$CERT_DIR/ca.crt")"
  crt="$(base64 -w0 < "$CERT_DIR/$n.crt")"
  key="$(base64 -w0 < "$CERT_DIR/$n.key")"
  umask 077
  cat > "$f.tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: kamado-local
  cluster:
    server: https://127.0.0.1:${APISERVER_PORT}
    certificate-authority-data: ${ca}
users:
- name: ${n}
  user:
    client-certificate-data: ${crt}
    client-key-data: ${key}
contexts:
- name: kamado-local
  context:
    cluster: kamado-local
    user: ${n}
    namespace: default
current-context: kamado-local
EOF
  mv -f "$f.tmp" "$f"
  umask 022
}

# ---------------------------------------------------------------- nodes
node_yaml() { # name pool cpu memory gpus
  local gpu_label="" gpu_res=""
  if [[ "$5" != 0 ]]; then
    gpu_label=$'\n    nvidia.com/gpu.present: "true"\n'"    nvidia.com/gpu.count: \"$5\""
    gpu_res=$'\n'"    nvidia.com/gpu: \"$5\""
  fi
  cat <<EOF
---
apiVersion: v1
kind: Node
metadata:
  name: $1
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    type: kwok
    kamado.dev/kwok-node: "true"
    kamado.dev/node-pool: $2
    kubernetes.io/arch: amd64
    kubernetes.io/os: linux
    kubernetes.io/hostname: $1
    node-role.kubernetes.io/agent: ""${gpu_label}
spec: {}
status:
  allocatable:
    cpu: "$3"
    memory: $4
    pods: "110"${gpu_res}
  capacity:
    cpu: "$3"
    memory: $4
    pods: "110"${gpu_res}
  nodeInfo:
    architecture: amd64
    operatingSystem: linux
    kubeletVersion: fake
EOF
}

# ---------------------------------------------------------------- commands
resolve_bin() {
  if [[ -z "$BIN" ]]; then
    BIN="$("$HERE/build.sh" | tail -1)" || die "build.sh failed; cannot get binaries"
  fi
  BIN="$(cd "$BIN" && pwd)"
  local c
  for c in etcd kube-apiserver kube-controller-manager kube-scheduler kwok kubectl; do
    [[ -x "$BIN/$c" ]] || die "missing binary $BIN/$c (run hack/control-plane/build.sh)"
  done
}

running_components() { local c; for c in "${COMPONENTS_FULL[@]}"; do alive "$c" && echo "$c"; done; true; }

cmd_status() {
  local mode running c rc=0
  mode="$(state_get MODE)"
  [[ -n "$mode" ]] || { echo "no cluster in $DIR"; return 1; }
  local -a want
  if [[ "$mode" == full ]]; then want=("${COMPONENTS_FULL[@]}"); else want=("${COMPONENTS_APISERVER[@]}"); fi
  for c in "${want[@]}"; do
    if alive "$c"; then echo "$c running (pid $(pid_of "$c"))"; else echo "$c NOT running"; rc=1; fi
  done
  return $rc
}

cmd_up() {
  [[ -z "$MODE" || "$MODE" == apiserver || "$MODE" == full ]] || die "--mode must be apiserver or full, got '$MODE'"
  command -v curl >/dev/null 2>&1 || die "curl not found (needed for health checks)"
  local -a running
  mapfile -t running < <(running_components)
  if [[ ${#running[@]} -gt 0 ]]; then
    local old_mode
    old_mode="$(state_get MODE)"
    if [[ -z "$MODE" || "$MODE" == "$old_mode" ]] && BIN="${BIN:-$(state_get BIN)}" cmd_status >/dev/null 2>&1 \
       && http_ok "https://127.0.0.1:$(state_get APISERVER_PORT)/readyz" "${ADMIN_CURL[@]}"; then
      log "a healthy $old_mode cluster is already running in $DIR; reusing it"
      grep -E '^(KAMADO_CLUSTER_DIR|MODE|APISERVER_URL|KUBECONFIG)=' "$STATE"
      return 0
    fi
    die "$DIR already has running components (${running[*]}) of a ${old_mode:-unknown}-mode cluster that is unhealthy/partial${MODE:+ or not --mode $MODE}; run: $0 down --dir $DIR"
  fi
  MODE="${MODE:-apiserver}"
  resolve_bin
  local t0 t1
  t0=$(now_ms)
  DEADLINE=$((t0 + TIMEOUT * 1000))
  mkdir -p "$PID_DIR" "$LOG_DIR"
  rm -f "$PID_DIR"/*.pid

  pick_port ETCD_PORT; pick_port ETCD_PEER_PORT; pick_port APISERVER_PORT
  if [[ "$MODE" == full ]]; then pick_port KCM_PORT; pick_port SCHED_PORT; pick_port KWOK_PORT; fi

  ensure_pki
  write_kubeconfig "$DIR/kubeconfig" admin
  cat > "$STATE" <<EOF
KAMADO_CLUSTER_DIR=$DIR
MODE=$MODE
BIN=$BIN
ETCD_PORT=$ETCD_PORT
ETCD_PEER_PORT=$ETCD_PEER_PORT
APISERVER_PORT=$APISERVER_PORT
KCM_PORT=$KCM_PORT
SCHEDULER_PORT=$SCHED_PORT
KWOK_PORT=$KWOK_PORT
APISERVER_URL=https://127.0.0.1:$APISERVER_PORT
KUBECONFIG=$DIR/kubeconfig
EOF
  # Anything failing from here on must not leave half a cluster behind.
  trap 'rc=$?; if [[ $rc != 0 ]]; then log "up failed; stopping what was started"; stop_all; fi' EXIT

  start etcd --name=kamado --data-dir="$DIR/etcd" \
    --listen-client-urls="http://127.0.0.1:$ETCD_PORT" --advertise-client-urls="http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster="kamado=http://127.0.0.1:$ETCD_PEER_PORT" --initial-cluster-state=new \
    --unsafe-no-fsync=true --quota-backend-bytes=4294967296 --log-level=warn
  wait_for etcd "etcd /health on :$ETCD_PORT" http_ok "http://127.0.0.1:$ETCD_PORT/health"

  start kube-apiserver \
    --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$APISERVER_PORT" \
    --tls-cert-file="$CERT_DIR/apiserver.crt" --tls-private-key-file="$CERT_DIR/apiserver.key" \
    --client-ca-file="$CERT_DIR/ca.crt" \
    --requestheader-client-ca-file="$CERT_DIR/front-proxy-ca.crt" --requestheader-allowed-names=front-proxy-client \
    --requestheader-username-headers=X-Remote-User --requestheader-group-headers=X-Remote-Group \
    --requestheader-extra-headers-prefix=X-Remote-Extra- \
    --proxy-client-cert-file="$CERT_DIR/front-proxy-client.crt" --proxy-client-key-file="$CERT_DIR/front-proxy-client.key" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$CERT_DIR/sa.pub" --service-account-signing-key-file="$CERT_DIR/sa.key" \
    --service-cluster-ip-range="$SERVICE_CIDR" \
    --authorization-mode=Node,RBAC \
    --endpoint-reconciler-type=none \
    --allow-privileged=true \
    --profiling=false \
    --cert-dir="$DIR/apiserver-certs"
  wait_for kube-apiserver "kube-apiserver /readyz on :$APISERVER_PORT" \
    http_ok "https://127.0.0.1:$APISERVER_PORT/readyz" "${ADMIN_CURL[@]}"
  t1=$(now_ms)
  log "kube-apiserver ready after $(( (t1 - t0) )) ms"

  if [[ "$MODE" == full ]]; then
    write_kubeconfig "$DIR/kubeconfig-controller-manager" kube-controller-manager
    write_kubeconfig "$DIR/kubeconfig-scheduler" kube-scheduler
    write_kubeconfig "$DIR/kubeconfig-kwok" kwok
    local kcm_kc="$DIR/kubeconfig-controller-manager" sched_kc="$DIR/kubeconfig-scheduler"

    start kube-controller-manager \
      --kubeconfig="$kcm_kc" --authentication-kubeconfig="$kcm_kc" --authorization-kubeconfig="$kcm_kc" \
      --bind-address=127.0.0.1 --secure-port="$KCM_PORT" --cert-dir="$DIR/controller-manager-certs" \
      --leader-elect=false --use-service-account-credentials=true \
      --service-account-private-key-file="$CERT_DIR/sa.key" --root-ca-file="$CERT_DIR/ca.crt" \
      --cluster-signing-cert-file="$CERT_DIR/ca.crt" --cluster-signing-key-file="$CERT_DIR/ca.key" \
      --service-cluster-ip-range="$SERVICE_CIDR" --profiling=false

    cat > "$DIR/scheduler-config.yaml" <<EOF
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
clientConnection:
  kubeconfig: $sched_kc
leaderElection:
  leaderElect: false
EOF
    start kube-scheduler --config="$DIR/scheduler-config.yaml" \
      --authentication-kubeconfig="$sched_kc" --authorization-kubeconfig="$sched_kc" \
      --bind-address=127.0.0.1 --secure-port="$SCHED_PORT" --cert-dir="$DIR/scheduler-certs" --profiling=false

    local -a kwok_cfg=(--config="$HERE/stages/kwok-defaults.yaml" --config="$HERE/stages/kamado-pod-outcomes.yaml")
    local f
    for f in "${EXTRA_KWOK_CONFIG[@]}"; do kwok_cfg+=(--config="$f"); done
    mkdir -p "$DIR/kwok"
    start kwok --kubeconfig="$DIR/kubeconfig-kwok" \
      --manage-all-nodes=false --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
      --node-lease-duration-seconds=40 --cidr="$POD_CIDR" \
      --server-address="127.0.0.1:$KWOK_PORT" "${kwok_cfg[@]}"

    local i nodes=""
    for ((i = 0; i < GPU_NODES; i++)); do nodes+="$(node_yaml "kwok-gpu-$i" gpu 64 512Gi "$GPUS_PER_NODE")"$'\n'; done
    for ((i = 0; i < CPU_NODES; i++)); do nodes+="$(node_yaml "kwok-cpu-$i" cpu 32 128Gi 0)"$'\n'; done
    if [[ -n "$nodes" ]]; then
      printf '%s' "$nodes" > "$DIR/nodes.yaml"
      kc apply -f "$DIR/nodes.yaml" >&2 || die "could not create the kwok nodes (see $DIR/nodes.yaml)"
    fi

    wait_for kube-controller-manager "kube-controller-manager /healthz on :$KCM_PORT" \
      http_ok "https://127.0.0.1:$KCM_PORT/healthz" -k
    wait_for kube-scheduler "kube-scheduler /healthz on :$SCHED_PORT" \
      http_ok "https://127.0.0.1:$SCHED_PORT/healthz" -k
    wait_for kwok "kwok /healthz on :$KWOK_PORT" http_ok "http://127.0.0.1:$KWOK_PORT/healthz"
    wait_for kube-controller-manager "ServiceAccount default/default (created by kube-controller-manager)" \
      kc get serviceaccount default -n default
    if [[ -n "$nodes" ]]; then
      wait_for kwok "kwok nodes Ready" nodes_ready
      wait_for kube-controller-manager "node.kubernetes.io/* taints removed from kwok nodes" nodes_untainted
    fi
  fi
  trap - EXIT
  log "$MODE cluster up in $(( $(now_ms) - t0 )) ms; KUBECONFIG=$DIR/kubeconfig"
  grep -E '^(KAMADO_CLUSTER_DIR|MODE|APISERVER_URL|KUBECONFIG)=' "$STATE"
}
nodes_ready() {
  local out
  out="$(kc get nodes -l kamado.dev/kwok-node=true \
    -o jsonpath='{range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}')" || return 1
  [[ -n "$out" ]] && ! grep -qv '=True$' <<< "$out"
}
nodes_untainted() {
  local out
  out="$(kc get nodes -l kamado.dev/kwok-node=true -o jsonpath='{.items[*].spec.taints[*].key}')" || return 1
  [[ "$out" != *node.kubernetes.io/* ]]
}

cmd_down() {
  BIN="${BIN:-$(state_get BIN)}"
  stop_all
  if [[ "$PURGE" == 1 ]]; then
    log "purging cluster state in $DIR"
    rm -rf "$PID_DIR" "$LOG_DIR" "$CERT_DIR" "$DIR/etcd" "$DIR/kwok" "$DIR"/*-certs "$STATE" \
      "$DIR"/kubeconfig "$DIR"/kubeconfig-* "$DIR/scheduler-config.yaml" "$DIR/nodes.yaml"
    rmdir "$DIR" 2>/dev/null || true
  fi
  log "cluster in $DIR is down"
}

case "$CMD" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  kubectl) BIN="${BIN:-$(state_get BIN)}"; [[ -n "$BIN" ]] || resolve_bin; exec "$BIN/kubectl" --kubeconfig "$DIR/kubeconfig" "${PASSTHRU[@]}" ;;
  -h|--help|help) usage 0 ;;
  *) die "unknown command '$CMD' (up|down|status|kubectl)" ;;
esac
