#include "data/folder_dataset.h"

#include <gtest/gtest.h>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "tests/data/test_files.h"

namespace autoaug::data {
namespace {

using testing::expect_error;
using testing::TempDir;

void write_png(const std::filesystem::path& path, int value) {
  std::filesystem::create_directories(path.parent_path());
  cv::Mat image(6, 5, CV_8UC3, cv::Scalar(value, value + 1, value + 2));
  ASSERT_TRUE(cv::imwrite(path.string(), image));
}

TEST(FolderDataset, OneClassPerSubFolderInSortedOrder) {
  TempDir dir;
  write_png(dir.path() / "dog" / "b.png", 10);
  write_png(dir.path() / "dog" / "a.png", 20);
  write_png(dir.path() / "cat" / "x.png", 30);
  testing::write_bytes(dir.file("cat/notes.txt"), {'h', 'i'});
  testing::write_bytes(dir.file("cat/.hidden.png"), {'h', 'i'});
  std::filesystem::create_directories(dir.path() / "empty");
  FolderDataset ds(dir.path().string());
  ASSERT_EQ(ds.size(), 3u);
  EXPECT_EQ(ds.classes(), (std::vector<std::string>{"cat", "dog"}));
  EXPECT_EQ(ds.label(0), 0);
  EXPECT_EQ(ds.label(1), 1);
  EXPECT_EQ(ds.path(1), dir.file("dog/a.png"));
  const Example e = ds.get(1);
  EXPECT_EQ(e.label, 1);
  ASSERT_EQ(e.image.type(), CV_8UC3);
  EXPECT_EQ(e.image.rows, 6);
  EXPECT_EQ(e.image.cols, 5);
  // Written as BGR (20, 21, 22); read back as RGB.
  EXPECT_EQ(e.image.at<cv::Vec3b>(0, 0), cv::Vec3b(22, 21, 20));
}

TEST(FolderDataset, UnreadableImageNamesFileAndIndex) {
  TempDir dir;
  write_png(dir.path() / "a" / "0.png", 1);
  testing::write_bytes(dir.file("a/1.png"), {0x89, 'P', 'N', 'G', 1, 2, 3});
  FolderDataset ds(dir.path().string(), "folder:test");
  EXPECT_NO_THROW(ds.get(0));
  expect_error([&] { ds.get(1); }, {"folder:test", "image 1", dir.file("a/1.png")});
}

TEST(FolderDataset, EmptyOrMissingFolderIsAnError) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() / "a");
  expect_error([&] { FolderDataset ds(dir.path().string()); },
               {dir.path().string(), "no class sub-folder"});
  expect_error([&] { FolderDataset ds(dir.file("missing")); },
               {dir.file("missing"), "not a folder"});
}

}  // namespace
}  // namespace autoaug::data
