#!/usr/bin/env bash
# TensorFlow / Keras oracle: pytest over bindings/python/tests_tf against $BUILD_DIR/libxent.so,
# in a venv of its own ($BUILD_DIR/venv-tf, reused when complete) with tensorflow-cpu and
# keras from PyPI. One pytest process (importing TensorFlow costs seconds).
# Last line: "N passed, M failed[, K skipped]"; exit 0 only if M == 0.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
: "${BUILD_DIR:?BUILD_DIR must be a built meson directory}"

# Versions that install on Python 3.10-3.13 (checked on 3.11.7 and Debian's 3.11.2).
requirements=(tensorflow-cpu==2.21.0 keras==3.15.1 numpy==2.4.6 pytest==9.2.0)
venv="$BUILD_DIR/venv-tf"
stamp="$venv/.xent-complete"  # written after a successful install: its content is the requirements

fail() { echo "tf-keras: $*"; echo "0 passed, 1 failed"; exit 1; }

# A Python with a working venv + pip: the one on PATH (pyenv here), else Debian's with python3-venv.
pick_python() {
  local py
  for py in python3 /usr/bin/python3; do
    command -v "$py" >/dev/null 2>&1 || continue
    "$py" -c 'import sys, venv, ensurepip; sys.exit(not (3, 10) <= sys.version_info[:2] <= (3, 13))' 2>/dev/null \
      && { echo "$py"; return 0; }
  done
  if [ -x /usr/bin/python3 ] && "$root/scripts/lib/ensure-packages.sh" python3-venv >&2; then
    echo /usr/bin/python3; return 0
  fi
  return 1
}

if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "${requirements[*]}" ] || [ ! -x "$venv/bin/python" ]; then
  start=$SECONDS
  python="$(pick_python)" || fail "no Python 3.10-3.13 with venv and ensurepip"
  rm -rf "$venv"
  "$python" -m venv "$venv" || fail "$python -m venv $venv failed"
  # --no-compile: TensorFlow's ~10k modules are not byte-compiled up front (only those imported
  # are, once); --only-binary: never build from source.
  if ! PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 "$venv/bin/python" -m pip install -q --no-compile \
      --only-binary=:all: "${requirements[@]}" >"$BUILD_DIR/venv-tf.log" 2>&1; then
    tail -20 "$BUILD_DIR/venv-tf.log"
    fail "pip install ${requirements[*]} failed (log: $BUILD_DIR/venv-tf.log)"
  fi
  echo "${requirements[*]}" >"$stamp"
  echo "tf-keras: venv $venv ready in $((SECONDS - start))s ($("$venv/bin/python" --version 2>&1))"
fi

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# Byte code goes to the venv (PYTHONPYCACHEPREFIX), written by the first run: TensorFlow imports
# in ~4 s from it, ~8 s from source; nothing is written into the source tree.
env -u PYTHONDONTWRITEBYTECODE XENT_LIBRARY="$BUILD_DIR/libxent.so" PYTHONPATH="$root/bindings/python" \
  PYTHONPYCACHEPREFIX="$venv/pycache" TF_CPP_MIN_LOG_LEVEL=2 CUDA_VISIBLE_DEVICES="" TF_ENABLE_ONEDNN_OPTS=0 KERAS_BACKEND=tensorflow \
  "$venv/bin/python" -m pytest -q -p no:cacheprovider "$root/bindings/python/tests_tf" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}

# Counted as scripts/suites/30-python.sh counts (copied):
# pytest's summary: "3 failed, 500 passed, 2 skipped, 4 xfailed, 1 xpassed, 1 error in 4.2s".
# Known library issues are xfail (counted as skipped); an xpass counts as passed.
summary="$(grep -E '[0-9]+ (passed|failed|skipped|xfailed|xpassed|errors?)' "$log" | tail -n 1)"
count() { grep -oE "(^| )[0-9]+ $1" <<<"$summary" | grep -oE '[0-9]+' || echo 0; }
passed=$(( $(count passed) + $(count xpassed) ))
failed=$(( $(count failed) + $(count 'errors?') ))
skipped=$(( $(count skipped) + $(count xfailed) ))
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1  # no tests collected (exit 5), an interrupted or crashed run
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
