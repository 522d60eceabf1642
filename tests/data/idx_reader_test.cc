#include "data/idx_reader.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "tests/data/test_files.h"

namespace autoaug::data {
namespace {

using testing::expect_error;
using testing::idx_bytes;
using testing::TempDir;

std::vector<std::uint8_t> ramp(std::size_t n) {
  std::vector<std::uint8_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>(i * 7);
  return v;
}

TEST(IdxReader, ReadsPlainAndGzipIdentically) {
  TempDir dir;
  const auto bytes = idx_bytes({3, 2, 4}, ramp(24));
  testing::write_bytes(dir.file("a-idx3-ubyte"), bytes);
  testing::write_gz(dir.file("a-idx3-ubyte.gz"), bytes);
  const IdxArray plain = read_idx(dir.file("a-idx3-ubyte"));
  const IdxArray gz = read_idx(dir.file("a-idx3-ubyte.gz"));
  EXPECT_EQ(plain.dims, (std::vector<std::uint32_t>{3, 2, 4}));
  EXPECT_EQ(plain.data, ramp(24));
  EXPECT_EQ(gz.dims, plain.dims);
  EXPECT_EQ(gz.data, plain.data);
}

TEST(IdxReader, TruncatedDataNamesFileAndOffset) {
  TempDir dir;
  auto bytes = idx_bytes({3, 2, 4}, ramp(24));
  bytes.resize(bytes.size() - 5);
  const std::string path = dir.file("t-idx3-ubyte");
  testing::write_bytes(path, bytes);
  expect_error([&] { read_idx(path); },
               {path, "truncated at offset 35", "needs 24 bytes", "found 19"});
}

TEST(IdxReader, TruncatedHeaderAndBadMagic) {
  TempDir dir;
  const std::string short_header = dir.file("h");
  testing::write_bytes(short_header, {0, 0, 8, 3, 0, 0});
  expect_error([&] { read_idx(short_header); }, {short_header, "truncated at offset 6"});
  const std::string png = dir.file("p");
  testing::write_bytes(png, {0x89, 'P', 'N', 'G', 0, 0, 0, 0});
  expect_error([&] { read_idx(png); }, {png, "offset 0", "not an IDX file"});
  const std::string floats = dir.file("f");
  testing::write_bytes(floats, {0, 0, 0x0D, 1, 0, 0, 0, 0});
  expect_error([&] { read_idx(floats); }, {floats, "offset 2", "0x0D"});
}

TEST(IdxReader, TrailingBytesAreAnError) {
  TempDir dir;
  auto bytes = idx_bytes({2}, {1, 2});
  bytes.push_back(9);
  const std::string path = dir.file("labels");
  testing::write_bytes(path, bytes);
  expect_error([&] { read_idx(path); }, {path, "offset 10", "1 trailing bytes"});
}

TEST(IdxReader, CorruptGzipNamesFile) {
  TempDir dir;
  const std::string good = dir.file("good.gz");
  testing::write_gz(good, idx_bytes({1000}, std::vector<std::uint8_t>(1000, 3)));
  auto bytes = testing::read_all(good);
  bytes.resize(bytes.size() / 2);
  const std::string cut = dir.file("cut.gz");
  testing::write_bytes(cut, bytes);
  expect_error([&] { read_idx(cut); }, {cut, "gzip"});
  bytes = testing::read_all(good);
  for (std::size_t i = 12; i < bytes.size() - 8; ++i) bytes[i] ^= 0x5A;
  const std::string garbled = dir.file("garbled.gz");
  testing::write_bytes(garbled, bytes);
  expect_error([&] { read_idx(garbled); }, {garbled, "gzip"});
}

TEST(IdxReader, MissingFileNamesIt) {
  expect_error([] { read_idx("/nonexistent/autoaug/x-idx1-ubyte"); },
               {"/nonexistent/autoaug/x-idx1-ubyte", "cannot open"});
}

TEST(IdxDataset, LoadsImagesAndLabels) {
  TempDir dir;
  testing::write_gz(dir.file("train-images-idx3-ubyte.gz"), idx_bytes({3, 2, 4}, ramp(24)));
  testing::write_bytes(dir.file("train-labels-idx1-ubyte"), idx_bytes({3}, {2, 0, 1}));
  EXPECT_EQ(find_idx_file(dir.path().string(), "train", "images"),
            dir.file("train-images-idx3-ubyte.gz"));
  EXPECT_EQ(find_idx_file(dir.path().string(), "train", "labels"),
            dir.file("train-labels-idx1-ubyte"));
  EXPECT_EQ(find_idx_file(dir.path().string(), "t10k", "labels"), "");
  auto ds = load_idx_dataset(dir.file("train-images-idx3-ubyte.gz"),
                             dir.file("train-labels-idx1-ubyte"), "tiny");
  ASSERT_EQ(ds->size(), 3u);
  EXPECT_EQ(ds->classes(), (std::vector<std::string>{"0", "1", "2"}));
  const Example e = ds->get(1);
  EXPECT_EQ(e.label, 0);
  EXPECT_EQ(e.image.rows, 2);
  EXPECT_EQ(e.image.cols, 4);
  EXPECT_EQ(e.image.channels(), 1);
  EXPECT_EQ(e.image.at<std::uint8_t>(1, 3), static_cast<std::uint8_t>((8 + 7) * 7));
  EXPECT_THROW(ds->get(3), std::out_of_range);
}

TEST(IdxDataset, MismatchedLabelCountNamesBothFiles) {
  TempDir dir;
  testing::write_bytes(dir.file("i"), idx_bytes({3, 2, 2}, ramp(12)));
  testing::write_bytes(dir.file("l"), idx_bytes({2}, {0, 1}));
  expect_error([&] { load_idx_dataset(dir.file("i"), dir.file("l"), "x"); },
               {dir.file("l"), "2 labels", dir.file("i"), "3 images"});
}

TEST(IdxDataset, LabelOutOfRangeNamesIndexAndOffset) {
  TempDir dir;
  testing::write_bytes(dir.file("i"), idx_bytes({3, 2, 2}, ramp(12)));
  testing::write_bytes(dir.file("l"), idx_bytes({3}, {0, 1, 10}));
  expect_error(
      [&] {
        load_idx_dataset(dir.file("i"), dir.file("l"), "x",
                         {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"});
      },
      {dir.file("l"), "label 2 (offset 10)", "10 is outside 0..9"});
}

}  // namespace
}  // namespace autoaug::data
