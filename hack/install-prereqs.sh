#!/usr/bin/env bash
# Installs what `make test` needs on a fresh Debian machine, and skips what is already there:
#   - JDK 17+ and Maven 3.8.7+ (Debian packages openjdk-17-jdk-headless, maven)
#   - Go 1.26+ (only to build the local control plane; Debian's golang package when missing or too old is
#     not enough for Kubernetes 1.36, so a missing Go is reported rather than guessed at)
#   - openssl, curl (certificates and health checks of the local control plane)
#   - python3 with venv (test tooling only: the reference venv of hack/reference/setup-venv.sh)
#   - prometheus (Debian package, ~19 MB): the token-autoscaling tests start it on loopback; they skip without it
# Run as root (CI) or with sudo available. Prints what it did on stderr.
set -euo pipefail

log() { printf '[install-prereqs] %s\n' "$*" >&2; }
missing=()

have() { command -v "$1" >/dev/null 2>&1; }

java_major() {
  java -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}' | cut -d. -f1
}

if ! have java || [ "$(java_major)" -lt 17 ] 2>/dev/null; then missing+=(openjdk-17-jdk-headless); fi
if ! have javac; then missing+=(openjdk-17-jdk-headless); fi
if ! have mvn; then missing+=(maven); fi
if ! have openssl; then missing+=(openssl); fi
if ! have curl; then missing+=(curl); fi
if ! have python3; then missing+=(python3); fi
# Debian's python3 lacks ensurepip unless python3-venv is installed; `python3 -m venv` fails without it.
if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then missing+=(python3-venv); fi
if ! have prometheus; then missing+=(prometheus); fi

if [ ${#missing[@]} -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
else
  log "JDK, Maven, openssl, curl and python3 with venv present"
fi

if ! have go; then
  log "ERROR: Go is needed to build the local control plane (kube-apiserver, etcd, KWOK) from the Go module proxy."
  log "       Install Go 1.26 or newer and run again."
  exit 1
fi
log "$(java -version 2>&1 | head -1); $(mvn -v 2>/dev/null | head -1 | sed 's/\x1b\[[0-9;]*m//g'); $(go version)"
