#include "data/in_memory_dataset.h"

#include <cstring>
#include <stdexcept>
#include <utility>

namespace autoaug::data {

InMemoryDataset::InMemoryDataset(std::string name, int height, int width, int channels,
                                 std::vector<std::uint8_t> pixels, std::vector<int> labels,
                                 std::vector<std::string> classes)
    : name_(std::move(name)),
      height_(height),
      width_(width),
      channels_(channels),
      image_bytes_(static_cast<std::size_t>(height) * width * channels),
      pixels_(std::move(pixels)),
      labels_(std::move(labels)),
      classes_(std::move(classes)) {
  if (channels_ != 1 && channels_ != 3) {
    throw std::invalid_argument(name_ + ": channels: " + std::to_string(channels_) +
                                " is not 1 or 3");
  }
  if (height_ <= 0 || width_ <= 0) {
    throw std::invalid_argument(name_ + ": image size " + std::to_string(height_) + "x" +
                                std::to_string(width_) + " is empty");
  }
  if (pixels_.size() != image_bytes_ * labels_.size()) {
    throw std::invalid_argument(name_ + ": " + std::to_string(pixels_.size()) +
                                " pixel bytes do not hold " + std::to_string(labels_.size()) +
                                " images of " + std::to_string(image_bytes_) + " bytes");
  }
  const int num_classes = static_cast<int>(classes_.size());
  for (std::size_t i = 0; i < labels_.size(); ++i) {
    if (labels_[i] < 0 || labels_[i] >= num_classes) {
      throw std::invalid_argument(name_ + ": label " + std::to_string(i) + ": " +
                                  std::to_string(labels_[i]) + " is outside 0.." +
                                  std::to_string(num_classes - 1));
    }
  }
}

Example InMemoryDataset::get(std::size_t index) const {
  if (index >= labels_.size()) {
    throw std::out_of_range(name_ + ": index " + std::to_string(index) + " >= size " +
                            std::to_string(labels_.size()));
  }
  Example example;
  example.image.create(height_, width_, channels_ == 1 ? CV_8UC1 : CV_8UC3);
  std::memcpy(example.image.data, pixels(index), image_bytes_);
  example.label = labels_[index];
  return example;
}

int InMemoryDataset::label(std::size_t index) const {
  if (index >= labels_.size()) {
    throw std::out_of_range(name_ + ": index " + std::to_string(index) + " >= size " +
                            std::to_string(labels_.size()));
  }
  return labels_[index];
}

}  // namespace autoaug::data
