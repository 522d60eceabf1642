#include "data/split.h"

#include <algorithm>
#include <map>
#include <stdexcept>
#include <string>

#include "data/random.h"

namespace autoaug::data {

namespace {

// Per-class counts summing to `total`, proportional to the class sizes (largest remainder; ties to
// the smaller label), never more than `available` per class.
std::vector<std::size_t> allocate(const std::vector<std::size_t>& available, std::size_t n,
                                  std::size_t total) {
  std::vector<std::size_t> counts(available.size());
  std::vector<std::pair<double, std::size_t>> remainders;
  std::size_t assigned = 0;
  for (std::size_t c = 0; c < available.size(); ++c) {
    const double exact = static_cast<double>(total) * available[c] / static_cast<double>(n);
    counts[c] = std::min(available[c], static_cast<std::size_t>(exact));
    assigned += counts[c];
    remainders.push_back({exact - static_cast<double>(counts[c]), c});
  }
  std::stable_sort(remainders.begin(), remainders.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  while (assigned < total) {
    bool progressed = false;
    for (const auto& [remainder, c] : remainders) {
      if (assigned == total) break;
      if (counts[c] < available[c]) {
        ++counts[c];
        ++assigned;
        progressed = true;
      }
    }
    if (!progressed) break;
  }
  return counts;
}

}  // namespace

Split stratified_split(const std::vector<int>& labels, std::size_t train_size, std::size_t val_size,
                       std::uint64_t seed) {
  const std::size_t n = labels.size();
  if (train_size + val_size > n) {
    throw std::invalid_argument("split: train size " + std::to_string(train_size) + " + val size " +
                                std::to_string(val_size) + " exceeds the " + std::to_string(n) +
                                " examples");
  }
  std::map<int, std::vector<std::size_t>> by_class;
  for (std::size_t i = 0; i < n; ++i) {
    if (labels[i] < 0) {
      throw std::invalid_argument("split: label " + std::to_string(i) + " is negative");
    }
    by_class[labels[i]].push_back(i);
  }
  std::vector<std::size_t> sizes;
  for (auto& [label, members] : by_class) {
    std::mt19937_64 rng(derive_seed(seed, 0x5B11, static_cast<std::uint64_t>(label)));
    shuffle(members, rng);
    sizes.push_back(members.size());
  }
  const std::vector<std::size_t> val_counts = allocate(sizes, n, val_size);
  std::vector<std::size_t> left(sizes.size());
  for (std::size_t c = 0; c < sizes.size(); ++c) left[c] = sizes[c] - val_counts[c];
  const std::vector<std::size_t> train_counts = allocate(left, n - val_size, train_size);
  Split split;
  std::size_t c = 0;
  for (const auto& [label, members] : by_class) {
    split.val.insert(split.val.end(), members.begin(), members.begin() + val_counts[c]);
    split.train.insert(split.train.end(), members.begin() + val_counts[c],
                       members.begin() + val_counts[c] + train_counts[c]);
    ++c;
  }
  std::sort(split.train.begin(), split.train.end());
  std::sort(split.val.begin(), split.val.end());
  return split;
}

}  // namespace autoaug::data
