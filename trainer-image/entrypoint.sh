#!/bin/sh
# Entrypoint of the Kamado trainer images. libtorch's intra-op threads and OpenMP's threads must agree (and be set
# before the JVM starts) for fast and bitwise-reproducible runs: both default to the CPUs this container may use.
set -eu
threads="${KAMADO_TORCH_THREADS:-$(nproc)}"
export KAMADO_TORCH_THREADS="$threads"
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-$threads}"
export MKL_NUM_THREADS="${MKL_NUM_THREADS:-$threads}"
export MKL_DYNAMIC="${MKL_DYNAMIC:-FALSE}"
# shellcheck disable=SC2086
exec java ${JAVA_OPTS:-} -jar /opt/kamado/kamado-trainer.jar "$@"
