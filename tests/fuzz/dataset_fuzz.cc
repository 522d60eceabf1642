// libFuzzer target for the data set readers (data/idx_reader.h, data/cifar_reader.h,
// augment/image_io.h): arbitrary bytes as an IDX file (plain and, when the input starts with
// gzip's magic, compressed), a CIFAR-10 batch and an image file. Only std::invalid_argument
// naming the file may come out; what loads must be consistent. Build and run with tools/fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <opencv2/core.hpp>
#include <stdexcept>
#include <string>

#include "augment/image_io.h"
#include "data/cifar_reader.h"
#include "data/idx_reader.h"
#include "tests/fuzz/fuzz_file.h"

namespace {

// Runs `read`; a std::invalid_argument must name `path`, anything else escapes (a finding).
template <typename Read>
void expect_clean(const std::string& path, Read read) {
  try {
    read();
  } catch (const std::invalid_argument& e) {
    if (std::string(e.what()).find(path) == std::string::npos) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace autoaug;
  const bool gz = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
  const std::string idx = fuzz::write_scratch(data, size, gz ? "x-idx.gz" : "x-idx");
  expect_clean(idx, [&] {
    const data::IdxArray a = data::read_idx(idx);
    std::size_t n = 1;
    for (const auto d : a.dims) n *= d;
    if (n != a.data.size()) std::abort();
  });
  const std::string cifar = fuzz::write_scratch(data, size, "data_batch_1.bin");
  expect_clean(cifar, [&] {
    const auto set = data::load_cifar_files({cifar}, data::CifarKind::kCifar10, "fuzz");
    if (set->size() * 3073 != size) std::abort();
  });
  const std::string image = fuzz::write_scratch(data, size, "image.png");
  expect_clean(image, [&] {
    const cv::Mat m = augment::read_image(image);
    if (m.empty() || m.depth() != CV_8U || (m.channels() != 1 && m.channels() != 3)) std::abort();
  });
  return 0;
}
