#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/in_memory_dataset.h"

namespace autoaug::data {

// An IDX array of unsigned bytes (MNIST's format): a big-endian header
//   bytes 0-1: 0, byte 2: element type (0x08 = uint8, the only one read), byte 3: number of dims,
//   then one big-endian uint32 per dimension, then the elements in row-major order.
struct IdxArray {
  std::vector<std::uint32_t> dims;
  std::vector<std::uint8_t> data;
};

// Reads an IDX file, gzip-compressed or plain. Throws std::invalid_argument naming the file and
// the offset when the header is wrong, the element type is not uint8, the data is truncated or
// followed by trailing bytes.
IdxArray read_idx(const std::string& path);

// Images (N x H x W, or N x H x W x C with C 1 or 3) and labels (N) as a data set. `classes`
// empty means "0".."max label". Throws std::invalid_argument naming the file when the shapes do
// not fit, the counts differ, or a label (with its index and offset) is out of range.
std::shared_ptr<InMemoryDataset> load_idx_dataset(const std::string& images_path,
                                                  const std::string& labels_path,
                                                  const std::string& name,
                                                  std::vector<std::string> classes = {});

// Finds "<prefix>-images-idx3-ubyte" (or "<prefix>-images.idx3-ubyte"), with or without ".gz", in
// `dir`; prefix is "train" or "t10k". Returns an empty string when there is none.
std::string find_idx_file(const std::string& dir, const std::string& prefix,
                          const std::string& kind);

}  // namespace autoaug::data
