#!/usr/bin/env bash
# Benchmark xent against its peers and write bench/RESULTS.md and bench/results.png.
# Installs what it needs (apt), builds build-bench/ (release, no tests), runs xent_bench
# (a few minutes) through bench/report.py. Extra arguments go to xent_bench, e.g.
#   scripts/bench.sh --benchmark_filter='/(L2|vocab)/'
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

scripts/lib/ensure-packages.sh g++ meson ninja-build pkg-config libxsimd-dev libbenchmark-dev \
  libdnnl-dev libxnnpack-dev libpthreadpool-dev libsleef-dev libtorch-dev python3-matplotlib

build=build-bench
opts=(-Dbuildtype=release -Dtests=disabled -Dbench=enabled)
if [ -f "$build/build.ninja" ]; then
  meson configure "$build" "${opts[@]}" >/dev/null
else
  meson setup "$build" "${opts[@]}" >/dev/null
fi
ninja -C "$build" bench/xent_bench

read -r load _ < /proc/loadavg
if awk -v l="$load" 'BEGIN { exit !(l > 0.5) }'; then
  echo "warning: load average $load: other processes share the cores; 2-thread results will suffer" >&2
fi
XENT_BENCH_COMMAND="scripts/bench.sh${*:+ $*}" /usr/bin/python3 bench/report.py \
  --bench "$build/bench/xent_bench" --json-out "$build/xent_bench.json" -- "$@"
