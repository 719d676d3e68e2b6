#!/usr/bin/env bash
# make dev-cluster / make dev-cluster-down: a local KWOK cluster (kube-apiserver, etcd, controller-manager,
# scheduler, kwok with fake GPU nodes) with Kamado's CRDs installed, for trying the operator on this machine.
#   hack/dev-cluster.sh up DIR     start it (reuses a running one), kubeconfig in DIR/kubeconfig
#   hack/dev-cluster.sh down DIR   stop every process and delete DIR's cluster state
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
cmd="${1:?usage: dev-cluster.sh up|down DIR}"
dir="${2:?usage: dev-cluster.sh up|down DIR}"

case "$cmd" in
  up)
    bin="$("$HERE/control-plane/build.sh" | tail -1)"
    "$HERE/control-plane/cluster.sh" up --dir "$dir" --mode full --bin "$bin" >/dev/null
    "$bin/kubectl" --kubeconfig "$dir/kubeconfig" apply --server-side --force-conflicts -f "$ROOT/crds/" >/dev/null
    "$bin/kubectl" --kubeconfig "$dir/kubeconfig" wait --for=condition=Established --timeout=60s \
      crd/finetunejobs.kamado.dev crd/modelservers.kamado.dev >/dev/null
    # No storage provisioner runs here: offer a few volumes that claims without a storage class (as in
    # examples/storage.yaml) bind to, so training pods can be scheduled.
    for i in 0 1 2 3 4 5; do
      cat <<PV
apiVersion: v1
kind: PersistentVolume
metadata:
  name: dev-volume-$i
  labels: {kamado.dev/dev-cluster: "true"}
spec:
  capacity: {storage: 500Gi}
  accessModes: [ReadWriteOnce, ReadWriteMany]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: ""
  hostPath: {path: /tmp/kamado-dev-cluster/volume-$i}
---
PV
    done | "$bin/kubectl" --kubeconfig "$dir/kubeconfig" apply -f - >/dev/null
    rel_dir="${dir#"$ROOT"/}"
    cat <<MSG
Local cluster is up ($(cd "$ROOT" && "$bin/kubectl" --kubeconfig "$dir/kubeconfig" get nodes --no-headers | wc -l) fake nodes, 6 volumes for claims to bind, Kamado CRDs installed).

  export KUBECONFIG=$rel_dir/kubeconfig
  export PATH=$bin:\$PATH            # kubectl v1.36 built for this cluster
  kubectl get nodes -L nvidia.com/gpu.present

Run the operator against it (in another terminal, same KUBECONFIG):
  java -jar operator/target/kamado-operator.jar --http-port 8080

Then create resources and watch them:
  kubectl create namespace demo
  kubectl apply -n demo -f examples/storage.yaml -f examples/finetunejob-sft-lora.yaml -f examples/modelserver-triage.yaml
  kubectl get kamado -n demo
  curl -s localhost:8080/metrics | grep kamado_operator

Stop everything with: make dev-cluster-down
MSG
    ;;
  down)
    "$HERE/control-plane/cluster.sh" down --dir "$dir" --purge >/dev/null
    echo "Local cluster in $dir stopped; nothing is left running."
    ;;
  *)
    echo "usage: dev-cluster.sh up|down DIR" >&2
    exit 2
    ;;
esac
