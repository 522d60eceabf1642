#include "data/cifar_reader.h"

#include <gtest/gtest.h>

#include <cstring>
#include <opencv2/core.hpp>

#include "tests/data/test_files.h"

namespace autoaug::data {
namespace {

using testing::expect_error;
using testing::TempDir;

// `count` records; record r has label labels[r] and pixel p of plane c equal to (r + c * 50 + p).
std::vector<std::uint8_t> cifar_records(const std::vector<std::vector<std::uint8_t>>& labels) {
  std::vector<std::uint8_t> bytes;
  for (std::size_t r = 0; r < labels.size(); ++r) {
    bytes.insert(bytes.end(), labels[r].begin(), labels[r].end());
    for (int c = 0; c < 3; ++c) {
      for (int p = 0; p < 1024; ++p) bytes.push_back(static_cast<std::uint8_t>(r + c * 50 + p));
    }
  }
  return bytes;
}

TEST(CifarReader, ReadsCifar10AsRgb) {
  TempDir dir;
  testing::write_bytes(dir.file("a.bin"), cifar_records({{3}, {9}}));
  testing::write_bytes(dir.file("b.bin"), cifar_records({{0}}));
  auto ds = load_cifar_files({dir.file("a.bin"), dir.file("b.bin")}, CifarKind::kCifar10, "c10");
  ASSERT_EQ(ds->size(), 3u);
  EXPECT_EQ(ds->label(0), 3);
  EXPECT_EQ(ds->label(1), 9);
  EXPECT_EQ(ds->label(2), 0);
  const cv::Mat image = ds->get(1).image;
  ASSERT_EQ(image.type(), CV_8UC3);
  ASSERT_EQ(image.rows, 32);
  // Pixel p = y * 32 + x of record 1: R = 1 + p, G = 1 + 50 + p, B = 1 + 100 + p (mod 256).
  const cv::Vec3b px = image.at<cv::Vec3b>(2, 5);
  EXPECT_EQ(px[0], static_cast<std::uint8_t>(1 + 69));
  EXPECT_EQ(px[1], static_cast<std::uint8_t>(1 + 50 + 69));
  EXPECT_EQ(px[2], static_cast<std::uint8_t>(1 + 100 + 69));
}

TEST(CifarReader, Cifar100UsesFineLabel) {
  TempDir dir;
  testing::write_bytes(dir.file("train.bin"), cifar_records({{19, 99}, {0, 42}}));
  auto ds = load_cifar_files({dir.file("train.bin")}, CifarKind::kCifar100, "c100");
  EXPECT_EQ(ds->classes().size(), 100u);
  EXPECT_EQ(ds->label(0), 99);
  EXPECT_EQ(ds->label(1), 42);
}

TEST(CifarReader, TruncatedFileNamesRecordAndOffset) {
  TempDir dir;
  auto bytes = cifar_records({{1}, {2}});
  bytes.resize(bytes.size() - 100);
  testing::write_bytes(dir.file("cut.bin"), bytes);
  expect_error([&] { load_cifar_files({dir.file("cut.bin")}, CifarKind::kCifar10, "c"); },
               {dir.file("cut.bin"), "truncated", "3073-byte record", "record 1 at offset 3073"});
}

TEST(CifarReader, LabelOutOfRangeNamesRecord) {
  TempDir dir;
  testing::write_bytes(dir.file("bad.bin"), cifar_records({{1}, {2}, {10}}));
  expect_error([&] { load_cifar_files({dir.file("bad.bin")}, CifarKind::kCifar10, "c"); },
               {dir.file("bad.bin"), "record 2 (offset 6146)", "label 10 is outside 0..9"});
  testing::write_bytes(dir.file("empty.bin"), {});
  expect_error([&] { load_cifar_files({dir.file("empty.bin")}, CifarKind::kCifar10, "c"); },
               {dir.file("empty.bin"), "empty"});
}

TEST(CifarReader, FindsFilesAndClassNames) {
  TempDir dir;
  const auto root = dir.path() / "cifar-10-batches-bin";
  for (int b = 1; b <= 5; ++b) {
    testing::write_bytes((root / ("data_batch_" + std::to_string(b) + ".bin")).string(),
                         cifar_records({{1}}));
  }
  std::vector<std::uint8_t> names;
  for (const char* n :
       {"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"}) {
    names.insert(names.end(), n, n + std::strlen(n));
    names.push_back('\n');
  }
  testing::write_bytes((root / "batches.meta.txt").string(), names);
  expect_error([&] { find_cifar_files(dir.path().string(), CifarKind::kCifar10); },
               {"missing test_batch.bin"});
  testing::write_bytes((root / "test_batch.bin").string(), cifar_records({{2}}));
  const CifarFiles files = find_cifar_files(dir.path().string(), CifarKind::kCifar10);
  EXPECT_EQ(files.train.size(), 5u);
  EXPECT_EQ(files.test, (std::vector<std::string>{(root / "test_batch.bin").string()}));
  ASSERT_EQ(files.classes.size(), 10u);
  EXPECT_EQ(files.classes[3], "cat");
}

}  // namespace
}  // namespace autoaug::data
