#!/usr/bin/env bash
# Vocabulary-parallel suite (docs/VOCAB_PARALLEL.md): the MPI test (tests/mpi) under
# mpirun -np 2 and -np 4, the MPI example, and the single-process Catch2 test (tests/vocab)
# on the CPU's SIMD path and on sse2 (where the one-shard results are bitwise those of the
# single-process call even with weights).
#   BUILD_DIR  absolute path of a built meson build directory. If it lacks the MPI test
#              (configured before MPI was installed, or with -Dmpi=disabled), this script
#              builds the needed targets in $BUILD_DIR/../build-mpi.
# Counts: each MPI run adds its own PASS / FAIL lines; the example and each Catch2 run count
# one each. The last line is "N passed, M failed"; exit 0 only if M == 0.
set -uo pipefail
export CI="${CI:-true}" LC_ALL=C
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
: "${BUILD_DIR:?BUILD_DIR must name a built meson build directory}"

passed=0 failed=0
pass() { echo "PASS: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit
}

"$ROOT/scripts/lib/ensure-packages.sh" libopenmpi-dev openmpi-bin || fail "could not install libopenmpi-dev openmpi-bin"

mpi_tests="tests/mpi/xent_test_vocab_parallel tests/mpi/xent_test_linear_vocab_parallel"
single_test=tests/vocab/xent_test_vocab_parallel_single
example=mpi/xent_mpi_vocab_parallel
build="$BUILD_DIR"
missing=0
for t in $mpi_tests $single_test; do [ -x "$build/$t" ] || missing=1; done
if [ "$missing" -eq 1 ]; then
  build="$(dirname "$BUILD_DIR")/build-mpi"
  echo "building the vocabulary-parallel targets in $build"
  if [ ! -f "$build/build.ninja" ] &&
    ! meson setup "$build" "$ROOT" -Dtests=enabled -Dbench=disabled -Dmpi=enabled >"$build.setup.log" 2>&1; then
    tail -30 "$build.setup.log"
    fail "meson setup $build"
    finish
  fi
  if ! ninja -C "$build" $mpi_tests "$single_test" "$example" >"$build.ninja.log" 2>&1; then
    grep -E "error|FAILED" "$build.ninja.log" | head -30
    fail "ninja -C $build (MPI targets)"
    finish
  fi
fi

# Oversubscribed ranks (2 cores here) must not each start a team of OpenMP threads.
# vader's single-copy mode needs ptrace rights that containers often lack.
export OMP_NUM_THREADS=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
mpirun_() { timeout 300 mpirun -np "$1" --oversubscribe --allow-run-as-root "${@:2}"; }

for mpi_test in $mpi_tests; do
  for np in 2 4; do
    echo "=== $mpi_test, mpirun -np $np"
    log="$(mktemp)"
    mpirun_ "$np" "$build/$mpi_test" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    summary="$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -1)"
    rm -f "$log"
    if [ -z "$summary" ]; then
      fail "$mpi_test -np $np printed no summary (exit $rc)"
      continue
    fi
    read -r p _ f _ <<<"${summary//,/}"
    passed=$((passed + p)) failed=$((failed + f))
    [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && fail "$mpi_test -np $np exited $rc"
  done
done

echo "=== $example, mpirun -np 2"
if mpirun_ 2 "$build/$example"; then pass "example $example"; else fail "example $example"; fi

for isa in "" sse2; do  # "": the CPU's own path (an unknown XENT_ISA is ignored)
  echo "=== $single_test, XENT_ISA=${isa:-(default)}"
  XENT_ISA="$isa" "$build/$single_test" --use-colour no 2>&1 | tail -4
  if [ "${PIPESTATUS[0]}" -eq 0 ]; then
    pass "$single_test (XENT_ISA=${isa:-default})"
  else
    fail "$single_test (XENT_ISA=${isa:-default})"
  fi
done
finish
