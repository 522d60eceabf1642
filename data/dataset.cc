#include "data/dataset.h"

namespace autoaug::data {

std::vector<int> all_labels(const Dataset& dataset) {
  std::vector<int> labels(dataset.size());
  for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = dataset.label(i);
  return labels;
}

}  // namespace autoaug::data
