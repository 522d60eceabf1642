#!/usr/bin/env bash
# Configures and builds autoaug in Release into ${AUTOAUG_BUILD_DIR:-build} with ${AUTOAUG_JOBS:-2}
# parallel jobs: every target, or only the targets named as arguments (e.g. `build.sh autoaug`).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${AUTOAUG_BUILD_DIR:-$root/build}"
jobs="${AUTOAUG_JOBS:-2}"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
targets=()
for t in "$@"; do targets+=(--target "$t"); done
cmake --build "$build" -j "$jobs" "${targets[@]}"
