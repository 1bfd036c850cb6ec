#!/usr/bin/env bash
# Wheel suite: `pip wheel` of the checkout (root pyproject.toml: meson-python builds libxent and
# bundles it in the package), installed with NumPy 2.x from PyPI into a fresh venv, then pytest
# over bindings/python/tests and bindings/python/tests_wheel against the installed package: run
# from a directory outside the checkout, no PYTHONPATH, no XENT_LIBRARY / XENT_LIB_DIR (the
# torch cross-checks skip: no torch in that venv).
# Needs nothing built in $BUILD_DIR; it keeps there: venv-wheel-build (the pyproject's build
# requirements from PyPI), wheel-meson (meson-python's build directory, reused: a rerun
# recompiles only what changed), wheelhouse (the wheel of the last source hash: not rebuilt
# while the sources are the same), pip-cache, venv-wheel (the test venv, made anew each run).
# Last line: "N passed, M failed[, K skipped]"; exit 0 only if M == 0.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source "$root/scripts/lib/pytest-count.sh"
: "${BUILD_DIR:?BUILD_DIR must be set (a directory for the venvs, build and caches)}"
mkdir -p "$BUILD_DIR" && BUILD_DIR="$(cd "$BUILD_DIR" && pwd)"

fail() { echo "wheel: $1"; echo "0 passed, 1 failed"; exit 1; }

# A C/C++ compiler, pkg-config and xsimd for the build; venv (ensurepip) for the venvs.
"$root/scripts/lib/ensure-packages.sh" build-essential pkg-config libxsimd-dev python3-venv \
  || fail "cannot install build-essential / pkg-config / libxsimd-dev / python3-venv"

export PIP_CACHE_DIR="$BUILD_DIR/pip-cache" PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
python=/usr/bin/python3
test_pins=(numpy==2.4.6 pytest==9.2.0 ml_dtypes==0.5.4)  # NumPy 2.x and ml_dtypes (bfloat16 arrays); Debian's 1.24 is suite 30-python's

# --- the build venv: [build-system] requires of pyproject.toml, from PyPI
builder="$BUILD_DIR/venv-wheel-build"
mapfile -t requires < <("$python" -c 'import sys, tomllib
print("\n".join(tomllib.load(open(sys.argv[1], "rb"))["build-system"]["requires"]))' "$root/pyproject.toml") \
  || fail "cannot read [build-system] requires from pyproject.toml"
if [ "$(cat "$builder/.xent-complete" 2>/dev/null)" != "${requires[*]}" ]; then
  rm -rf "$builder"
  "$python" -m venv "$builder" >/dev/null || fail "python3 -m venv $builder failed"
  "$builder/bin/python" -m pip install -q "${requires[@]}" || fail "pip install ${requires[*]} failed"
  echo "${requires[*]}" >"$builder/.xent-complete"
fi

# --- the wheel, rebuilt when a file that goes into it changed
key="$(cd "$root" && find pyproject.toml meson.build meson_options.txt src capi vocab linear include cmake \
         examples mpi bindings/python/meson.build bindings/python/README.md bindings/python/xent \
         -type f ! -name '*.pyc' -print0 2>/dev/null | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)"
wheelhouse="$BUILD_DIR/wheelhouse"
start=$SECONDS
if [ "$(cat "$wheelhouse/.key" 2>/dev/null)" = "$key" ] && compgen -G "$wheelhouse/xent-*.whl" >/dev/null; then
  echo "wheel: sources unchanged ($key), reusing $(basename "$wheelhouse"/xent-*.whl)"
else
  rm -rf "$wheelhouse" && mkdir -p "$wheelhouse"
  build_log="$BUILD_DIR/wheel-build.log"
  # --no-build-isolation: the build venv above holds the same requirements, and a fixed
  # meson/ninja lets meson-python reuse its build directory (a rerun compiles what changed).
  if ! (cd "$root" && "$builder/bin/python" -m pip wheel --no-deps --no-build-isolation -w "$wheelhouse" \
          --config-settings=build-dir="$BUILD_DIR/wheel-meson" --config-settings=compile-args=-j2 .) \
          >"$build_log" 2>&1; then
    tail -60 "$build_log"
    fail "pip wheel failed (log: $build_log)"
  fi
  echo "$key" >"$wheelhouse/.key"
  echo "wheel: built $(basename "$wheelhouse"/xent-*.whl) in $((SECONDS - start))s (log: $build_log)"
fi
wheel="$(ls "$wheelhouse"/xent-*.whl)"

# --- a fresh venv with NumPy 2.x and the wheel (its dependencies from its metadata)
venv="$BUILD_DIR/venv-wheel"
rm -rf "$venv"
"$python" -m venv "$venv" >/dev/null || fail "python3 -m venv $venv failed"
"$venv/bin/python" -m pip install -q "${test_pins[@]}" || fail "pip install ${test_pins[*]} failed"
"$venv/bin/python" -m pip install -q "$wheel" || fail "pip install $wheel failed"

# --- the tests, against the installed package only
work="$(mktemp -d "$BUILD_DIR/wheel-tests.XXXXXX")"
log="$work.log"
trap 'rm -rf "$work" "$log"' EXIT
(cd "$work" && env -u PYTHONPATH -u LD_LIBRARY_PATH -u XENT_LIBRARY -u XENT_LIB_DIR -u XENT_INCLUDE_DIR \
   XENT_TEST_INSTALLED=1 PYTHONDONTWRITEBYTECODE=1 \
   "$venv/bin/python" -m pytest -q -rs -p no:cacheprovider --rootdir="$work" \
   "$root/bindings/python/tests" "$root/bindings/python/tests_wheel") 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}

pytest_count "$log" "$rc"  # the last line, and the exit status
