#!/usr/bin/env bash
# Install and ABI checks of an installed xent.
#   BUILD_DIR  absolute path of a built meson build directory
#   PREFIX     absolute path where it was installed (meson install); if $PREFIX/include/xent/xent.h
#              is missing, this script stages its own install (meson install --destdir) instead.
# Checks (one test each, the wrapper's Catch2 test cases one each):
#   1 installed files and soname   2 exported symbols are exactly the xent_* API
#   3 examples/pkgconfig_example.c via pkg-config   4 C99 -pedantic and C++17 consumers
#   5 static link against libxent.a   6 the C++ wrapper's Catch2 tests
#   7 examples/ with CMake: find_package(xent CONFIG), xent::xent and xent::xent_static
#   8 the CMake package's version check (SameMajorVersion)
# The last line is "N passed, M failed, K skipped"; exit 0 only if M == 0.
# $CC, $CXX and pkg-config flags are word-split on purpose.
# shellcheck disable=SC2086
set -uo pipefail
export LC_ALL=C

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
: "${BUILD_DIR:?BUILD_DIR must name a built meson build directory}"
PREFIX="${PREFIX:-}"
"$ROOT/scripts/lib/ensure-packages.sh" pkg-config binutils cmake || echo "warning: could not install pkg-config/binutils/cmake" >&2

passed=0 failed=0 skipped=0
pass() { echo "PASS: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
skip() { echo "SKIP: $*"; skipped=$((skipped + 1)); }
finish() {
  echo "$passed passed, $failed failed, $skipped skipped"
  [ "$failed" -eq 0 ]
  exit
}

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
CC="${CC:-cc}" CXX="${CXX:-c++}"

# ---------------------------------------------------------------- the prefix
if [ -z "$PREFIX" ] || [ ! -f "$PREFIX/include/xent/xent.h" ]; then
  echo "no install at '${PREFIX}': staging one with meson install --destdir $WORK/stage"
  if ! meson install -C "$BUILD_DIR" --destdir "$WORK/stage" >"$WORK/install.log" 2>&1; then
    cat "$WORK/install.log"
    fail "meson install -C $BUILD_DIR failed"
    finish
  fi
  header="$(find "$WORK/stage" -path '*/include/xent/xent.h' | head -n 1)"
  [ -n "$header" ] || { fail "meson install put no include/xent/xent.h under $WORK/stage"; finish; }
  PREFIX="$(dirname "$(dirname "$(dirname "$header")")")"
fi
echo "prefix: $PREFIX"
so="$(find "$PREFIX" -name 'libxent.so' | head -n 1)"
LIBDIR="$(dirname "${so:-$PREFIX/lib/libxent.so}")"
pc="$(find "$PREFIX" -name 'xent.pc' | head -n 1)"
PKG_CONFIG_PATH="$(dirname "${pc:-$LIBDIR/pkgconfig/xent.pc}")"
export PKG_CONFIG_PATH
# The .pc file names the configured prefix; point it at where the files are.
xent_pc() { pkg-config --define-variable=prefix="$PREFIX" "$@" xent; }

# ------------------------------------------------ 1. installed files, soname
missing=()
for f in include/xent/xent.h include/xent/xent.hpp; do [ -f "$PREFIX/$f" ] || missing+=("$f"); done
[ -n "$so" ] || missing+=("libxent.so")
[ -f "$LIBDIR/libxent.a" ] || missing+=("libxent.a (next to libxent.so)")
[ -n "$pc" ] || missing+=("xent.pc")
soname=""
[ -n "$so" ] && soname="$(readelf -d "$so" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')"
if [ ${#missing[@]} -eq 0 ] && [ "$soname" = "libxent.so.0" ] && [ -e "$LIBDIR/libxent.so.0" ]; then
  pass "installed headers, libxent.so (SONAME $soname), libxent.a, xent.pc in $LIBDIR"
else
  fail "installed files: missing [${missing[*]}], SONAME '${soname}' (want libxent.so.0)"
fi

# ------------------------------------ 2. exported symbols: the xent_* API only
if [ -n "$so" ]; then
  # What GNU ld may define in any shared object: not the library's doing.
  linker='^(_init|_fini|_edata|_end|__bss_start|_DYNAMIC|_GLOBAL_OFFSET_TABLE_)$'
  # A version script's nodes (XENT_0 ...) show up as absolute symbols: not code or data.
  objdump -p "$so" | sed -n '/^Version definitions:/,/^$/p' | awk 'NF == 4 {print $4}' >"$WORK/versions"
  nm -D --defined-only "$so" | awk '{print $NF}' | sed 's/@.*//' | sort -u >"$WORK/exported"
  leaked="$(grep -Ev "$linker" "$WORK/exported" | grep -vxF -f "$WORK/versions" | grep -v '^xent_' || true)"
  sed -n 's/^XENT_API [^(]*[ *]\(xent_[a-z0-9_]*\)(.*/\1/p' "$PREFIX/include/xent/xent.h" | sort -u >"$WORK/api"
  absent="$(comm -23 "$WORK/api" "$WORK/exported")"
  extra="$(grep '^xent_' "$WORK/exported" | comm -13 "$WORK/api" - || true)"
  if [ -z "$leaked" ] && [ -z "$absent" ] && [ -s "$WORK/api" ]; then
    pass "exports the $(wc -l <"$WORK/api") functions of xent.h and no other symbol${extra:+ (also: $(echo "$extra" | tr "\n" " "))}"
  else
    fail "exported symbols: $(echo "$leaked" | grep -c .) not xent_*, $(echo "$absent" | grep -c .) of xent.h missing"
    [ -n "$leaked" ] && echo "$leaked" | head -n 20 | sed 's/^/  leaked: /'
    [ -n "$absent" ] && echo "$absent" | head -n 20 | sed 's/^/  missing: /'
  fi
else
  fail "exported symbols: no libxent.so to inspect"
fi

# A tiny consumer: the seed example, three rows [1,2,3] with label 2.
cat >"$WORK/consumer.c" <<'EOF'
#include <math.h>
#include <stdio.h>
#include <xent/xent.h>
int main(void) {
  const float x[9] = {1, 2, 3, 1, 2, 3, 1, 2, 3};
  const int64_t labels[3] = {2, 2, 2};
  xent_options o;
  float sum = 0;
  double ref = 3 * (log(exp(1.0) + exp(2.0) + exp(3.0)) - 3.0);
  xent_options_init(&o);
  o.reduction = XENT_REDUCTION_SUM;
  if (xent_sparse_softmax_ce_with_logits_f32(x, labels, 3, 3, &o, &sum, NULL) != XENT_OK) {
    printf("error: %s\n", xent_last_error());
    return 1;
  }
  printf("xent %s (%s): loss %.6f, reference %.6f\n", xent_version(), xent_simd_isa(), sum, ref);
  return fabs(sum - ref) <= 1e-5 * 4 ? 0 : 1;
}
EOF
cat >"$WORK/consumer.cpp" <<'EOF'
#include <xent/xent.hpp>
#include <cmath>
#include <iostream>
int main() {
  const std::vector<double> x = {1, 2, 3, 1, 2, 3, 1, 2, 3};
  const std::vector<int32_t> labels = {2, 2, 2};
  const double ref = 3 * (std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0)) - 3.0);
  const double sum = xent::scalar(xent::sparse_softmax_ce_with_logits(x, labels, 3, xent::options().reduction(XENT_REDUCTION_SUM)));
  try {
    xent::sparse_softmax_ce_with_logits(x, std::vector<int32_t>{2, 3, 2}, 3);
    return 2;
  } catch (const xent::error &e) {
    std::cout << "xent " << xent::version() << ": loss " << sum << ", reference " << ref << "; bad label -> "
              << xent::status_string(e.status()) << ": " << e.what() << "\n";
  }
  return std::fabs(sum - ref) <= 1e-11 * 4 ? 0 : 1;
}
EOF
# run LOG CMD...: run, keep output in LOG, show it on failure.
run() { local log="$1"; shift; "$@" >"$log" 2>&1; local rc=$?; [ $rc -eq 0 ] || sed 's/^/  | /' "$log" | tail -n 25; return $rc; }

# ----------------------------------------- 3. the pkg-config example program
example="$ROOT/examples/pkgconfig_example.c"
if [ ! -f "$example" ]; then
  skip "examples/pkgconfig_example.c does not exist"
elif ! flags="$(xent_pc --cflags --libs 2>"$WORK/pc.err")"; then
  cat "$WORK/pc.err"
  fail "pkg-config --cflags --libs xent failed (PKG_CONFIG_PATH=$PKG_CONFIG_PATH)"
elif run "$WORK/ex.log" $CC -std=c11 "$example" -o "$WORK/example" $flags &&
     run "$WORK/ex.run" env LD_LIBRARY_PATH="$LIBDIR" "$WORK/example"; then
  pass "examples/pkgconfig_example.c built with '$flags' and ran: $(tail -n 1 "$WORK/ex.run")"
else
  fail "examples/pkgconfig_example.c: build or run failed (flags: $flags)"
fi

# ------------------------------ 4. C99 -pedantic and C++17 consumers of the headers
inc="-I$PREFIX/include"
if run "$WORK/c99.log" $CC -std=c99 -pedantic -Wall -Wextra -Werror "$inc" "$WORK/consumer.c" -o "$WORK/c99" \
       -L"$LIBDIR" -lxent -lm &&
   run "$WORK/c99.run" env LD_LIBRARY_PATH="$LIBDIR" "$WORK/c99" &&
   run "$WORK/cxx.log" $CXX -std=c++17 -Wall -Wextra -Wpedantic -Werror "$inc" "$WORK/consumer.cpp" -o "$WORK/cxx" \
       -L"$LIBDIR" -lxent &&
   run "$WORK/cxx.run" env LD_LIBRARY_PATH="$LIBDIR" "$WORK/cxx"; then
  pass "C99 -pedantic -Werror (xent.h) and C++17 -Wpedantic -Werror (xent.hpp) consumers build and run"
  sed 's/^/  /' "$WORK/c99.run" "$WORK/cxx.run"
else
  fail "C99 / C++17 consumer of the installed headers"
fi

# ------------------------------------------------ 5. static link, libxent.a
if [ -f "$LIBDIR/libxent.a" ]; then
  static_flags="$(xent_pc --static --libs 2>/dev/null | sed 's/\(^\| \)-lxent\b//g')"
  what="static link against libxent.a with '$static_flags -fopenmp -lm'"
  if ! run "$WORK/static.log" $CC -std=c11 "$inc" "$WORK/consumer.c" -o "$WORK/static" "$LIBDIR/libxent.a" \
       $static_flags -fopenmp -lm; then
    fail "$what: link failed"
    if $CC -std=c11 "$inc" "$WORK/consumer.c" -o "$WORK/static2" "$LIBDIR/libxent.a" -fopenmp -lm -lstdc++ \
         >/dev/null 2>&1; then
      echo "  (it links with -lstdc++ added: xent.pc's Libs.private should list what libxent.a needs)"
    fi
  elif readelf -d "$WORK/static" | grep 'NEEDED.*libxent' >/dev/null; then  # no -q: it would SIGPIPE readelf
    fail "$what: the program still needs libxent.so"
  elif run "$WORK/static.run" env -u LD_LIBRARY_PATH "$WORK/static"; then
    pass "$what: runs without libxent.so"
  else
    fail "$what: links, but the program failed"
  fi
else
  fail "static link: no libxent.a in $LIBDIR"
fi

# ----------------------------------------------- 6. the C++ wrapper's Catch2 tests
tests="$BUILD_DIR/tests/cpp_wrapper/xent_cpp_wrapper_tests"
if [ ! -x "$tests" ]; then
  fail "$tests was not built (tests/meson.build needs subdir('cpp_wrapper'))"
else
  "$tests" >"$WORK/catch.log" 2>&1
  rc=$?
  cat "$WORK/catch.log"
  # Catch2 2.x closes with "All tests passed (A assertions in N test cases)" or
  # "test cases: N | P passed | F failed".
  all="$(sed -n 's/^All tests passed (.* in \([0-9]*\) test cases\?).*/\1/p' "$WORK/catch.log" | tail -n 1)"
  line="$(grep -E '^test cases: ' "$WORK/catch.log" | tail -n 1)"
  if [ -n "$all" ] && [ $rc -eq 0 ]; then
    passed=$((passed + all))
    echo "PASS: C++ wrapper: $all test cases"
  elif [ -n "$line" ]; then
    p="$(echo "$line" | sed -n 's/.* \([0-9]*\) passed.*/\1/p')"
    f="$(echo "$line" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')"
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-0}))
    [ "${f:-0}" -gt 0 ] || [ $rc -eq 0 ] || failed=$((failed + 1))
    echo "C++ wrapper: ${p:-0} test cases passed, ${f:-0} failed (exit $rc)"
  else
    fail "C++ wrapper tests exited $rc without a Catch2 summary"
  fi
fi

# ------------------------------- 7. examples/ with CMake, find_package(xent CONFIG)
cmake_config="$(find "$PREFIX" -path '*/cmake/xent/xentConfig.cmake' | head -n 1)"
if ! command -v cmake >/dev/null; then
  fail "cmake is not installed (Debian package cmake)"
elif [ -z "$cmake_config" ] || [ ! -f "$(dirname "$cmake_config")/xentConfigVersion.cmake" ]; then
  fail "no <libdir>/cmake/xent/xentConfig.cmake + xentConfigVersion.cmake under $PREFIX"
elif [ "$(dirname "$(dirname "$(dirname "$cmake_config")")")" != "$(dirname "$(dirname "$pc")")" ]; then
  fail "xentConfig.cmake ($cmake_config) is not next to xent.pc ($pc)"
elif run "$WORK/cmake.log" cmake -S "$ROOT/examples" -B "$WORK/cmake-build" -DCMAKE_PREFIX_PATH="$PREFIX" \
       -DCMAKE_C_COMPILER="${CC%% *}" &&
     run "$WORK/cmake-build.log" cmake --build "$WORK/cmake-build" &&
     run "$WORK/cmake.run" env -u LD_LIBRARY_PATH "$WORK/cmake-build/xent_example" &&
     run "$WORK/cmake-static.run" env -u LD_LIBRARY_PATH "$WORK/cmake-build/xent_example_static" &&
     ! readelf -d "$WORK/cmake-build/xent_example_static" | grep 'NEEDED.*libxent' >/dev/null; then
  pass "examples/CMakeLists.txt against $PREFIX: xent::xent and xent::xent_static built and ran: $(tail -n 1 "$WORK/cmake.run")"
else
  fail "examples/ with CMake (find_package(xent CONFIG) from $cmake_config)"
fi

# ------------------------------------- 8. the CMake package's version check
# SameMajorVersion: this version and older ones of its major are found, a newer one or
# another major is not.
version="$(sed -n 's/^set(PACKAGE_VERSION "\([0-9.]*\)")$/\1/p' "${cmake_config%Config.cmake}ConfigVersion.cmake" 2>/dev/null)"
major="${version%%.*}"
if [ -z "$version" ]; then
  fail "CMake version check: no PACKAGE_VERSION in xentConfigVersion.cmake"
else
  verdicts=""
  for want in "" "$version" "$major.0" "$major.999" "$((major + 1)).0"; do
    mkdir -p "$WORK/cmake-v"
    printf 'cmake_minimum_required(VERSION 3.16)\nproject(v C)\nfind_package(xent %s CONFIG QUIET)\nif(TARGET xent::xent)\n  message(STATUS "found")\nendif()\n' \
      "$want" >"$WORK/cmake-v/CMakeLists.txt"
    rm -rf "$WORK/cmake-v/b"
    found=no
    cmake -S "$WORK/cmake-v" -B "$WORK/cmake-v/b" -DCMAKE_PREFIX_PATH="$PREFIX" 2>&1 | grep -- '-- found' >/dev/null && found=yes
    verdicts+="${want:-any}:$found "
  done
  if [ "$verdicts" = "any:yes $version:yes $major.0:yes $major.999:no $((major + 1)).0:no " ]; then
    pass "CMake version check (SameMajorVersion, $version): $verdicts"
  else
    fail "CMake version check ($version): got '$verdicts'"
  fi
fi

finish
