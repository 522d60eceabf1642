#!/usr/bin/env bash
# Configures and builds autoaug in Release into ${AUTOAUG_BUILD_DIR:-build}, with -j2 by default
# (AUTOAUG_JOBS overrides).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${AUTOAUG_BUILD_DIR:-$root/build}"
jobs="${AUTOAUG_JOBS:-2}"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build "$build" -j "$jobs"
