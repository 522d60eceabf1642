#include "data/folder_dataset.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <stdexcept>

#include "augment/image_io.h"

namespace autoaug::data {

namespace {

bool is_image_file(const std::filesystem::path& path) {
  static const char* kExtensions[] = {".png", ".jpg", ".jpeg", ".bmp",  ".pgm", ".ppm",
                                      ".pbm", ".pnm", ".tif",  ".tiff", ".webp"};
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return std::find(std::begin(kExtensions), std::end(kExtensions), ext) != std::end(kExtensions);
}

bool hidden(const std::filesystem::path& path) {
  const std::string name = path.filename().string();
  return !name.empty() && name[0] == '.';
}

}  // namespace

FolderDataset::FolderDataset(const std::string& dir, std::string name)
    : name_(name.empty() ? "folder:" + dir : std::move(name)) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw std::invalid_argument(dir + ": not a folder");
  std::vector<fs::path> class_dirs;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_directory() && !hidden(entry.path())) class_dirs.push_back(entry.path());
  }
  std::sort(class_dirs.begin(), class_dirs.end());
  for (const fs::path& class_dir : class_dirs) {
    std::vector<std::string> files;
    for (const auto& entry : fs::recursive_directory_iterator(class_dir, ec)) {
      if (entry.is_regular_file() && !hidden(entry.path()) && is_image_file(entry.path())) {
        files.push_back(entry.path().string());
      }
    }
    if (files.empty()) continue;
    std::sort(files.begin(), files.end());
    const int label = static_cast<int>(classes_.size());
    classes_.push_back(class_dir.filename().string());
    for (std::string& file : files) {
      files_.push_back(std::move(file));
      labels_.push_back(label);
    }
  }
  if (files_.empty()) {
    throw std::invalid_argument(dir + ": no class sub-folder holds an image file");
  }
}

Example FolderDataset::get(std::size_t index) const {
  if (index >= files_.size()) {
    throw std::out_of_range(name_ + ": index " + std::to_string(index) + " >= size " +
                            std::to_string(files_.size()));
  }
  Example example;
  try {
    example.image = augment::read_image(files_[index]);
  } catch (const std::exception& e) {
    throw std::invalid_argument(name_ + ": image " + std::to_string(index) + ": " + e.what());
  }
  example.label = labels_[index];
  return example;
}

int FolderDataset::label(std::size_t index) const {
  if (index >= labels_.size()) {
    throw std::out_of_range(name_ + ": index " + std::to_string(index) + " >= size " +
                            std::to_string(labels_.size()));
  }
  return labels_[index];
}

}  // namespace autoaug::data
