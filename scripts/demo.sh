#!/usr/bin/env bash
# One command for a fresh machine: install, build, run the demo (seed examples through the
# C API, then a speed table against a naive scalar loop).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup.sh" --build-dir "$root/build" -- -Dtests=disabled -Dbench=disabled
ninja -C "$root/build" >/dev/null
"$root/build/examples/xent_demo"
