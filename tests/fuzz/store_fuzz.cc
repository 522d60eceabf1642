// libFuzzer target for the study store (search/store/study_store.h): arbitrary bytes as a
// study.db (the seeds are real small studies, so mutations reach corrupt pages, tables and rows)
// opened read-only and read through: config, trials, events, counts. Only std::invalid_argument
// naming the file may come out. Build and run with tools/fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "search/store/study_store.h"
#include "tests/fuzz/fuzz_file.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = autoaug::fuzz::write_scratch(data, size, "study.db");
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
  try {
    const autoaug::search::StudyStore store = autoaug::search::StudyStore::open(path, true);
    store.config();
    for (const auto& t : store.trials()) {
      if (store.trial(t.number)->number != t.number) std::abort();
    }
    store.events(-1);
    store.counts();
  } catch (const std::invalid_argument& e) {
    if (std::string(e.what()).find(path) == std::string::npos) std::abort();
  }
  return 0;
}
