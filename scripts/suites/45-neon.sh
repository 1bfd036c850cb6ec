#!/usr/bin/env bash
# The NEON path: cross-build with g++-aarch64-linux-gnu, run the Catch2 suite under
# qemu-aarch64 on both aarch64 paths (neon, scalar). Last line: "N passed, M failed".
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib/catch2-count.sh"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${BUILD_DIR:?}/../build-neon"
"$root/scripts/lib/ensure-packages.sh" g++-aarch64-linux-gnu qemu-user libxsimd-dev catch2 meson ninja-build \
  || { echo "0 passed, 1 failed"; exit 1; }

headers="${TMPDIR:-/tmp}/xent-cross-headers"  # outside the source tree (meson rejects it inside)
mkdir -p "$headers"
ln -sfn /usr/include/xsimd "$headers/xsimd"
ln -sfn /usr/include/catch2 "$headers/catch2"
if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" "$root" --cross-file "$root/cross/aarch64-linux-gnu.ini" \
    -Dheader_only_include="$headers" -Dtests=enabled -Dbench=disabled >"$build.setup.log" 2>&1 \
    || { cat "$build.setup.log"; echo "0 passed, 1 failed"; exit 1; }
fi
ninja -C "$build" tests/xent_tests >"$build.ninja.log" 2>&1 || { tail -40 "$build.ninja.log"; echo "0 passed, 1 failed"; exit 1; }

pass=0 fail=0
# Under emulation each option matrix takes 30-150 s: the NEON path runs every other test (but the
# long-double finite differences of the softmax focal losses and the saved-lse reference)
# plus the headline variant's matrix (f32); the scalar aarch64 path runs the seed examples
# and edge rows. The x86 paths run everything natively (10-catch2).
declare -A filter=(
  [neon]='~"*options x shapes*" ~"softmax focal and Poly-1*" ~"lse_out gives*",sparse softmax CE with logits: options x shapes x reductions x label width - float'
  [scalar]='[seed],[edge]'
)
for isa in neon scalar; do
  out="$(XENT_ISA=$isa XENT_TEST_SWEEP_STRIDE=101 timeout 900 qemu-aarch64 -L /usr/aarch64-linux-gnu "$build/tests/xent_tests" "${filter[$isa]}" 2>&1)"
  rc=$?
  echo "$out" | tail -4
  reported="$(echo "$out" | grep -o 'SIMD path: [a-z0-9]*' | head -1)"
  echo "XENT_ISA=$isa ($reported) exit $rc"
  read -r p f < <(catch2_count "$out")
  pass=$((pass + p)) fail=$((fail + f))
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
