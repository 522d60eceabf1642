#!/usr/bin/env bash
# Builds the wire-protocol fuzz target with clang and libFuzzer (+ AddressSanitizer and
# UndefinedBehaviorSanitizer) into ${AUTOAUG_FUZZ_DIR:-build-fuzz} and runs it for SECONDS
# (default 60). The target compiles search/net/protocol.cc directly, so it needs neither torch
# nor OpenCV. Installs clang-14 and its sanitizer runtime when they are missing
# (tools/install_deps.sh). New inputs go to build-fuzz/corpus, crashes to build-fuzz/artifacts;
# the committed seeds are in tests/fuzz/corpus.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${AUTOAUG_FUZZ_DIR:-$root/build-fuzz}"
seconds="${1:-60}"
cxx=clang++-14

"$root/tools/install_deps.sh" clang-14 libclang-rt-14-dev nlohmann-json3-dev

mkdir -p "$build/corpus" "$build/artifacts"
flags=(-std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined)
"$cxx" "${flags[@]}" -I"$root" "$root/tests/fuzz/protocol_fuzz.cc" \
  "$root/search/net/protocol.cc" -o "$build/protocol_fuzz"

# The first corpus folder receives new inputs; the committed seeds are only read.
"$build/protocol_fuzz" -max_total_time="$seconds" -max_len=8192 -print_final_stats=1 \
  -artifact_prefix="$build/artifacts/" "$build/corpus" "$root/tests/fuzz/corpus"
