#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz: the wire protocol, policy JSON, the search config, the
# data set readers and the study store) with clang, AddressSanitizer and
# UndefinedBehaviorSanitizer into ${AUTOAUG_FUZZ_DIR:-build-fuzz}, then runs each for SECONDS
# (default 60), or only the targets named after it (e.g. `fuzz.sh 300 policy`). Installs clang-14
# and its sanitizer runtime when they are missing (tools/install_deps.sh). New inputs go to
# build-fuzz/corpus/TARGET, crashes to build-fuzz/artifacts; the committed seeds are in
# tests/fuzz/corpus/TARGET and are only read. Fails when any target finds something.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${AUTOAUG_FUZZ_DIR:-$root/build-fuzz}"
jobs="${AUTOAUG_JOBS:-2}"
seconds="${1:-60}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(protocol policy config dataset store)

"$root/tools/install_deps.sh" clang-14 libclang-rt-14-dev

CXX=clang++-14 cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" -DAUTOAUG_FUZZ=ON >/dev/null
names=()
for t in "${targets[@]}"; do names+=(--target "${t}_fuzz"); done
cmake --build "$build" -j "$jobs" "${names[@]}"

export OPENCV_LOG_LEVEL=OFF  # the image decoders report each refused input on stderr
mkdir -p "$build/artifacts"
status=0
for t in "${targets[@]}"; do
  mkdir -p "$build/corpus/$t"
  echo "== ${t}_fuzz for ${seconds} s"
  # The first corpus folder receives new inputs. Readers that inflate (gzip IDX) must stay bounded.
  log="$build/${t}_fuzz.log"
  rc=0
  "$build/tests/fuzz/${t}_fuzz" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 \
    -malloc_limit_mb=1024 -timeout=20 -print_final_stats=1 -artifact_prefix="$build/artifacts/${t}-" \
    "$build/corpus/$t" "$root/tests/fuzz/corpus/$t" >"$log" 2>&1 || rc=$?
  grep -E "^stat::(number_of_executed_units|new_units_added)|^SUMMARY|ERROR|Test unit written" "$log" || true
  if [ "$rc" -ne 0 ]; then
    tail -40 "$log"
    status=1
  fi
done
exit "$status"
