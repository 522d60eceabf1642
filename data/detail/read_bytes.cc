#include "data/detail/read_bytes.h"

#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace autoaug::data::detail {

std::vector<std::uint8_t> read_bytes(const std::string& path) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) {
    throw std::invalid_argument(path + ": cannot open: " + std::strerror(errno));
  }
  gzbuffer(file, 1 << 17);
  std::vector<std::uint8_t> bytes;
  constexpr std::size_t kChunk = 1 << 20;
  while (true) {
    const std::size_t old_size = bytes.size();
    bytes.resize(old_size + kChunk);
    const int got = gzread(file, bytes.data() + old_size, static_cast<unsigned>(kChunk));
    if (got <= 0) {
      bytes.resize(old_size);
      break;
    }
    bytes.resize(old_size + static_cast<std::size_t>(got));
  }
  int errnum = Z_OK;
  const char* message = gzerror(file, &errnum);
  std::string error = errnum == Z_OK ? std::string() : std::string(message ? message : "");
  gzclose(file);
  if (errnum != Z_OK) {
    throw std::invalid_argument(path + ": corrupt or truncated gzip data after " +
                                std::to_string(bytes.size()) + " decompressed bytes: " + error);
  }
  return bytes;
}

}  // namespace autoaug::data::detail
