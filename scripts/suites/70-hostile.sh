#!/usr/bin/env bash
# Hostile conditions: runs tests/hostile (BUILD_DIR/tests/hostile/xent_hostile: a huge
# (2, 2^30 + 17) input, scratch allocation failure, 8 concurrent threads). The huge test is
# skipped (and counted as skipped) when MemAvailable is under 16 GiB.
# Last line: "N passed, M failed, K skipped" (Catch2 test cases); exits 0 only if M is 0.
# Sourced by 60-sanitizers.sh for run_catch2 only.
set -uo pipefail

passed=0 failed=0 skipped=0

# run_catch2 LABEL BINARY [ARGS...]: runs a Catch2 binary and adds its test-case counts to
# passed / failed / skipped. A test case that printed "hostile-skip:" counts as skipped; a
# sanitizer report, a crash (no totals) or a non-zero exit without a failed case is a failure.
run_catch2() {
  local label=$1 bin=$2 log rc p f s
  shift 2
  echo "=== $label"
  if [ ! -x "$bin" ]; then
    echo "missing $bin"
    failed=$((failed + 1))
    return
  fi
  log=$(mktemp)
  "$bin" --use-colour no "$@" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  read -r p f < <(awk '
    /^All tests passed/ { match($0, /in [0-9]+ test case/); print substr($0, RSTART + 3, RLENGTH - 13) + 0, 0; done = 1; exit }
    /^test cases:/ {
      line = $0; sub(/^test cases: */, "", line); ok = 0
      if (match(line, /[0-9]+ passed/)) ok = substr(line, RSTART, RLENGTH - 7) + 0
      print ok, line + 0 - ok; done = 1; exit
    }
    END { if (!done) print 0, 1 }' "$log")
  s=$(grep -c '^hostile-skip:' "$log")
  if grep -qE 'runtime error:|ERROR: (Address|Leak|UndefinedBehavior)Sanitizer' "$log" && [ "$f" -eq 0 ]; then f=1; fi
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  p=$((p > s ? p - s : 0))
  passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
  echo "--- $label: $p test cases passed, $f failed, $s skipped (exit $rc)"
  rm -f "$log"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  : "${BUILD_DIR:?BUILD_DIR must name a built meson build directory}"
  bin="$BUILD_DIR/tests/hostile/xent_hostile"
  [ -x "$bin" ] || ninja -C "$BUILD_DIR" tests/hostile/xent_hostile >/dev/null 2>&1 \
    || echo "tests/hostile is not built: tests/meson.build needs subdir('hostile')"
  start=$SECONDS
  run_catch2 "xent_hostile" "$bin"
  echo "xent_hostile ran in $((SECONDS - start)) s"
  echo "$passed passed, $failed failed, $skipped skipped"
  [ "$failed" -eq 0 ]
fi
