#!/usr/bin/env bash
# Bitwise determinism: the same checksums for 1, 2, 3 and 8 threads, in the OpenMP build
# and in a -Dopenmp=disabled build (which also runs the whole Catch2 suite once).
# Last line: "N passed, M failed".
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib/catch2-count.sh"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
serial="${BUILD_DIR:?}/../build-serial"
pass=0 fail=0
result() { if [ "$1" -eq 0 ]; then pass=$((pass + 1)); echo "ok: $2"; else fail=$((fail + 1)); echo "FAILED: $2"; fi; }

# At -O1: a third less compile time than release, and the same bits (no fast-math; every
# fused multiply-add is explicit), which the comparison below checks.
if [ ! -f "$serial/build.ninja" ]; then
  meson setup "$serial" "$root" -Dopenmp=disabled -Dbench=disabled -Dbuildtype=plain -Dcpp_args=-O1 >"$serial.setup.log" 2>&1 || cat "$serial.setup.log"
fi
ninja -C "$serial" tests/xent_tests tests/determinism/xent_dump_results >"$serial.ninja.log" 2>&1
result $? "the -Dopenmp=disabled build builds" || true

want="$("$BUILD_DIR/tests/determinism/xent_dump_results" 1)"
echo "$want"
for t in 2 3 8; do
  [ "$("$BUILD_DIR/tests/determinism/xent_dump_results" "$t")" = "$want" ]
  result $? "OpenMP build, $t threads: same bits as 1 thread"
done
[ "$("$serial/tests/determinism/xent_dump_results" 4)" = "$want" ]
result $? "serial build: same bits as the OpenMP build"

out="$("$serial/tests/xent_tests" 2>&1)"
echo "$out" | tail -3
read -r p f < <(catch2_count "$out")
pass=$((pass + p)) fail=$((fail + f))
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
