#!/usr/bin/env bash
# The test command: installs what is needed, builds in Release, runs every registered test.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/tools/install_deps.sh"
# The protocol fuzz test (net.protocol_fuzz, via tools/fuzz.sh) builds with clang and libFuzzer.
"$root/tools/install_deps.sh" clang-14 libclang-rt-14-dev
build="${AUTOAUG_BUILD_DIR:-$root/build}"
"$root/tools/build.sh"
cd "$build"
ctest --output-on-failure -j "${AUTOAUG_JOBS:-2}"
