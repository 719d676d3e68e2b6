#!/usr/bin/env bash
# Builds a local Kubernetes control plane (no containers, no downloads of
# prebuilt binaries) from the Go module proxy into a cache outside the work tree:
#
#   kube-apiserver, kube-controller-manager, kube-scheduler, kubectl  (k8s.io/kubernetes)
#   etcd, etcdctl                                                     (go.etcd.io/etcd/{server,etcdctl}/v3)
#   kwok, kwokctl                                                     (sigs.k8s.io/kwok)
#
# Output: ${KAMADO_CACHE:-~/.cache/kamado}/control-plane/k8s-<K8S_VERSION>/bin/
# The bin dir is printed as the LAST line of stdout; all progress goes to stderr:
#
#   BIN=$(hack/control-plane/build.sh | tail -1)
#
# Each binary has a stamp file (bin/.stamps/<name>) recording what it was built
# from; a binary whose stamp matches is not rebuilt, so a warm run takes well
# under a second and does not touch the network or even run `go`.
#
# Environment (all optional):
#   KAMADO_CACHE        cache root (default ~/.cache/kamado)
#   K8S_VERSION         default v1.36.3   (staging modules use v0.<minor>.<patch>)
#   ETCD_VERSION        default v3.6.16
#   KWOK_VERSION        default v0.8.0
#   KAMADO_BUILD_JOBS   go build -p value (default 2; kube-apiserver's link needs a few GB)
#   KAMADO_FORCE_BUILD  set to 1 to ignore stamps and rebuild everything
#   GOTOOLCHAIN         default "local" (k8s v1.36 needs go >= 1.26.0)
#
# Wrapper modules live in <cache>/control-plane/k8s-<ver>/build/{kubernetes,etcd,kwok};
# the k8s one is generated from hack/control-plane/go.mod.tmpl.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

K8S_VERSION="${K8S_VERSION:-v1.36.3}"
ETCD_VERSION="${ETCD_VERSION:-v3.6.16}"
KWOK_VERSION="${KWOK_VERSION:-v0.8.0}"
JOBS="${KAMADO_BUILD_JOBS:-2}"
CACHE_ROOT="${KAMADO_CACHE:-${HOME}/.cache/kamado}"
CP_DIR="${CACHE_ROOT}/control-plane/k8s-${K8S_VERSION}"
BIN_DIR="${CP_DIR}/bin"
BUILD_DIR="${CP_DIR}/build"
STAMP_DIR="${BIN_DIR}/.stamps"
# Bump when the build recipe (flags, ldflags, wrapper layout) changes.
RECIPE_REV=1

K8S_BINS=(kube-apiserver kube-controller-manager kube-scheduler kubectl)
ETCD_BINS=(etcd etcdctl)
KWOK_BINS=(kwok kwokctl)

log() { printf '[build.sh] %s\n' "$*" >&2; }
die() { printf '[build.sh] ERROR: %s\n' "$*" >&2; exit 1; }

stamp_for() { # name -> expected stamp contents
  case "$1" in
    kube-*|kubectl) echo "$1 k8s.io/kubernetes@${K8S_VERSION} recipe=${RECIPE_REV}" ;;
    etcd|etcdctl)   echo "$1 go.etcd.io/etcd@${ETCD_VERSION} recipe=${RECIPE_REV}" ;;
    kwok|kwokctl)   echo "$1 sigs.k8s.io/kwok@${KWOK_VERSION} recipe=${RECIPE_REV}" ;;
    *) die "unknown binary $1" ;;
  esac
}
is_fresh() { # name
  [[ "${KAMADO_FORCE_BUILD:-0}" != 1 ]] || return 1
  [[ -x "${BIN_DIR}/$1" && -f "${STAMP_DIR}/$1" ]] || return 1
  [[ "$(cat "${STAMP_DIR}/$1")" == "$(stamp_for "$1")" ]]
}
missing_of() { # names... -> prints the ones that need building
  local n
  for n in "$@"; do is_fresh "$n" || echo "$n"; done
}

mkdir -p "${BIN_DIR}" "${STAMP_DIR}"

# Fast path: everything fresh -> no go, no lock, no network.
mapfile -t TODO < <(missing_of "${K8S_BINS[@]}" "${ETCD_BINS[@]}" "${KWOK_BINS[@]}")
if [[ ${#TODO[@]} -eq 0 ]]; then
  log "all binaries up to date in ${BIN_DIR}"
  echo "${BIN_DIR}"
  exit 0
fi

command -v go >/dev/null 2>&1 || die "go is not on PATH (need go >= 1.26 to build ${TODO[*]})"

# Serialise concurrent builders (e.g. make + a test harness) on one cache dir.
if command -v flock >/dev/null 2>&1; then
  exec 9>"${CP_DIR}/.build.lock"
  if ! flock -n 9; then
    log "another build.sh is running on ${CP_DIR}; waiting for it"
    flock 9
  fi
  mapfile -t TODO < <(missing_of "${K8S_BINS[@]}" "${ETCD_BINS[@]}" "${KWOK_BINS[@]}")
  if [[ ${#TODO[@]} -eq 0 ]]; then echo "${BIN_DIR}"; exit 0; fi
fi

export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
export GOFLAGS="-mod=mod -buildvcs=false"
export GOWORK=off
export CGO_ENABLED=0
GOMODCACHE="$(go env GOMODCACHE)"
log "using $(go version) (GOTOOLCHAIN=${GOTOOLCHAIN}), -p ${JOBS}; building: ${TODO[*]}"

# go mod download outside any module (GOFLAGS=-mod=mod is rejected there).
gomoddl() { (cd "${BUILD_DIR}" && GOFLAGS=-buildvcs=false go mod download "$@"); }

# Prints a field ("Time", "Hash") of <modcache>/cache/download/<mod>/@v/<ver>.info, or "".
info_field() {
  local f="${GOMODCACHE}/cache/download/$1/@v/$2.info"
  [[ -f "$f" ]] || return 0
  sed -n "s/.*\"$3\":\"\\([^\"]*\\)\".*/\\1/p" "$f" | head -1
}

# go_build <name> <pkg> <ldflags>   (run inside a wrapper module dir)
go_build() {
  local name="$1" pkg="$2" ldflags="$3" t0=$SECONDS
  log "building ${name} (${pkg}) ..."
  if ! go build -p "${JOBS}" -trimpath -ldflags "${ldflags}" -o "${BIN_DIR}/.${name}.tmp" "${pkg}" >&2; then
    rm -f "${BIN_DIR}/.${name}.tmp"
    die "failed to build ${name} from ${pkg} (wrapper module: $(pwd)); see the go output above"
  fi
  mv -f "${BIN_DIR}/.${name}.tmp" "${BIN_DIR}/${name}"
  stamp_for "${name}" > "${STAMP_DIR}/${name}"
  log "built ${name} in $((SECONDS - t0))s ($(du -h "${BIN_DIR}/${name}" | cut -f1))"
}

needs() { # name -> true if in TODO
  local n
  for n in "${TODO[@]}"; do [[ "$n" == "$1" ]] && return 0; done
  return 1
}

build_kubernetes() {
  local n any=0
  for n in "${K8S_BINS[@]}"; do needs "$n" && any=1; done
  [[ $any == 1 ]] || return 0

  local dir="${BUILD_DIR}/kubernetes" mod="k8s.io/kubernetes" staging_ver
  [[ "${K8S_VERSION}" =~ ^v1\.([0-9]+)\.([0-9]+)$ ]] || die "K8S_VERSION must look like v1.X.Y, got ${K8S_VERSION}"
  staging_ver="v0.${BASH_REMATCH[1]}.${BASH_REMATCH[2]}"
  local major=1 minor="${BASH_REMATCH[1]}"
  mkdir -p "${dir}"

  log "resolving ${mod}@${K8S_VERSION} ..."
  gomoddl "${mod}@${K8S_VERSION}" >&2 || die "cannot download ${mod}@${K8S_VERSION} (needed for ${K8S_BINS[*]})"
  local kmod="${GOMODCACHE}/cache/download/${mod}/@v/${K8S_VERSION}.mod"
  [[ -f "$kmod" ]] || die "missing ${kmod} after download"

  # Every module that k8s.io/kubernetes replaces with ./staging/... .
  local -a staging
  mapfile -t staging < <(awk '$2 == "=>" && $3 ~ /^\.\/staging\// {print $1}' "$kmod")
  [[ ${#staging[@]} -gt 0 ]] || die "found no staging replaces in ${kmod}"
  local -a wanted=()
  for n in "${staging[@]}"; do wanted+=("${n}@${staging_ver}"); done
  # Some (sample-*) are never tagged; tolerate failures and check per module.
  gomoddl "${wanted[@]}" >/dev/null 2>&1 || true
  local replaces="replace (" stubbed=()
  for n in "${staging[@]}"; do
    if [[ -f "${GOMODCACHE}/cache/download/${n}/@v/${staging_ver}.mod" ]]; then
      replaces+=$'\n'"	${n} => ${n} ${staging_ver}"
    else
      mkdir -p "${dir}/stubs/${n}"
      printf 'module %s\n\ngo 1.26.0\n' "${n}" > "${dir}/stubs/${n}/go.mod"
      replaces+=$'\n'"	${n} => ./stubs/${n}"
      stubbed+=("${n}")
    fi
  done
  replaces+=$'\n'")"
  [[ ${#stubbed[@]} -eq 0 ]] || log "no ${staging_ver} tag for: ${stubbed[*]} -> empty local stub (not imported by the built binaries)"

  local tmpl
  tmpl="$(grep -v '^//' "${HERE}/go.mod.tmpl")"
  tmpl="${tmpl//@K8S_VERSION@/${K8S_VERSION}}"
  tmpl="${tmpl//@STAGING_REPLACES@/${replaces}}"
  # Only rewrite go.mod when it changed, so go's own additions survive warm-ish runs.
  if [[ ! -f "${dir}/go.mod.src" || "$(<"${dir}/go.mod.src")" != "${tmpl}" ]]; then
    printf '%s\n' "${tmpl}" > "${dir}/go.mod"
    printf '%s\n' "${tmpl}" > "${dir}/go.mod.src"
  fi

  local build_date commit ld pkgpath
  build_date="$(info_field "${mod}" "${K8S_VERSION}" Time)"
  build_date="${build_date:-1970-01-01T00:00:00Z}"
  commit="$(info_field "${mod}" "${K8S_VERSION}" Hash)"
  commit="${commit:-unknown}"
  ld="-s -w"
  for pkgpath in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
    ld+=" -X '${pkgpath}.gitVersion=${K8S_VERSION}' -X '${pkgpath}.gitMajor=${major}' -X '${pkgpath}.gitMinor=${minor}'"
    ld+=" -X '${pkgpath}.gitCommit=${commit}' -X '${pkgpath}.gitTreeState=clean' -X '${pkgpath}.buildDate=${build_date}'"
  done

  (
    cd "${dir}"
    # kube-apiserver first: it is the biggest; the rest mostly reuse its build cache.
    for n in "${K8S_BINS[@]}"; do
      needs "$n" && go_build "$n" "k8s.io/kubernetes/cmd/$n" "${ld}"
    done
    true
  )
}

# write_wrapper <dir> <module-name> <require-lines...>
write_wrapper() {
  local dir="$1" name="$2" content r
  shift 2
  content="module ${name}"$'\n\n'"go 1.26.0"$'\n\n'"require ("
  for r in "$@"; do content+=$'\n'"	${r}"; done
  content+=$'\n'")"
  mkdir -p "${dir}"
  if [[ ! -f "${dir}/go.mod.src" || "$(<"${dir}/go.mod.src")" != "${content}" ]]; then
    printf '%s\n' "${content}" > "${dir}/go.mod"
    printf '%s\n' "${content}" > "${dir}/go.mod.src"
  fi
}

build_etcd() {
  needs etcd || needs etcdctl || return 0
  local dir="${BUILD_DIR}/etcd"
  write_wrapper "${dir}" kamado.local/control-plane-build/etcd \
    "go.etcd.io/etcd/server/v3 ${ETCD_VERSION}" "go.etcd.io/etcd/etcdctl/v3 ${ETCD_VERSION}"
  local commit ld="-s -w"
  commit="$(info_field go.etcd.io/etcd/server/v3 "${ETCD_VERSION}" Hash)"
  [[ -z "${commit}" ]] || ld+=" -X 'go.etcd.io/etcd/api/v3/version.GitSHA=${commit:0:9}'"
  (
    cd "${dir}"
    # etcd's main package is the root of the server module (server/main.go).
    needs etcd && go_build etcd go.etcd.io/etcd/server/v3 "${ld}"
    needs etcdctl && go_build etcdctl go.etcd.io/etcd/etcdctl/v3 "${ld}"
    true
  )
}

build_kwok() {
  needs kwok || needs kwokctl || return 0
  local dir="${BUILD_DIR}/kwok"
  write_wrapper "${dir}" kamado.local/control-plane-build/kwok "sigs.k8s.io/kwok ${KWOK_VERSION}"
  local ld="-s -w -X 'sigs.k8s.io/kwok/pkg/consts.Version=${KWOK_VERSION}' -X 'sigs.k8s.io/kwok/pkg/consts.KubeVersion=${K8S_VERSION#v}'"
  (
    cd "${dir}"
    needs kwok && go_build kwok sigs.k8s.io/kwok/cmd/kwok "${ld}"
    needs kwokctl && go_build kwokctl sigs.k8s.io/kwok/cmd/kwokctl "${ld}"
    true
  )
}

T0=$SECONDS
# Small ones first so a broken k8s build still leaves etcd/kwok usable.
build_etcd
build_kwok
build_kubernetes

mapfile -t LEFT < <(missing_of "${K8S_BINS[@]}" "${ETCD_BINS[@]}" "${KWOK_BINS[@]}")
[[ ${#LEFT[@]} -eq 0 ]] || die "not built: ${LEFT[*]}"
log "done in $((SECONDS - T0))s; binaries in ${BIN_DIR}"
echo "${BIN_DIR}"
