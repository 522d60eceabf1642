#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace autoaug::data {

// Two disjoint subsets of a data set's indices, each sorted ascending.
struct Split {
  std::vector<std::size_t> train;
  std::vector<std::size_t> val;
};

// A seeded stratified split: `train_size` and `val_size` examples drawn without replacement from
// the examples whose labels are given, so that each class keeps its share of every subset (largest
// remainder rounding). The same labels, sizes and seed give the same split on every platform.
// Throws std::invalid_argument when train_size + val_size exceeds labels.size() or a label is
// negative.
Split stratified_split(const std::vector<int>& labels, std::size_t train_size, std::size_t val_size,
                       std::uint64_t seed);

}  // namespace autoaug::data
