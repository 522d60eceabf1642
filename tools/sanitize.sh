#!/usr/bin/env bash
# Builds the unit tests of the libraries without Torch (augment, data, search, search/net) with
# AddressSanitizer and UndefinedBehaviorSanitizer (leak checking included) into
# ${AUTOAUG_SANITIZE_DIR:-build-sanitize} and runs them; any finding fails the run. The tests
# that call the `autoaug` binary are left out: they need Torch and test nothing the others miss.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${AUTOAUG_SANITIZE_DIR:-$root/build-sanitize}"
jobs="${AUTOAUG_JOBS:-2}"
tests=(augment/augment_test data/data_test search/random_test search/search_test
  search/search_store_test search/net_test search/coordinator_test search/lease_table_test
  search/worker_client_test search/tls_test tools/config_schema_test)

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" \
  -DAUTOAUG_SANITIZE=ON >/dev/null
targets=()
for t in "${tests[@]}"; do targets+=(--target "$(basename "$t")"); done
cmake --build "$build" -j "$jobs" "${targets[@]}"

export ASAN_OPTIONS="abort_on_error=0:detect_leaks=1:strict_string_checks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
cd "$root"  # the tests read their fixtures relative to the source tree, as under CTest
status=0
for t in "${tests[@]}"; do
  echo "== $t (ASan + UBSan)"
  "$build/tests/$t" --gtest_brief=1 || status=1
done
exit "$status"
