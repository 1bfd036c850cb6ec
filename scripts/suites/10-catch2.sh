#!/usr/bin/env bash
# Correctness suite: the Catch2 tests (tests/test_*.cpp) and the exhaustive f32 exp/log ulp
# sweep (tests/ulp_sweep.cpp), once per SIMD path. Needs BUILD_DIR, an already built meson
# build directory (absolute path). Last line: "N passed, M failed", N/M the Catch2 test cases
# plus one per sweep run; exits 0 only if M is 0.
set -uo pipefail

: "${BUILD_DIR:?BUILD_DIR must name a built meson build directory}"
tests="$BUILD_DIR/tests/xent_tests"
sweep="$BUILD_DIR/tests/xent_ulp_sweep"
passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# Adds the test-case counts of a Catch2 console log to passed / failed. A run that printed
# no totals (it crashed) or exited non-zero without a failed test case counts one failure.
count_catch2() {
  local rc=$1 p f
  read -r p f < <(awk '
    /^All tests passed/ { match($0, /in [0-9]+ test case/); n = substr($0, RSTART + 3, RLENGTH - 13); print n + 0, 0; done = 1; exit }
    /^test cases:/ {
      line = $0; sub(/^test cases: */, "", line)
      total = line + 0; ok = 0
      if (match(line, /[0-9]+ passed/)) ok = substr(line, RSTART, RLENGTH - 7) + 0
      print ok, total - ok; done = 1; exit
    }
    END { if (!done) print 0, 1 }' "$log")
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  passed=$((passed + p))
  failed=$((failed + f))
  echo "--- xent_tests XENT_ISA=$isa: $p test cases passed, $f failed (exit $rc)"
}

# The paths this CPU has (an ISA it lacks would silently run the best one again).
isas="scalar"
grep -qw sse2 /proc/cpuinfo && isas="sse2 $isas"
grep -qw avx2 /proc/cpuinfo && grep -qw fma /proc/cpuinfo && isas="avx2 $isas"
grep -qw avx512bw /proc/cpuinfo && grep -qw avx512dq /proc/cpuinfo && isas="avx512 $isas"
skipped=0
case " $isas " in *" avx512 "*) ;; *) echo "=== avx512: this CPU lacks it, skipped"; skipped=1 ;; esac

for isa in $isas; do
  echo "=== xent_tests, XENT_ISA=$isa"
  if [ -x "$tests" ]; then
    XENT_ISA=$isa "$tests" --use-colour no 2>&1 | tee "$log"
    count_catch2 "${PIPESTATUS[0]}"
  else
    echo "missing $tests"
    failed=$((failed + 1))
  fi
  echo "=== xent_ulp_sweep, XENT_ISA=$isa"
  if [ -x "$sweep" ] && XENT_ISA=$isa "$sweep"; then
    passed=$((passed + 1))
  else
    [ -x "$sweep" ] || echo "missing $sweep"
    failed=$((failed + 1))
  fi
done

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
