#!/usr/bin/env bash
# The test command: installs what is needed, builds in Release, runs every registered test (the
# fuzz targets for a bounded time among them), then the unit tests without Torch under ASan and
# UBSan (tools/sanitize.sh).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/tools/install_deps.sh"
# The fuzz test (fuzz.parsers, via tools/fuzz.sh) builds with clang and libFuzzer.
"$root/tools/install_deps.sh" clang-14 libclang-rt-14-dev
# The Slurm test (tools.slurm) starts its own single-node cluster from a config of its own; the
# packages' slurmctld and slurmd services stay stopped (they need /etc/slurm/slurm.conf).
"$root/tools/install_deps.sh" slurmctld slurmd slurm-client munge
build="${AUTOAUG_BUILD_DIR:-$root/build}"
"$root/tools/build.sh"
cd "$build"
ctest --output-on-failure -j "${AUTOAUG_JOBS:-2}"
# The unit tests of the libraries without Torch again, under ASan and UBSan.
AUTOAUG_SANITIZE_DIR="$build/sanitize" "$root/tools/sanitize.sh"
