#include "search/surrogate/random_forest.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "search/random.h"

namespace autoaug::search {

// Grows one tree. Every feature keeps the in-bag samples of the current node as a contiguous
// range of its own list, sorted by that feature for continuous ones; a split stably partitions
// every list, so no node ever sorts (cost O(samples x features) per level).
class RandomForest::Builder {
 public:
  Builder(const RandomForest& forest, const std::vector<double>& xcol, const std::vector<double>& y,
          const std::vector<std::vector<int>>& order, std::vector<uint64_t>& masks)
      : forest_(forest), xcol_(xcol), y_(y), order_(order), masks_(masks) {
    n_ = static_cast<int>(y.size());
    d_ = static_cast<int>(forest.categories_.size());
  }

  Tree build(std::mt19937_64& rng) {
    rng_ = &rng;
    weight_.assign(n_, 0.0);
    if (forest_.options_.bootstrap) {
      for (int i = 0; i < n_; ++i) weight_[random::uniform_int(rng, 0, n_ - 1)] += 1.0;
    } else {
      std::fill(weight_.begin(), weight_.end(), 1.0);
    }
    // List d_ holds the members in index order (categorical features scan it).
    lists_.resize(d_ + 1);
    for (auto& list : lists_) list.clear();
    for (int f = 0; f <= d_; ++f) {
      if (f < d_ && forest_.categories_[f] > 0) continue;
      for (int i : order_[f]) {
        if (weight_[i] > 0) lists_[f].push_back(i);
      }
    }
    m_ = static_cast<int>(lists_[d_].size());
    goes_left_.assign(n_, 0);
    features_.resize(d_);
    std::iota(features_.begin(), features_.end(), 0);
    const int mtry =
        std::clamp(static_cast<int>(std::lround(forest_.options_.max_features * d_)), 1, d_);
    mtry_ = mtry;
    tree_ = Tree{};
    grow(0, m_, 0);
    return std::move(tree_);
  }

 private:
  struct Split {
    int feature = -1;
    double gain = -1;
    double threshold = 0;
    std::vector<uint64_t> left_mask;  // categorical: bit c set when category c goes left
  };

  // Records a categorical split sending present_[0..count) left.
  void take_categorical(int f, double gain, size_t count, Split& best) const {
    best.feature = f;
    best.gain = gain;
    best.left_mask.assign((forest_.categories_[f] + 63) / 64, 0);
    for (size_t p = 0; p < count; ++p) {
      best.left_mask[present_[p] / 64] |= uint64_t{1} << (present_[p] % 64);
    }
  }

  const std::vector<int>& members() const { return lists_[d_]; }
  double x(int f, int i) const { return xcol_[static_cast<size_t>(f) * n_ + i]; }

  int grow(int begin, int end, int depth) {
    const int index = static_cast<int>(tree_.nodes.size());
    tree_.nodes.emplace_back();
    double w = 0, s = 0, q = 0;
    for (int k = begin; k < end; ++k) {
      const int i = members()[k];
      w += weight_[i];
      s += weight_[i] * y_[i];
      q += weight_[i] * y_[i] * y_[i];
    }
    const double mean = s / w;
    const double var = std::max(0.0, q / w - mean * mean);
    tree_.nodes[index].mean = mean;
    tree_.nodes[index].variance = var;
    const auto& opt = forest_.options_;
    const double min_leaf = opt.min_samples_leaf;
    if (w < 2 * min_leaf || var <= 1e-14 * (1 + mean * mean) ||
        (opt.max_depth > 0 && depth >= opt.max_depth) || end - begin < 2) {
      return index;
    }
    Split best;
    const double parent = s * s / w;
    for (int t = 0; t < d_; ++t) {
      // Partial Fisher-Yates: features_[t] is a fresh random feature. Like scikit-learn, keep
      // looking past mtry features until one gives a valid split.
      const int pick = random::uniform_int(*rng_, t, d_ - 1);
      std::swap(features_[t], features_[pick]);
      const int f = features_[t];
      if (forest_.categories_[f] > 0) {
        categorical_split(f, begin, end, w, s, best);
      } else {
        continuous_split(f, begin, end, w, s, best);
      }
      if (t + 1 >= mtry_ && best.feature >= 0) break;
    }
    if (best.feature < 0 || best.gain <= parent * (1 + 1e-12) + 1e-12) return index;

    Node& node = tree_.nodes[index];
    node.feature = best.feature;
    if (forest_.categories_[best.feature] > 0) {
      node.mask = static_cast<uint32_t>(masks_.size());
      masks_.insert(masks_.end(), best.left_mask.begin(), best.left_mask.end());
      for (int k = begin; k < end; ++k) {
        const int i = members()[k];
        const int c = static_cast<int>(x(best.feature, i));
        goes_left_[i] = (masks_[node.mask + c / 64] >> (c % 64)) & 1;
      }
    } else {
      node.threshold = best.threshold;
      for (int k = begin; k < end; ++k) {
        const int i = members()[k];
        goes_left_[i] = x(best.feature, i) <= best.threshold;
      }
    }
    int n_left = 0;
    for (int k = begin; k < end; ++k) n_left += goes_left_[members()[k]];
    if (n_left == 0 || n_left == end - begin) {  // cannot happen with exact arithmetic; be safe
      tree_.nodes[index].feature = -1;
      return index;
    }
    for (auto& list : lists_) {
      if (list.empty()) continue;
      buffer_.clear();
      int pos = begin;
      for (int k = begin; k < end; ++k) {
        const int i = list[k];
        if (goes_left_[i]) {
          list[pos++] = i;
        } else {
          buffer_.push_back(i);
        }
      }
      std::copy(buffer_.begin(), buffer_.end(), list.begin() + pos);
    }
    grow(begin, begin + n_left, depth + 1);
    const int right = grow(begin + n_left, end, depth + 1);
    tree_.nodes[index].right = right;
    return index;
  }

  void consider(double wl, double sl, double w, double s, double& gain_out, bool& ok) const {
    const double min_leaf = forest_.options_.min_samples_leaf;
    const double wr = w - wl;
    ok = wl >= min_leaf && wr >= min_leaf;
    if (ok) gain_out = sl * sl / wl + (s - sl) * (s - sl) / wr;
  }

  void continuous_split(int f, int begin, int end, double w, double s, Split& best) {
    const auto& list = lists_[f];
    const double lo = x(f, list[begin]);
    const double hi = x(f, list[end - 1]);
    if (!(hi > lo)) return;
    double wl = 0, sl = 0, gain = 0;
    bool ok = false;
    if (forest_.options_.extra_trees) {
      const double threshold = random::uniform_real(*rng_, lo, hi);
      for (int k = begin; k < end && x(f, list[k]) <= threshold; ++k) {
        wl += weight_[list[k]];
        sl += weight_[list[k]] * y_[list[k]];
      }
      consider(wl, sl, w, s, gain, ok);
      if (ok && gain > best.gain) {
        best.feature = f;
        best.gain = gain;
        best.threshold = threshold;
      }
      return;
    }
    for (int k = begin; k < end - 1; ++k) {
      const int i = list[k];
      wl += weight_[i];
      sl += weight_[i] * y_[i];
      const double v = x(f, i);
      const double next = x(f, list[k + 1]);
      if (next <= v) continue;
      consider(wl, sl, w, s, gain, ok);
      if (ok && gain > best.gain) {
        best.feature = f;
        best.gain = gain;
        best.threshold = 0.5 * (v + next);
        if (!(best.threshold < next)) best.threshold = v;  // neighbours one ulp apart
      }
    }
  }

  void categorical_split(int f, int begin, int end, double w, double s, Split& best) {
    const int k_max = forest_.categories_[f];
    cw_.assign(k_max, 0.0);
    cs_.assign(k_max, 0.0);
    for (int k = begin; k < end; ++k) {
      const int i = members()[k];
      const int c = std::clamp(static_cast<int>(x(f, i)), 0, k_max - 1);
      cw_[c] += weight_[i];
      cs_[c] += weight_[i] * y_[i];
    }
    present_.clear();
    for (int c = 0; c < k_max; ++c) {
      if (cw_[c] > 0) present_.push_back(c);
    }
    if (present_.size() < 2) return;
    double gain = 0;
    bool ok = false;
    if (forest_.options_.extra_trees) {
      random::shuffle(present_.begin(), present_.end(), *rng_);
      const int cut = random::uniform_int(*rng_, 1, static_cast<int>(present_.size()) - 1);
      double wl = 0, sl = 0;
      for (int p = 0; p < cut; ++p) {
        wl += cw_[present_[p]];
        sl += cs_[present_[p]];
      }
      consider(wl, sl, w, s, gain, ok);
      if (ok && gain > best.gain) take_categorical(f, gain, cut, best);
      return;
    }
    std::sort(present_.begin(), present_.end(),
              [&](int a, int b) { return cs_[a] / cw_[a] < cs_[b] / cw_[b]; });
    double wl = 0, sl = 0;
    for (size_t p = 0; p + 1 < present_.size(); ++p) {
      wl += cw_[present_[p]];
      sl += cs_[present_[p]];
      consider(wl, sl, w, s, gain, ok);
      if (ok && gain > best.gain) take_categorical(f, gain, p + 1, best);
    }
  }

  const RandomForest& forest_;
  const std::vector<double>& xcol_;
  const std::vector<double>& y_;
  const std::vector<std::vector<int>>& order_;
  std::vector<uint64_t>& masks_;
  std::mt19937_64* rng_ = nullptr;
  int n_ = 0, d_ = 0, m_ = 0, mtry_ = 1;
  std::vector<double> weight_;
  std::vector<std::vector<int>> lists_;
  std::vector<char> goes_left_;
  std::vector<int> buffer_, features_, present_;
  std::vector<double> cw_, cs_;
  Tree tree_;
};

RandomForest::RandomForest(std::vector<int> categories, RandomForestOptions options)
    : categories_(std::move(categories)), options_(options) {
  if (categories_.empty()) throw std::invalid_argument("forest: needs at least one feature");
  if (options_.n_trees < 1) throw std::invalid_argument("forest.n_trees: must be >= 1");
  if (options_.min_samples_leaf < 1) {
    throw std::invalid_argument("forest.min_samples_leaf: must be >= 1");
  }
  if (!(options_.max_features > 0 && options_.max_features <= 1)) {
    throw std::invalid_argument("forest.max_features: must be in (0, 1]");
  }
  if (options_.max_depth < 0) throw std::invalid_argument("forest.max_depth: must be >= 0");
}

void RandomForest::fit(const Matrix& x, const Vector& y, std::mt19937_64& rng) {
  const int n = static_cast<int>(x.rows());
  const int d = static_cast<int>(categories_.size());
  if (x.cols() != d) throw std::invalid_argument("forest.fit: wrong number of columns");
  if (n < 1 || y.size() != n) throw std::invalid_argument("forest.fit: needs rows matching y");
  std::vector<double> yy(y.data(), y.data() + n);
  y_shift_ = 0;
  if (options_.log_transform) {
    y_shift_ = *std::min_element(yy.begin(), yy.end());
    for (double& v : yy) v = std::log1p(v - y_shift_);
  }
  std::vector<double> xcol(static_cast<size_t>(n) * d);
  for (int f = 0; f < d; ++f) {
    for (int i = 0; i < n; ++i) xcol[static_cast<size_t>(f) * n + i] = x(i, f);
  }
  std::vector<std::vector<int>> order(d + 1);
  for (int f = 0; f <= d; ++f) {
    if (f < d && categories_[f] > 0) continue;
    order[f].resize(n);
    std::iota(order[f].begin(), order[f].end(), 0);
    if (f < d) {
      const double* col = &xcol[static_cast<size_t>(f) * n];
      std::stable_sort(order[f].begin(), order[f].end(),
                       [col](int a, int b) { return col[a] < col[b]; });
    }
  }
  trees_.clear();
  masks_.clear();
  Builder builder(*this, xcol, yy, order, masks_);
  for (int t = 0; t < options_.n_trees; ++t) trees_.push_back(builder.build(rng));
  fitted_ = true;
}

void RandomForest::predict(const Matrix& x, Vector& mean, Vector& variance) const {
  if (!fitted_) throw std::logic_error("forest.predict: called before fit");
  const auto m = x.rows();
  mean.resize(m);
  variance.resize(m);
  const double inv = 1.0 / static_cast<double>(trees_.size());
  for (Eigen::Index r = 0; r < m; ++r) {
    const double* row = x.row(r).data();
    double s = 0, q = 0, within = 0;
    for (const Tree& tree : trees_) {
      int k = 0;
      while (true) {
        const Node& node = tree.nodes[k];
        if (node.feature < 0) break;
        const double v = row[node.feature];
        bool left;
        if (categories_[node.feature] > 0) {
          const int c = static_cast<int>(v);
          left = c >= 0 && c < categories_[node.feature] &&
                 ((masks_[node.mask + c / 64] >> (c % 64)) & 1);
        } else {
          left = v <= node.threshold;
        }
        k = left ? k + 1 : node.right;
      }
      const Node& leaf = tree.nodes[k];
      s += leaf.mean;
      q += leaf.mean * leaf.mean;
      within += leaf.variance;
    }
    const double mu = s * inv;
    double var = std::max(0.0, q * inv - mu * mu);
    if (options_.within_leaf_variance) var += within * inv;
    mean[r] = mu;
    variance[r] = std::max(var, 1e-12);
  }
}

}  // namespace autoaug::search
