// For fuzz targets whose code under test reads a file: the input written to one scratch file per
// process (in /dev/shm when it exists), rewritten for every input.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace autoaug::fuzz {

// Writes `data` to the scratch file named `name` (its suffix matters to readers that look at it)
// and returns its path.
inline std::string write_scratch(const std::uint8_t* data, std::size_t size,
                                 const std::string& name) {
  static const std::filesystem::path dir = [] {
    const std::filesystem::path shm = "/dev/shm";
    const std::filesystem::path base =
        std::filesystem::is_directory(shm) ? shm : std::filesystem::temp_directory_path();
    const std::filesystem::path d = base / ("autoaug_fuzz_" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    return d;
  }();
  const std::string path = (dir / name).string();
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  if (!out) std::abort();  // the harness itself failed: not a finding in the code under test
  return path;
}

}  // namespace autoaug::fuzz
