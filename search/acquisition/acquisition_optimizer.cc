#include "search/acquisition/acquisition_optimizer.h"

#include <algorithm>
#include <cmath>

#include "search/random.h"

namespace autoaug::search {
namespace {

std::vector<double> canonical(const Space& space, const double* u) {
  return space.to_unit(space.from_unit(u));
}

struct LocalSearch {
  std::vector<double> u;
  double score = 0;
  double step = 0;
  bool active = true;
  int idle = 0;  // steps in a row without improvement on a random subset of dimensions
};

// Points to score, in unit coordinates, and the local search each one came from.
struct Neighbourhood {
  std::vector<std::vector<double>> points;
  std::vector<int> owner;
};

// One maximisation (maximize_acquisition): the first candidates, then the local searches. The
// random draws happen in a fixed order, so a seed gives the same candidates.
class Maximizer {
 public:
  Maximizer(const Space& space, const AcquisitionScorer& scorer,
            const AcquisitionOptimizerOptions& options, std::mt19937_64& rng)
      : space_(space),
        scorer_(scorer),
        o_(options),
        rng_(rng),
        d_(static_cast<Eigen::Index>(space.size())),
        categories_(space.categories()),
        in_region_(options.region_radius > 0 &&
                   options.region_center.size() == static_cast<size_t>(d_)),
        n_dims_step_(options.max_dims_per_step > 0
                         ? std::min<int>(options.max_dims_per_step, static_cast<int>(d_))
                         : static_cast<int>(d_)) {}

  std::vector<Candidate> run(const std::vector<std::vector<double>>& starts) {
    std::vector<Candidate> out;
    std::vector<LocalSearch> searches = first_candidates(starts, out);
    search_locally(searches);
    for (const LocalSearch& ls : searches) out.push_back({ls.score, ls.u});
    std::stable_sort(out.begin(), out.end(),
                     [](const Candidate& a, const Candidate& b) { return a.score > b.score; });
    return out;
  }

 private:
  bool outside(Eigen::Index i, double v) const {
    return in_region_ && std::fabs(v - o_.region_center[i]) > o_.region_radius + 1e-12;
  }

  // Every candidate is projected into the trust region (reals and integers clamped to the box).
  void project(std::vector<double>& u) const {
    if (!in_region_) return;
    for (Eigen::Index i = 0; i < d_; ++i) {
      if (categories_[i] > 0) continue;
      const double c = o_.region_center[i];
      u[i] = std::clamp(u[i], c - o_.region_radius, c + o_.region_radius);
    }
  }

  double unit() { return random::canonical(rng_); }

  int category(Eigen::Index i) { return random::uniform_int(rng_, 0, categories_[i] - 1); }

  std::vector<double> region_point() {
    std::vector<double> u(d_);
    for (Eigen::Index i = 0; i < d_; ++i) {
      const double c = o_.region_center[i];
      if (categories_[i] > 0) {
        u[i] = unit() < o_.region_radius ? category(i) : c;
      } else {
        u[i] = std::clamp(c + o_.region_radius * (2 * unit() - 1), 0.0, 1.0);
      }
    }
    return u;
  }

  std::vector<double> uniform_point() {
    std::vector<double> u(d_);
    for (Eigen::Index i = 0; i < d_; ++i) {
      u[i] = categories_[i] > 0 ? static_cast<double>(category(i)) : unit();
    }
    return u;
  }

  // A start perturbed: every real moves a little, a few discrete values change.
  std::vector<double> perturbed_point(const std::vector<std::vector<double>>& starts) {
    std::vector<double> u = starts[random::uniform_int<size_t>(rng_, 0, starts.size() - 1)];
    const double scale = std::exp(std::log(0.01) + unit() * (std::log(0.3) - std::log(0.01)));
    const double p_change = std::min(1.0, 1.5 / static_cast<double>(d_));
    for (Eigen::Index i = 0; i < d_; ++i) {
      if (categories_[i] > 0) {
        if (unit() < p_change) u[i] = category(i);
      } else if (space_.dimension(i).type == DimensionType::kInteger) {
        if (unit() < p_change) u[i] += (unit() < 0.5 ? -1 : 1) * scale;
      } else {
        u[i] += scale * normal_(rng_);
      }
    }
    return u;
  }

  // Scores the random and perturbed candidates and `starts` into `out`; returns the local
  // searches that start from the best of the first and from the first n_from_starts starts.
  std::vector<LocalSearch> first_candidates(const std::vector<std::vector<double>>& starts,
                                            std::vector<Candidate>& out) {
    int n_random = std::max(1, o_.n_random);
    int n_perturbed = starts.empty() ? 0 : std::max(0, o_.n_perturbed);
    if (o_.max_predictions > 0 && n_random + n_perturbed > 0.4 * o_.max_predictions) {
      const double scale = 0.4 * o_.max_predictions / (n_random + n_perturbed);
      n_random = std::max(1, static_cast<int>(n_random * scale));
      n_perturbed = static_cast<int>(n_perturbed * scale);
    }
    const int n_first = n_random + n_perturbed;
    predictions_ = n_first;
    std::vector<std::vector<double>> first;
    for (int r = 0; r < n_first; ++r) {
      std::vector<double> u = r < n_random && in_region_       ? region_point()
                              : r < n_random || starts.empty() ? uniform_point()
                                                               : perturbed_point(starts);
      project(u);
      first.push_back(canonical(space_, u.data()));
    }
    const Vector scores = score(first);
    out.reserve(n_first + starts.size() + o_.n_local);
    for (int r = 0; r < n_first; ++r) out.push_back({scores[r], first[r]});
    std::vector<LocalSearch> searches;
    std::vector<int> order(n_first);
    for (int r = 0; r < n_first; ++r) order[r] = r;
    const int n_local = std::min(o_.n_local, n_first);
    std::partial_sort(order.begin(), order.begin() + n_local, order.end(),
                      [&](int a, int b) { return scores[a] > scores[b]; });
    for (int k = 0; k < n_local; ++k) {
      searches.push_back({out[order[k]].unit, scores[order[k]], o_.initial_step, true});
    }
    const int n_starts = std::min<int>(o_.n_from_starts, static_cast<int>(starts.size()));
    std::vector<std::vector<double>> chosen;
    for (int k = 0; k < n_starts; ++k) {
      std::vector<double> u = starts[k];
      project(u);
      chosen.push_back(canonical(space_, u.data()));
    }
    if (n_starts > 0) {
      const Vector ss = score(chosen);
      for (int k = 0; k < n_starts; ++k) {
        out.push_back({ss[k], chosen[k]});
        searches.push_back({chosen[k], ss[k], o_.initial_step, true});
      }
    }
    return searches;
  }

  Vector score(const std::vector<std::vector<double>>& points) const {
    Matrix batch(static_cast<Eigen::Index>(points.size()), d_);
    for (size_t r = 0; r < points.size(); ++r) {
      for (Eigen::Index i = 0; i < d_; ++i) batch(r, i) = points[r][i];
    }
    Vector scores;
    scorer_(batch, scores);
    return scores;
  }

  // The moves of local search `s` along dimension `i`: another category, the next integer cell,
  // or a step on a real, each kept in the trust region.
  void add_moves(const LocalSearch& ls, int s, Eigen::Index i, Neighbourhood& n) {
    const Dimension& dim = space_.dimension(i);
    auto push = [&](double v) {
      if (categories_[i] == 0 && outside(i, v)) return;
      std::vector<double> u = ls.u;
      u[i] = v;
      n.points.push_back(canonical(space_, u.data()));
      n.owner.push_back(s);
    };
    if (categories_[i] > 0) {
      const int k = categories_[i];
      const int current = static_cast<int>(ls.u[i]);
      if (k - 1 <= o_.categorical_neighbours) {
        for (int c = 0; c < k; ++c) {
          if (c != current) push(c);
        }
      } else {
        for (int t = 0; t < o_.categorical_neighbours; ++t) {
          int c = random::uniform_int(rng_, 0, k - 2);
          if (c >= current) ++c;
          push(c);
        }
      }
    } else if (dim.type == DimensionType::kInteger) {
      const double cell = 1.0 / static_cast<double>(dim.cardinality());
      if (ls.u[i] - cell > 0) push(ls.u[i] - cell);
      if (ls.u[i] + cell < 1) push(ls.u[i] + cell);
    } else {
      if (ls.u[i] > 0) push(std::max(0.0, ls.u[i] - ls.step));
      if (ls.u[i] < 1) push(std::min(1.0, ls.u[i] + ls.step));
    }
  }

  // Moves every active search to its best neighbour; a search without one halves its step (or,
  // trying random subsets of dimensions, tries others twice first) and ends at the minimum step.
  void move(std::vector<LocalSearch>& searches, const Neighbourhood& n, const Vector& scores,
            bool has_real) const {
    std::vector<int> best(searches.size(), -1);
    for (size_t r = 0; r < n.points.size(); ++r) {
      const int s = n.owner[r];
      const double reference = best[s] >= 0 ? scores[best[s]] : searches[s].score;
      if (scores[r] > reference + 1e-15 * std::fabs(reference)) best[s] = static_cast<int>(r);
    }
    for (size_t s = 0; s < searches.size(); ++s) {
      LocalSearch& ls = searches[s];
      if (!ls.active) continue;
      if (best[s] >= 0) {
        ls.u = n.points[best[s]];
        ls.score = scores[best[s]];
        ls.idle = 0;
      } else if (n_dims_step_ < d_ && ls.idle++ < 2) {
        continue;  // another random subset of dimensions may still improve
      } else if (has_real && ls.step > o_.min_step) {
        ls.step *= 0.5;
      } else {
        ls.active = false;
      }
    }
  }

  void search_locally(std::vector<LocalSearch>& searches) {
    bool has_real = false;
    for (Eigen::Index i = 0; i < d_; ++i) {
      has_real = has_real || space_.dimension(i).type == DimensionType::kReal;
    }
    std::vector<Eigen::Index> dims(d_);
    for (Eigen::Index i = 0; i < d_; ++i) dims[i] = i;
    for (int step = 0; step < o_.max_steps; ++step) {
      Neighbourhood n;
      for (size_t s = 0; s < searches.size(); ++s) {
        if (!searches[s].active) continue;
        // In many dimensions each step tries a random subset of them (a step then costs a
        // bounded number of model predictions).
        random::shuffle(dims.begin(), dims.end(), rng_);
        for (int t = 0; t < n_dims_step_; ++t) {
          add_moves(searches[s], static_cast<int>(s), dims[t], n);
        }
      }
      if (n.points.empty()) break;
      predictions_ += static_cast<long>(n.points.size());
      if (o_.max_predictions > 0 && predictions_ > o_.max_predictions) break;
      move(searches, n, score(n.points), has_real);
    }
  }

  const Space& space_;
  const AcquisitionScorer& scorer_;
  const AcquisitionOptimizerOptions& o_;
  std::mt19937_64& rng_;
  const Eigen::Index d_;
  const std::vector<int> categories_;
  const bool in_region_;
  const int n_dims_step_;
  random::Normal normal_;  // keeps the second deviate of each pair for the next draw
  long predictions_ = 0;
};

}  // namespace

std::vector<Candidate> maximize_acquisition(const Space& space, const AcquisitionScorer& scorer,
                                            const std::vector<std::vector<double>>& starts,
                                            const AcquisitionOptimizerOptions& options,
                                            std::mt19937_64& rng) {
  return Maximizer(space, scorer, options, rng).run(starts);
}

}  // namespace autoaug::search
