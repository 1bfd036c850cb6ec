# Sourced by suites: catch2_count OUTPUT -> echoes "PASSED FAILED" test cases of one
# Catch2 run ("All tests passed (... in N test cases)" or "test cases: N | P passed | F failed");
# output without either counts as 0 passed, 1 failed.
catch2_count() {
  if [[ "$1" =~ All\ tests\ passed\ \(.*\ in\ ([0-9]+)\ test\ case ]]; then
    echo "${BASH_REMATCH[1]} 0"
  elif [[ "$1" =~ test\ cases:\ +([0-9]+)\ \|\ +([0-9]+)\ passed\ \|\ +([0-9]+)\ failed ]]; then
    echo "${BASH_REMATCH[2]} ${BASH_REMATCH[3]}"
  else
    echo "0 1"
  fi
}
