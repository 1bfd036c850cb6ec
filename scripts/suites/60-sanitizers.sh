#!/usr/bin/env bash
# Sanitizers: a separate meson build of the library and its Catch2 suites with
# -Db_sanitize=address,undefined, in BUILD_DIR/hostile-asan. Runs tests/xent_tests and
# tests/hostile (without its 8 GiB case), whichever tests/meson.build builds, under the
# scalar and avx2 paths (the two at once: the tests are single-threaded), halting on the
# first sanitizer report. Built by clang-14 at -O1 -g1, line numbers in reports: the build
# is this suite's cost, and clang compiles the sanitized kernels in half the time of g++
# (measured on a Zen 4 2-vCPU machine: 128 s against 224 s for the same targets). The g++
# builds of 10-catch2 cover the other compiler. Clang 14 has no x86 _Float16, so the one test
# that compares with it is compiled out here (it runs in 10-catch2).
# Last line: "N passed, M failed" summing the Catch2 test cases; exits 0 only if M is 0.
set -uo pipefail

: "${BUILD_DIR:?BUILD_DIR must name a built meson build directory}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
asan="$BUILD_DIR/hostile-asan"
# shellcheck source=70-hostile.sh
source "$root/scripts/suites/70-hostile.sh"  # run_catch2, passed, failed, skipped
"$root/scripts/lib/ensure-packages.sh" clang-14 libclang-rt-14-dev libomp-14-dev meson ninja-build \
  || { echo "0 passed, 1 failed"; exit 1; }

if [ ! -f "$asan/build.ninja" ]; then
  CC=clang-14 CXX=clang++-14 meson setup "$asan" "$root" -Db_sanitize=address,undefined -Db_lundef=false -Dbench=disabled \
    -Dbuildtype=plain -Dcpp_args="-O1 -g1" -Dtests=enabled -Disas=avx2,scalar >"$asan.setup.log" 2>&1 \
    || { cat "$asan.setup.log"; echo "0 passed, 1 failed"; exit 1; }
fi
# Only the test binaries (not the exhaustive ulp sweep, far too slow under ASan).
# The target list is read whole first: ninja writes it line by line, so a `grep -q` reading
# the pipe would exit at its match and SIGPIPE ninja, failing the pipeline under pipefail.
targets=() all_targets="$(ninja -C "$asan" -t targets all 2>&1)"
for t in tests/xent_tests tests/hostile/xent_hostile; do
  [[ $'\n'"$all_targets" == *$'\n'"$t:"* ]] && targets+=("$t")
done
if [ ${#targets[@]} -eq 0 ]; then
  echo "no test targets in $asan (ninja -t targets all printed:)"; echo "$all_targets" | tail -20
  echo "0 passed, 1 failed"; exit 1
fi
start=$SECONDS
if ! ninja -C "$asan" "${targets[@]}" >"$asan/ninja.log" 2>&1; then
  tail -40 "$asan/ninja.log" 2>/dev/null
  echo "0 passed, 1 failed"
  exit 1
fi
echo "built ${targets[*]} with ASan + UBSan in $((SECONDS - start)) s"

# detect_leaks: the library allocates nothing that outlives a call.
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:print_stacktrace=1"
export XENT_TEST_SWEEP_STRIDE=101  # the loss-exp sweep on every 101st float, not every 7th (10-catch2 has that)
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
run_isa() {  # XENT_ISA=$1: every target, then its own "N passed, M failed" line
  export XENT_ISA=$1
  for t in "${targets[@]}"; do
    # The 8 GiB case is left to 70-hostile.sh: under ASan it would take minutes.
    run_catch2 "$(basename "$t") (ASan+UBSan, XENT_ISA=$1)" "$asan/$t" '~[huge]'
  done
  echo "$passed passed, $failed failed"
}
logs=()
for isa in scalar avx2; do
  logs+=("$asan/run-$isa.log")
  run_isa "$isa" >"$asan/run-$isa.log" 2>&1 &
done
wait
for log in "${logs[@]}"; do
  cat "$log"
  if [[ "$(tail -1 "$log")" =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
    passed=$((passed + BASH_REMATCH[1])) failed=$((failed + BASH_REMATCH[2]))
  else
    failed=$((failed + 1))
  fi
done
echo "sanitizer suite took $SECONDS s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
