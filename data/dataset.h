#pragma once

#include <cstddef>
#include <memory>
#include <opencv2/core/mat.hpp>
#include <string>
#include <vector>

namespace autoaug::data {

// One labelled image: uint8, 1 channel (grey) or 3 channels in RGB order.
struct Example {
  cv::Mat image;
  int label = 0;
};

// A labelled image collection with a fixed size. Implementations are immutable after
// construction, so every const member is safe to call from several threads at once.
class Dataset {
 public:
  virtual ~Dataset() = default;

  virtual std::size_t size() const = 0;

  // The example at `index` (0 <= index < size()). The image is the caller's own (never shared
  // with the data set). Throws std::out_of_range for a bad index and std::invalid_argument,
  // naming the file and the index, when the example cannot be read (a corrupt image file).
  virtual Example get(std::size_t index) const = 0;

  // The label of `index` without reading the image; used for stratified splits.
  virtual int label(std::size_t index) const = 0;

  // Class names; labels are indices into this list.
  virtual const std::vector<std::string>& classes() const = 0;

  // Where the data came from, for messages (e.g. "cifar10:/data/cifar train").
  virtual const std::string& name() const = 0;
};

// All labels of `dataset` in index order.
std::vector<int> all_labels(const Dataset& dataset);

}  // namespace autoaug::data
