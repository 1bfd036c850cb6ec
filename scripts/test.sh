#!/usr/bin/env bash
# One command for a fresh machine: install, build, install into a scratch prefix, and run
# every suite in scripts/suites/ (Catch2 on every ISA path, install/ABI checks, Python,
# Rust, ...). Each suite ends with "N passed, M failed"; the last line here is the total.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="$root/build-test"
prefix="$build_dir/prefix"
logs="$build_dir/suite-logs"

"$root/scripts/setup.sh" --build-dir "$build_dir" --with-tests --with-bindings \
  -- -Dtests=enabled -Dbench=disabled "--prefix=$prefix" || { echo "0 passed, 1 failed"; exit 1; }
if ! ninja -C "$build_dir" >"$build_dir/ninja.log" 2>&1; then
  tail -50 "$build_dir/ninja.log"; echo "0 passed, 1 failed"; exit 1
fi
meson install -C "$build_dir" --quiet >/dev/null || { echo "meson install failed"; echo "0 passed, 1 failed"; exit 1; }
mkdir -p "$logs"

total_pass=0 total_fail=0 total_skip=0
summary=()
for suite in "$root"/scripts/suites/*.sh; do
  name="$(basename "$suite" .sh)"
  [ -n "${XENT_SUITES:-}" ] && [[ ! " $XENT_SUITES " == *" $name "* ]] && continue
  echo "=== suite $name"
  start=$SECONDS
  BUILD_DIR="$build_dir" PREFIX="$prefix" bash "$suite" 2>&1 | tee "$logs/$name.log"
  rc=${PIPESTATUS[0]}
  line="$(grep -E '^([A-Za-z]+: )?[0-9]+ passed, [0-9]+ failed' "$logs/$name.log" | tail -1)"
  if [[ "$line" =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed(,\ ([0-9]+)\ skipped)? ]]; then
    p=${BASH_REMATCH[1]} f=${BASH_REMATCH[2]} s=${BASH_REMATCH[4]:-0}
  else
    p=0 f=0 s=0
  fi
  # A suite that failed without counting a failure still counts as one.
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  total_pass=$((total_pass + p)) total_fail=$((total_fail + f)) total_skip=$((total_skip + s))
  summary+=("$(printf '%-16s %6d passed %4d failed %4d skipped  %4ds' "$name" "$p" "$f" "$s" $((SECONDS - start)))")
done
echo "=== summary"
printf '%s\n' "${summary[@]}"
echo "skipped: $total_skip (tests a suite could not run here; see the summary above)"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
