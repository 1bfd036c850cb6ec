#!/usr/bin/env bash
# Rust binding suite: `cargo test --all-features` of bindings/rust (the optional ndarray and
# half features included). The crate finds libxent through pkg-config when $PREFIX holds an
# installed xent.pc, else through XENT_LIB_DIR=$BUILD_DIR. The crates of Cargo.lock are
# fetched once from crates.io into $BUILD_DIR/cargo-home (its own CARGO_HOME), then the
# tests build and run --offline --locked, so a rerun needs no network.
# Last line: "N passed, M failed"; exit 0 only if M == 0.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
: "${BUILD_DIR:?BUILD_DIR must be a built meson directory}"
[ -x "$HOME/.cargo/bin/cargo" ] && PATH="$HOME/.cargo/bin:$PATH"
if ! command -v cargo >/dev/null; then
  "$root/scripts/lib/ensure-packages.sh" cargo || true
fi
if ! command -v cargo >/dev/null; then
  echo "rust: no cargo"
  echo "0 passed, 1 failed"
  exit 1
fi

unset XENT_LIB_DIR
# pkg-config when $PREFIX has an xent.pc whose -L directory holds the library (a staged
# `meson install --destdir` names another prefix), else the build directory.
pc="$(find "${PREFIX:-/nonexistent}" -name xent.pc -path '*pkgconfig*' 2>/dev/null | head -n 1)"
pc_dir=""
if [ -n "$pc" ] && command -v pkg-config >/dev/null; then
  pc_dir="$(PKG_CONFIG_PATH="$(dirname "$pc")" pkg-config --libs-only-L xent | sed -n 's/^ *-L\([^ ]*\).*/\1/p')"
fi
if [ -n "$pc_dir" ] && [ -e "$pc_dir/libxent.so" ]; then
  export PKG_CONFIG_PATH="$(dirname "$pc")${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
  echo "rust: libxent through pkg-config ($pc: $pc_dir)"
else
  export XENT_LIB_DIR="$BUILD_DIR"
  echo "rust: libxent from XENT_LIB_DIR=$XENT_LIB_DIR"
fi
export CARGO_TARGET_DIR="$BUILD_DIR/rust-target"
export CARGO_HOME="$BUILD_DIR/cargo-home"
mkdir -p "$CARGO_HOME"

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# The dependencies (only the optional features have any). A failed fetch is not yet a
# failure: an earlier run may have left them in $CARGO_HOME, which --offline then uses.
if ! (cd "$root/bindings/rust" && cargo fetch --locked >"$log" 2>&1); then
  cat "$log"
  echo "rust: cargo fetch failed; trying the crates already in $CARGO_HOME"
fi
(cd "$root/bindings/rust" && cargo test --offline --locked --all-features -j 2 2>&1) | tee "$log"
rc=${PIPESTATUS[0]}

# One "test result: ok. 8 passed; 0 failed; ..." line per test binary and for the doctests.
read -r passed failed < <(awk '/^test result:/ { for (i = 1; i < NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
                             END { print p + 0, f + 0 }' "$log")
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1  # a build or link failure runs no test
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
