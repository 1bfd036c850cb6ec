#!/usr/bin/env bash
# Builds bench/vocab_parallel_bench.c against a build of xent with xent_mpi and runs it
# under mpirun -np 1, 2 and 4 (one OpenMP thread per process: the processes are the
# parallelism). Usage: scripts/bench-vocab-parallel.sh [build-dir]
#   build-dir: a meson build with xent_mpi (default: build-vp-bench, configured here with
#   -Dmpi=enabled if missing). Prints the benchmark's table (docs/VOCAB_PARALLEL.md).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$(realpath -m "${1:-$ROOT/build-vp-bench}")"
"$ROOT/scripts/lib/ensure-packages.sh" libopenmpi-dev openmpi-bin
if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" "$ROOT" -Dmpi=enabled -Dtests=disabled -Dbench=disabled >/dev/null
fi
ninja -C "$build" >/dev/null  # -Dtests=disabled: the libraries and examples only
exe="$build/vocab_parallel_bench"
# -rdynamic: the bench's MPI_Allreduce wrapper (byte counter) must interpose libxent_mpi's calls.
mpicc -O2 -std=c11 -Wall -Wextra -rdynamic "$ROOT/bench/vocab_parallel_bench.c" -I"$ROOT/include" \
  -L"$build" -L"$build/mpi" -lxent_mpi -lxent -Wl,-rpath,"$build:$build/mpi" -o "$exe"
echo "xent vocabulary-parallel bench, $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs)"
export OMP_NUM_THREADS=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
header=""
for np in 1 2 4; do
  mpirun -np "$np" --oversubscribe --allow-run-as-root "$exe" $header
  header="--no-header"
done
