// libFuzzer target for the search config (tools/search_config.h): arbitrary bytes as a YAML file
// through load_search_config. Only std::invalid_argument (naming the file, and the line where
// there is one) may come out. Build and run with tools/fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "tests/fuzz/fuzz_file.h"
#include "tools/search_config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = autoaug::fuzz::write_scratch(data, size, "search.yaml");
  try {
    autoaug::tools::load_search_config(path);
  } catch (const std::invalid_argument& e) {
    if (std::string(e.what()).rfind(path + ":", 0) != 0) std::abort();  // names the file
  }
  return 0;
}
