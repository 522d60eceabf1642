#include "data/subset_dataset.h"

#include <stdexcept>
#include <utility>

namespace autoaug::data {

SubsetDataset::SubsetDataset(std::shared_ptr<const Dataset> base, std::vector<std::size_t> indices,
                             std::string name)
    : base_(std::move(base)), indices_(std::move(indices)), name_(std::move(name)) {
  for (std::size_t i = 0; i < indices_.size(); ++i) {
    if (indices_[i] >= base_->size()) {
      throw std::invalid_argument(name_ + ": index " + std::to_string(i) + ": " +
                                  std::to_string(indices_[i]) + " is outside " + base_->name() +
                                  " (size " + std::to_string(base_->size()) + ")");
    }
  }
}

}  // namespace autoaug::data
