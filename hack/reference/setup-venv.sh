#!/usr/bin/env bash
# Kamado reference environment: Python torch + transformers + peft used ONLY as
# test/bench tooling (reference logits on tiny random models). Never shipped.
#
# Creates ${KAMADO_CACHE:-~/.cache/kamado}/reference-venv (outside the work tree)
# from hack/reference/requirements.txt (fully pinned), with pip's cache in
# ${KAMADO_CACHE:-~/.cache/kamado}/pip-cache (wheelhouse/ holds the pinned
# wheels, so a rebuild needs no network). Idempotent: when the venv's stamp
# matches the hash of requirements.txt + SETUP_VERSION + the Python version, and
# the venv still imports, nothing is installed. Progress goes to stderr; the
# LAST (and only) stdout line is the venv's python path. Any failure exits
# non-zero with a loud message naming what could not be installed and why.
#
# Env: KAMADO_CACHE (cache root), KAMADO_PYTHON (interpreter to base the venv
# on; default python3, must be 3.11-3.13), KAMADO_REFERENCE_FORCE=1 (rebuild).
#
# ---- Which torch, and why (measured 2026-11 on the 2-core dev machine) ----
# Only the configured package index (PyPI) is reachable; it has no official
# CPU-only torch for Linux x86_64. Options examined for torch 2.7.1 (= DJL's
# libtorch 2.7.1):
#  (a) plain `pip install torch==2.7.1`: torch wheel 821 MB + 14 nvidia-*-cu12
#      wheels + triton = 2.8 GB download, 5.4 GB venv. WORKS on CPU
#      (torch.cuda.is_available() is simply False).
#  (b) `pip install --no-deps torch==2.7.1` + only the pure-Python deps
#      (filelock, typing-extensions, sympy, networkx, jinja2, fsspec, mpmath,
#      MarkupSafe): 1.8 GB venv, but `import torch` FAILS on a CPU-only use:
#        OSError: libcudart.so.12: cannot open shared object file
#        ValueError: libcublas.so.*[0-9] not found in the system path [...]
#      The PyPI wheel is linked against CUDA at load time: libtorch_cpu.so has
#      DT_NEEDED libcudart.so.12 + libcupti.so.12; libtorch.so needs
#      libtorch_cuda.so, which needs cudart, cublas/cublasLt, cudnn, cufft,
#      curand, cusparse (+nvjitlink), cusparseLt, cufile and nccl. Only triton
#      (155 MB), cusolver (158 MB), nvrtc (24 MB) and nvtx are loaded lazily,
#      so a hand-picked subset (untested) could save ~12 % of the download at the cost of
#      a broken dependency set (`pip check` fails) - not worth it.
#  (c) other "CPU-only" distributions on PyPI are third-party repackagings
#      (e.g. Windows-ARM64 or Poetry shims), not PyTorch's own builds: rejected.
#      Newer torch on PyPI (checked 2.10.0, 2.15.0) also pulls CUDA wheels.
# Chosen: (a), fully pinned (43 wheels). Measured on the 2-core dev machine:
#   cold (empty cache): 85-108 s wall, 2.9 GB downloaded into the wheelhouse,
#   venv 5.4 GB (nvidia/ 2.7 GB, torch/ 1.6 GB, triton/ 0.5 GB);
#   rebuild from the wheelhouse (offline): ~90 s; up to date (stamp hit): ~4 s.
#   The index served ~100 MB/s here; on a slow link the cold run is longer.
# CUDA is never used: the reference scripts run torch on CPU only.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REQS="$HERE/requirements.txt"
CACHE_ROOT="${KAMADO_CACHE:-$HOME/.cache/kamado}"
VENV="$CACHE_ROOT/reference-venv"
PIP_CACHE="$CACHE_ROOT/pip-cache"
WHEELHOUSE="$PIP_CACHE/wheelhouse"
STAMP="$VENV/.kamado-reference-stamp"
LOG="$CACHE_ROOT/reference-venv-install.log"
BASE_PY="${KAMADO_PYTHON:-python3}"
MIN_FREE_GB=9

log() { echo "[reference-venv] $*" >&2; }
die() {
  {
    echo
    echo "######################################################################"
    echo "## KAMADO REFERENCE VENV SETUP FAILED"
    echo "## $1"
    [ $# -ge 2 ] && echo "## $2"
    echo "## venv: $VENV"
    [ -f "$LOG" ] && echo "## full log: $LOG"
    echo "######################################################################"
  } >&2
  exit 1
}

[ -f "$REQS" ] || die "requirements file missing: $REQS"
command -v "$BASE_PY" >/dev/null 2>&1 || die "python interpreter '$BASE_PY' not found" \
  "set KAMADO_PYTHON to a Python 3.11-3.13 interpreter"
PYVER="$("$BASE_PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" \
  || die "cannot run '$BASE_PY'"
case "$PYVER" in
  3.11|3.12|3.13) ;;
  *) die "Python $PYVER is not supported (torch 2.7.1 + pinned numpy need 3.11-3.13)" \
       "set KAMADO_PYTHON to a Python 3.11-3.13 interpreter" ;;
esac
"$BASE_PY" -c 'import venv, ensurepip' 2>/dev/null \
  || die "'$BASE_PY' lacks the venv/ensurepip modules" "on Debian: apt-get install python3-venv"

# Bump when a change to this script must rebuild existing venvs.
SETUP_VERSION=1
HASH="$( { cat "$REQS"; echo "setup=$SETUP_VERSION python=$PYVER"; uname -sm; } \
  | sha256sum | cut -d' ' -f1)"

SMOKE='
import torch, transformers, peft, safetensors, tokenizers, numpy
a = torch.randn(3, 3)
assert (a @ torch.eye(3)).allclose(a)
print("torch", torch.__version__, "transformers", transformers.__version__,
      "peft", peft.__version__, "cuda_available", torch.cuda.is_available())
'

mkdir -p "$CACHE_ROOT" || die "cannot create cache dir $CACHE_ROOT"

# Serialize concurrent callers (e.g. parallel test JVMs).
if command -v flock >/dev/null 2>&1; then
  exec 9>"$CACHE_ROOT/reference-venv.lock"
  flock 9
fi

if [ "${KAMADO_REFERENCE_FORCE:-0}" != 1 ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$HASH" ] \
   && [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "$SMOKE" >/dev/null 2>&1; then
  log "up to date ($VENV)"
  echo "$VENV/bin/python"
  exit 0
fi

FREE_KB="$(df -Pk "$CACHE_ROOT" | awk 'NR==2 {print $4}')"
if [ -n "$FREE_KB" ] && [ "$FREE_KB" -lt $((MIN_FREE_GB * 1024 * 1024)) ]; then
  die "not enough disk space in $CACHE_ROOT: $((FREE_KB / 1024 / 1024)) GiB free, need ~${MIN_FREE_GB} GiB" \
      "torch from the package index brings 2.9 GB of wheels incl. CUDA runtimes (5.4 GB installed)"
fi

log "building $VENV (Python $PYVER); first run downloads ~2.9 GB, takes minutes"
START=$(date +%s)
rm -rf "$VENV"
"$BASE_PY" -m venv "$VENV" >"$LOG" 2>&1 || die "could not create the venv with '$BASE_PY -m venv'" \
  "$(tail -n 3 "$LOG" 2>/dev/null | tr '\n' ' ')"

export PIP_CACHE_DIR="$PIP_CACHE" PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
# The index here serves wheels without Cache-Control/ETag headers, so pip's own
# HTTP cache stores nothing; keep an explicit wheelhouse instead. Install from
# it offline; only when a pinned wheel is missing, fetch the missing ones.
PIP=("$VENV/bin/python" -m pip)
mkdir -p "$WHEELHOUSE"
if ! "${PIP[@]}" install --progress-bar off --no-index --find-links "$WHEELHOUSE" \
     --only-binary=:all: -r "$REQS" >>"$LOG" 2>&1; then
  log "wheelhouse incomplete; downloading the missing pinned wheels from the package index"
  MARK=$(wc -l <"$LOG")
  if ! "${PIP[@]}" download --progress-bar off --only-binary=:all: -d "$WHEELHOUSE" \
       -r "$REQS" >>"$LOG" 2>&1; then
    WHAT="$(tail -n +"$((MARK + 1))" "$LOG" | grep -E '^(ERROR|error):' | tail -n 5 | tr '\n' ' ')"
    die "pip could not download the pinned packages from $REQS" \
        "${WHAT:-see the log}  (no network to the package index? disk full? no wheel for this platform?)"
  fi
  if ! "${PIP[@]}" install --progress-bar off --no-index --find-links "$WHEELHOUSE" \
       --only-binary=:all: -r "$REQS" >>"$LOG" 2>&1; then
    WHAT="$(grep -E '^(ERROR|error):' "$LOG" | tail -n 5 | tr '\n' ' ')"
    die "pip could not install the pinned packages from $REQS" "${WHAT:-see the log}"
  fi
fi
"$VENV/bin/python" -m pip check >>"$LOG" 2>&1 || die "installed packages are inconsistent (pip check)" \
  "$(tail -n 5 "$LOG" | tr '\n' ' ')"
if ! OUT="$("$VENV/bin/python" -c "$SMOKE" 2>&1)"; then
  echo "$OUT" >>"$LOG"
  die "installed, but the smoke test (import torch/transformers/peft; CPU matmul) failed" \
      "$(echo "$OUT" | tail -n 3 | tr '\n' ' ')"
fi
echo "$HASH" >"$STAMP"
log "$OUT"
log "done in $(( $(date +%s) - START )) s; venv size $(du -sh "$VENV" | cut -f1)"
echo "$VENV/bin/python"
