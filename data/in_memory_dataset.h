#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/dataset.h"

namespace autoaug::data {

// Images of one size held in one contiguous uint8 buffer, row-major HWC per image (what IDX and
// CIFAR readers decode into). Immutable; get() copies the image out.
class InMemoryDataset : public Dataset {
 public:
  // `pixels` holds labels.size() images of height x width x channels bytes each. Throws
  // std::invalid_argument naming `name` when the buffer size, channel count (1 or 3) or a label
  // (outside 0..classes.size()-1) is wrong.
  InMemoryDataset(std::string name, int height, int width, int channels,
                  std::vector<std::uint8_t> pixels, std::vector<int> labels,
                  std::vector<std::string> classes);

  std::size_t size() const override { return labels_.size(); }
  Example get(std::size_t index) const override;
  int label(std::size_t index) const override;
  const std::vector<std::string>& classes() const override { return classes_; }
  const std::string& name() const override { return name_; }

  int height() const { return height_; }
  int width() const { return width_; }
  int channels() const { return channels_; }
  // The raw pixels of image `index` (height*width*channels bytes, HWC); no bounds check.
  const std::uint8_t* pixels(std::size_t index) const {
    return pixels_.data() + index * image_bytes_;
  }

 private:
  std::string name_;
  int height_;
  int width_;
  int channels_;
  std::size_t image_bytes_;
  std::vector<std::uint8_t> pixels_;
  std::vector<int> labels_;
  std::vector<std::string> classes_;
};

}  // namespace autoaug::data
