#!/usr/bin/env bash
# JAX binding suite: pytest over bindings/python/tests_jax (xent.jax against optax) in a venv
# at $BUILD_DIR/venv-jax with pinned CPU wheels from PyPI (reused when its stamp matches).
# xent.jax compiles its XLA FFI shim on first use into $BUILD_DIR/jax-ffi-cache.
# Last line: "N passed, M failed[, K skipped]"; exit 0 only if M == 0.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source "$root/scripts/lib/pytest-count.sh"
: "${BUILD_DIR:?BUILD_DIR must be a built meson directory}"
BUILD_DIR="$(cd "$BUILD_DIR" && pwd)"

# jax 0.10.2 needs Python >= 3.11; these versions work together on 3.11.
pins=(jax==0.10.2 jaxlib==0.10.2 optax==0.2.8 numpy==2.4.6 pytest==9.2.0)
venv="$BUILD_DIR/venv-jax"
stamp="$venv/.xent-complete"
want="${pins[*]}"

if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  rm -rf "$venv"
  made=""
  for py in python3.11 python3.12 python3.13 python3 /usr/bin/python3; do
    command -v "$py" >/dev/null || continue
    "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || continue
    if "$py" -m venv "$venv" >/dev/null 2>&1; then made="$py"; break; fi
    rm -rf "$venv"
  done
  if [ -z "$made" ]; then
    echo "jax: no Python >= 3.11 with venv to install jax into"
    echo "0 passed, 1 failed"
    exit 1
  fi
  echo "jax: venv $venv from $made ($("$venv/bin/python" --version 2>&1)), installing ${pins[*]}"
  if ! "$venv/bin/python" -m pip install -q --disable-pip-version-check --no-input "${pins[@]}"; then
    echo "jax: pip install failed"
    echo "0 passed, 1 failed"
    exit 1
  fi
  echo "$want" >"$stamp"
fi

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
JAX_PLATFORMS=cpu XENT_LIBRARY="$BUILD_DIR/libxent.so" XENT_INCLUDE_DIR="$root/include" \
  XENT_JAX_CACHE="$BUILD_DIR/jax-ffi-cache" PYTHONPATH="$root/bindings/python" PYTHONDONTWRITEBYTECODE=1 \
  "$venv/bin/python" -m pytest -q -p no:cacheprovider "$root/bindings/python/tests_jax" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}

pytest_count "$log" "$rc"  # the last line, and the exit status
