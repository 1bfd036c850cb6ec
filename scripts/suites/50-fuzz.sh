#!/usr/bin/env bash
# Fuzzing: builds the libFuzzer target tests/fuzz/fuzz_xent.cpp with clang-14
# (-fsanitize=fuzzer,address,undefined) against libxent.a compiled by clang with coverage
# and the same sanitizers (its own meson build dir under BUILD_DIR), then fuzzes for
# XENT_FUZZ_SECONDS (default 60) from the committed seed corpus. Any finding (crash,
# sanitizer report, oracle mismatch) fails. Last line: "1 passed, 0 failed" when clean.
set -uo pipefail

: "${BUILD_DIR:?BUILD_DIR must name a built meson build directory}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
seconds="${XENT_FUZZ_SECONDS:-60}"
fuzz_build="$BUILD_DIR/hostile-fuzz"
work="$fuzz_build/run"
result() { echo "$1 passed, $2 failed"; [ "$2" -eq 0 ]; exit $?; }

"$root/scripts/lib/ensure-packages.sh" clang-14 libclang-rt-14-dev meson ninja-build libxsimd-dev \
  || result 0 1

# The library, instrumented for coverage and sanitized, at -O1 to build fast; OpenMP off (the
# fuzzed shapes are far below the parallel threshold).
if [ ! -f "$fuzz_build/build.ninja" ]; then
  CC=clang-14 CXX=clang++-14 meson setup "$fuzz_build" "$root" -Dtests=disabled -Dbench=disabled \
    -Dopenmp=disabled -Ddefault_library=static -Dbuildtype=plain -Db_lundef=false \
    -Db_sanitize=address,undefined -Disas=avx2,scalar \
    -Dcpp_args="-O1 -gline-tables-only -fsanitize=fuzzer-no-link -fno-sanitize-recover=all" \
    >"$fuzz_build.setup.log" 2>&1 || { cat "$fuzz_build.setup.log"; result 0 1; }
fi
start=$SECONDS
ninja -C "$fuzz_build" libxent.a >"$fuzz_build/ninja.log" 2>&1 || { tail -40 "$fuzz_build/ninja.log"; result 0 1; }
target="$fuzz_build/fuzz_xent"
clang++-14 -std=c++17 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
  -I "$root/include" -I "$root/src" "$root/tests/fuzz/fuzz_xent.cpp" "$fuzz_build/libxent.a" -lm \
  -o "$target" || result 0 1
echo "built $target in $((SECONDS - start)) s"

# New inputs go to a scratch corpus; the committed seeds are only read.
mkdir -p "$work/corpus" "$work/artifacts"
cd "$work" || result 0 1
ASAN_OPTIONS="halt_on_error=1:detect_leaks=1" UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1" \
  "$target" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096 -max_len=4096 -print_final_stats=1 \
  -artifact_prefix="$work/artifacts/" "$work/corpus" "$root/tests/fuzz/corpus" 2>&1 | tail -60
rc=${PIPESTATUS[0]}
if [ "$rc" -ne 0 ] || compgen -G "$work/artifacts/*" >/dev/null; then
  echo "fuzzing found a problem (exit $rc); reproduce with: $target <artifact>"
  ls "$work/artifacts"
  result 0 1
fi
result 1 0
