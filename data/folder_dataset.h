#pragma once

#include <string>
#include <vector>

#include "data/dataset.h"

namespace autoaug::data {

// Images in one sub-folder per class (`dir/<class>/<file>`), classes in sorted name order, files
// in sorted path order; any format OpenCV reads (png, jpg, jpeg, bmp, pgm, ppm, pbm, pnm, tif,
// tiff, webp). Files with other extensions and hidden files are skipped. Images are read on
// demand by get(), as RGB or grey uint8.
class FolderDataset : public Dataset {
 public:
  // Lists the files. Throws std::invalid_argument naming `dir` when it is not a folder or has no
  // class sub-folder holding at least one image.
  explicit FolderDataset(const std::string& dir, std::string name = {});

  std::size_t size() const override { return files_.size(); }
  // Throws std::invalid_argument naming the data set, the index and the file when the image
  // cannot be read.
  Example get(std::size_t index) const override;
  int label(std::size_t index) const override;
  const std::vector<std::string>& classes() const override { return classes_; }
  const std::string& name() const override { return name_; }

  const std::string& path(std::size_t index) const { return files_.at(index); }

 private:
  std::string name_;
  std::vector<std::string> classes_;
  std::vector<std::string> files_;
  std::vector<int> labels_;
};

}  // namespace autoaug::data
