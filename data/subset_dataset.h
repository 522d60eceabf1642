#pragma once

#include <memory>
#include <string>
#include <vector>

#include "data/dataset.h"

namespace autoaug::data {

// A view of some examples of another data set, in the given order. Shares the base data set.
class SubsetDataset : public Dataset {
 public:
  // Throws std::invalid_argument naming `name` when an index is outside the base data set.
  SubsetDataset(std::shared_ptr<const Dataset> base, std::vector<std::size_t> indices,
                std::string name);

  std::size_t size() const override { return indices_.size(); }
  Example get(std::size_t index) const override { return base_->get(indices_.at(index)); }
  int label(std::size_t index) const override { return base_->label(indices_.at(index)); }
  const std::vector<std::string>& classes() const override { return base_->classes(); }
  const std::string& name() const override { return name_; }

  const std::vector<std::size_t>& indices() const { return indices_; }

 private:
  std::shared_ptr<const Dataset> base_;
  std::vector<std::size_t> indices_;
  std::string name_;
};

}  // namespace autoaug::data
