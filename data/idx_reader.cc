#include "data/idx_reader.h"

#include <algorithm>
#include <filesystem>
#include <stdexcept>
#include <utility>

#include "data/detail/read_bytes.h"

namespace autoaug::data {

namespace {

std::string hex_byte(std::uint8_t b) {
  static const char* kDigits = "0123456789ABCDEF";
  return std::string("0x") + kDigits[b >> 4] + kDigits[b & 15];
}

}  // namespace

IdxArray read_idx(const std::string& path) {
  std::vector<std::uint8_t> bytes = detail::read_bytes(path);
  if (bytes.size() < 4) {
    throw std::invalid_argument(path + ": truncated at offset " + std::to_string(bytes.size()) +
                                ": an IDX header needs 4 bytes");
  }
  if (bytes[0] != 0 || bytes[1] != 0) {
    throw std::invalid_argument(path + ": offset 0: not an IDX file (magic starts " +
                                hex_byte(bytes[0]) + " " + hex_byte(bytes[1]) + ")");
  }
  if (bytes[2] != 0x08) {
    throw std::invalid_argument(path + ": offset 2: element type " + hex_byte(bytes[2]) +
                                " is not supported (only unsigned byte, 0x08)");
  }
  const int ndims = bytes[3];
  if (ndims < 1 || ndims > 4) {
    throw std::invalid_argument(path + ": offset 3: " + std::to_string(ndims) +
                                " dimensions, expected 1 to 4");
  }
  const std::size_t header = 4 + 4 * static_cast<std::size_t>(ndims);
  if (bytes.size() < header) {
    throw std::invalid_argument(path + ": truncated at offset " + std::to_string(bytes.size()) +
                                ": the header of " + std::to_string(ndims) + " dimensions needs " +
                                std::to_string(header) + " bytes");
  }
  IdxArray array;
  std::size_t count = 1;
  std::string shape;
  for (int d = 0; d < ndims; ++d) {
    const std::uint32_t dim = detail::load_be32(bytes.data() + 4 + 4 * d);
    array.dims.push_back(dim);
    count *= dim;
    if (d > 0) shape += 'x';
    shape += std::to_string(dim);
  }
  const std::size_t available = bytes.size() - header;
  if (available < count) {
    throw std::invalid_argument(path + ": truncated at offset " + std::to_string(bytes.size()) +
                                ": the " + shape + " array needs " + std::to_string(count) +
                                " bytes after offset " + std::to_string(header) + ", found " +
                                std::to_string(available));
  }
  if (available > count) {
    throw std::invalid_argument(path + ": offset " + std::to_string(header + count) + ": " +
                                std::to_string(available - count) + " trailing bytes after the " +
                                shape + " array");
  }
  bytes.erase(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(header));
  array.data = std::move(bytes);
  return array;
}

std::shared_ptr<InMemoryDataset> load_idx_dataset(const std::string& images_path,
                                                  const std::string& labels_path,
                                                  const std::string& name,
                                                  std::vector<std::string> classes) {
  IdxArray images = read_idx(images_path);
  IdxArray labels = read_idx(labels_path);
  int channels = 1;
  if (images.dims.size() == 4) {
    channels = static_cast<int>(images.dims[3]);
    if (channels != 1 && channels != 3) {
      throw std::invalid_argument(images_path + ": " + std::to_string(channels) +
                                  " channels, expected 1 or 3");
    }
  } else if (images.dims.size() != 3) {
    throw std::invalid_argument(images_path + ": " + std::to_string(images.dims.size()) +
                                " dimensions, expected images as N x H x W or N x H x W x C");
  }
  if (labels.dims.size() != 1) {
    throw std::invalid_argument(labels_path + ": " + std::to_string(labels.dims.size()) +
                                " dimensions, expected labels as one dimension");
  }
  if (labels.dims[0] != images.dims[0]) {
    throw std::invalid_argument(labels_path + ": " + std::to_string(labels.dims[0]) +
                                " labels, but " + images_path + " holds " +
                                std::to_string(images.dims[0]) + " images");
  }
  std::vector<int> label_values(labels.data.begin(), labels.data.end());
  if (classes.empty()) {
    const int max_label =
        label_values.empty() ? 0 : *std::max_element(label_values.begin(), label_values.end());
    for (int c = 0; c <= max_label; ++c) classes.push_back(std::to_string(c));
  }
  for (std::size_t i = 0; i < label_values.size(); ++i) {
    if (label_values[i] >= static_cast<int>(classes.size())) {
      throw std::invalid_argument(labels_path + ": label " + std::to_string(i) + " (offset " +
                                  std::to_string(8 + i) + "): " + std::to_string(label_values[i]) +
                                  " is outside 0.." + std::to_string(classes.size() - 1));
    }
  }
  return std::make_shared<InMemoryDataset>(
      name, static_cast<int>(images.dims[1]), static_cast<int>(images.dims[2]), channels,
      std::move(images.data), std::move(label_values), std::move(classes));
}

std::string find_idx_file(const std::string& dir, const std::string& prefix,
                          const std::string& kind) {
  const std::string idx = kind == "images" ? "idx3-ubyte" : "idx1-ubyte";
  for (const std::string& base :
       {prefix + "-" + kind + "-" + idx, prefix + "-" + kind + "." + idx}) {
    for (const std::string& suffix : {std::string(".gz"), std::string()}) {
      const std::filesystem::path path = std::filesystem::path(dir) / (base + suffix);
      std::error_code ec;
      if (std::filesystem::is_regular_file(path, ec)) return path.string();
    }
  }
  return {};
}

}  // namespace autoaug::data
