#include "data/data_source.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "tests/data/test_files.h"

namespace autoaug::data {
namespace {

using testing::expect_error;
using testing::idx_bytes;
using testing::TempDir;

TEST(DataSource, OpensIdxFolder) {
  TempDir dir;
  std::vector<std::uint8_t> pixels(4 * 3 * 3);
  for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<std::uint8_t>(i * 5);
  testing::write_gz(dir.file("train-images-idx3-ubyte.gz"), idx_bytes({4, 3, 3}, pixels));
  testing::write_gz(dir.file("train-labels-idx1-ubyte.gz"), idx_bytes({4}, {0, 1, 1, 0}));
  testing::write_bytes(dir.file("t10k-images-idx3-ubyte"),
                       idx_bytes({1, 3, 3}, std::vector<std::uint8_t>(9, 255)));
  testing::write_bytes(dir.file("t10k-labels-idx1-ubyte"), idx_bytes({1}, {1}));
  const DataSource source = open_data_source("idx:" + dir.path().string());
  EXPECT_EQ(source.train->size(), 4u);
  EXPECT_EQ(source.test->size(), 1u);
  EXPECT_EQ(source.height, 3);
  EXPECT_EQ(source.channels, 1);
  EXPECT_FALSE(source.flip);
  ASSERT_EQ(source.mean.size(), 1u);
  EXPECT_NEAR(source.mean[0], (35 * 5 / 2.0) / 255.0, 1e-5);
  EXPECT_GT(source.std[0], 0.0f);
}

TEST(DataSource, MissingFilesAndUnknownNamesAreErrors) {
  TempDir dir;
  expect_error([&] { open_data_source("idx:" + dir.path().string()); },
               {"no train-images-idx3-ubyte[.gz]", dir.path().string()});
  expect_error([] { open_data_source("mnist"); }, {"unknown data set 'mnist'", "cifar10:DIR"});
  expect_error([] { open_data_source("cifar10:"); }, {"unknown data set"});
  expect_error([&] { open_data_source("cifar100:" + dir.path().string()); }, {"missing train.bin"});
}

TEST(DataSource, FolderWithTrainAndTest) {
  TempDir dir;
  for (const char* split : {"train", "test"}) {
    for (const char* cls : {"a", "b"}) {
      std::filesystem::create_directories(dir.path() / split / cls);
    }
  }
  // PGM files need no encoder library: a 2x2 grey image.
  const std::vector<std::uint8_t> pgm = {'P', '5', '\n', '2', ' ', '2', '\n', '2',
                                         '5', '5', '\n', 0,   50,  100, 150};
  testing::write_bytes(dir.file("train/a/0.pgm"), pgm);
  testing::write_bytes(dir.file("train/b/0.pgm"), pgm);
  testing::write_bytes(dir.file("test/a/0.pgm"), pgm);
  testing::write_bytes(dir.file("test/b/0.pgm"), pgm);
  const DataSource source = open_data_source("folder:" + dir.path().string());
  EXPECT_EQ(source.train->size(), 2u);
  EXPECT_EQ(source.test->size(), 2u);
  EXPECT_EQ(source.train->classes(), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(source.flip);
}

TEST(DataSource, FashionMnistFromDebianPackage) {
  // dataset-fashion-mnist is installed by tools/install_deps.sh; its absence is a failure.
  ASSERT_TRUE(std::filesystem::exists(std::string(kFashionMnistDir))) << kFashionMnistDir;
  const DataSource source = open_data_source("fashion-mnist");
  EXPECT_EQ(source.train->size(), 60000u);
  EXPECT_EQ(source.test->size(), 10000u);
  EXPECT_EQ(source.train->classes().size(), 10u);
  EXPECT_EQ(source.train->classes()[9], "Ankle boot");
  EXPECT_EQ(source.height, 28);
  EXPECT_NEAR(source.mean[0], 0.2860, 0.002);
  EXPECT_NEAR(source.std[0], 0.3530, 0.002);
}

}  // namespace
}  // namespace autoaug::data
