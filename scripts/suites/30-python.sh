#!/usr/bin/env bash
# Python binding suite: pytest over bindings/python/tests against $BUILD_DIR/libxent.so
# (PyTorch cross-checks skip if python3-torch cannot be installed).
# Last line: "N passed, M failed[, K skipped]"; exit 0 only if M == 0.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source "$root/scripts/lib/pytest-count.sh"
: "${BUILD_DIR:?BUILD_DIR must be a built meson directory}"

if ! "$root/scripts/lib/ensure-packages.sh" python3-numpy python3-pytest; then
  echo "python: cannot install python3-numpy / python3-pytest"
  echo "0 passed, 1 failed"
  exit 1
fi
"$root/scripts/lib/ensure-packages.sh" python3-torch || echo "python: python3-torch unavailable, torch cross-checks will skip"

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
XENT_LIBRARY="$BUILD_DIR/libxent.so" PYTHONPATH="$root/bindings/python" PYTHONDONTWRITEBYTECODE=1 \
  /usr/bin/python3 -m pytest -q -p no:cacheprovider "$root/bindings/python/tests" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}

pytest_count "$log" "$rc"  # the last line, and the exit status
