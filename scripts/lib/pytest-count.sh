# Sourced by suites: pytest_count LOG RC -> prints "N passed, M failed, K skipped" from the
# pytest run whose output is in LOG and whose exit status was RC; returns 0 only if M == 0.
# pytest's summary: "3 failed, 500 passed, 2 skipped, 4 xfailed, 1 xpassed, 1 error in 4.2s".
# Known library issues are xfail (counted as skipped); an xpass counts as passed. A run that
# failed without a failure in its summary (no tests collected, exit 5; an interrupted or
# crashed run) counts as one failure.
_pytest_count_n() {  # _pytest_count_n SUMMARY WORD-REGEX
  grep -oE "(^| )[0-9]+ $2" <<<"$1" | grep -oE '[0-9]+' || echo 0
}
pytest_count() {
  local log="$1" rc="$2" summary passed failed skipped
  summary="$(grep -E '[0-9]+ (passed|failed|skipped|xfailed|xpassed|errors?)' "$log" | tail -n 1)"
  passed=$(( $(_pytest_count_n "$summary" passed) + $(_pytest_count_n "$summary" xpassed) ))
  failed=$(( $(_pytest_count_n "$summary" failed) + $(_pytest_count_n "$summary" 'errors?') ))
  skipped=$(( $(_pytest_count_n "$summary" skipped) + $(_pytest_count_n "$summary" xfailed) ))
  if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
    failed=1
  fi
  echo "$passed passed, $failed failed, $skipped skipped"
  [ "$failed" -eq 0 ]
}
