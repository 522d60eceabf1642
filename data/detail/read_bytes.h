#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace autoaug::data::detail {

// The whole content of `path`, decompressed when it is gzip (zlib reads plain files unchanged).
// Throws std::invalid_argument naming the file when it cannot be opened, or when gzip data is
// corrupt or truncated (with the number of bytes decompressed before the fault).
std::vector<std::uint8_t> read_bytes(const std::string& path);

// Big-endian 32-bit unsigned integer at `p`.
inline std::uint32_t load_be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

}  // namespace autoaug::data::detail
