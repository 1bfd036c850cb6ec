#!/usr/bin/env bash
# Installs what xent needs from Debian's archive (skipping what is present) and configures
# a meson build directory.
#   scripts/setup.sh [--build-dir DIR] [--with-tests] [--with-bench] [--with-bindings] [-- meson args]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="$root/build"
packages=(build-essential meson ninja-build pkg-config libxsimd-dev libopenmpi-dev openmpi-bin libopenblas-openmp-dev)
meson_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) build_dir="$2"; shift ;;
    --with-tests) packages+=(catch2 clang-14 libclang-rt-14-dev g++-aarch64-linux-gnu qemu-user binutils) ;;
    --with-bench) packages+=(libbenchmark-dev libdnnl-dev libxnnpack-dev libsleef-dev libtorch-dev python3-matplotlib) ;;
    --with-bindings) packages+=(python3-numpy python3-pytest python3-torch) ;;
    --) shift; meson_args+=("$@"); break ;;
    *) echo "setup.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
"$root/scripts/lib/ensure-packages.sh" "${packages[@]}"
if [ -f "$build_dir/build.ninja" ]; then
  meson setup --reconfigure "$build_dir" "$root" "${meson_args[@]}" >/dev/null
else
  meson setup "$build_dir" "$root" "${meson_args[@]}" >/dev/null
fi
echo "configured $build_dir"
