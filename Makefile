# Kamado: the commands that do everything on a fresh machine.
#   make demo   the main job (no cluster needed)
#   make test   every test this machine can run (unit, API server, KWOK cluster, processes)
# See README.md.

SHELL := /bin/bash
MVN ?= mvn
MVN_FLAGS ?= -B -ntp
DEV_CLUSTER_DIR := $(CURDIR)/target/dev-cluster

.PHONY: help prereqs control-plane reference-venv build crds test unit-test demo bench dev-cluster dev-cluster-down clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

prereqs: ## install what a fresh Debian machine lacks (JDK 17, Maven, openssl, curl)
	@hack/install-prereqs.sh

control-plane: prereqs ## build kube-apiserver, controller-manager, scheduler, kubectl, etcd, KWOK into ~/.cache/kamado
	@hack/control-plane/build.sh >/dev/null

reference-venv: prereqs ## Python torch + transformers + peft (test tooling only) in ~/.cache/kamado/reference-venv
	@hack/reference/setup-venv.sh >/dev/null

build: prereqs ## build the jars (operator/target/kamado-operator.jar, ...) without running tests
	$(MVN) $(MVN_FLAGS) install -DskipTests

crds: prereqs ## regenerate crds/ and charts/kamado/crds/ from the API classes
	$(MVN) $(MVN_FLAGS) -pl api -am process-classes -Dkamado.crds.update=true

test: control-plane ## run every test tier this machine can run (reference checks included)
	@py="$$(hack/reference/setup-venv.sh)" && \
	  $(MVN) $(MVN_FLAGS) install -Dkamado.reference.python="$$py"

unit-test: prereqs ## unit tests only (no control plane, no processes)
	$(MVN) $(MVN_FLAGS) install -DskipITs

demo: prereqs ## the end-to-end triage demo (generate, init, fine-tune, serve, evaluate) -> target/demo/report.json
	$(MVN) $(MVN_FLAGS) -q package -DskipTests -pl trainer-image,server-image,demo -am
	OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 java -jar demo/target/kamado-demo.jar run --out target/demo
	java -jar demo/target/kamado-demo.jar readme-table --report target/demo/report.json --readme README.md

bench: control-plane ## benchmarks: print figures and ratios against baselines measured in the same run
	@py="$$(hack/reference/setup-venv.sh)" && \
	  $(MVN) $(MVN_FLAGS) -Pbench install -Dkamado.reference.python="$$py"

dev-cluster: control-plane build ## start a local KWOK cluster with fake GPU nodes and Kamado's CRDs
	@hack/dev-cluster.sh up "$(DEV_CLUSTER_DIR)"

dev-cluster-down: ## stop the local cluster and leave nothing running
	@hack/dev-cluster.sh down "$(DEV_CLUSTER_DIR)"

clean: ## remove build outputs (the control-plane cache in ~/.cache/kamado stays)
	$(MVN) $(MVN_FLAGS) -q clean
