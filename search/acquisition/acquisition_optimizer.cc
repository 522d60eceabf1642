#include "search/acquisition/acquisition_optimizer.h"

#include <algorithm>
#include <cmath>

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

}  // namespace

std::vector<Candidate> maximize_acquisition(const Space& space, const AcquisitionScorer& scorer,
                                            const std::vector<std::vector<double>>& starts,
                                            const AcquisitionOptimizerOptions& options,
                                            std::mt19937_64& rng) {
  const auto d = static_cast<Eigen::Index>(space.size());
  const std::vector<int> categories = space.categories();
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::normal_distribution<double> normal(0.0, 1.0);

  const bool in_region =
      options.region_radius > 0 && options.region_center.size() == static_cast<size_t>(d);
  auto outside = [&](Eigen::Index i, double v) {
    return in_region && std::fabs(v - options.region_center[i]) > options.region_radius + 1e-12;
  };
  // Every candidate is projected into the trust region (reals and integers clamped to the box).
  auto project = [&](std::vector<double>& u) {
    if (!in_region) return;
    for (Eigen::Index i = 0; i < d; ++i) {
      if (categories[i] > 0) continue;
      const double c = options.region_center[i];
      u[i] = std::clamp(u[i], c - options.region_radius, c + options.region_radius);
    }
  };
  int n_random = std::max(1, options.n_random);
  int n_perturbed = starts.empty() ? 0 : std::max(0, options.n_perturbed);
  if (options.max_predictions > 0 && n_random + n_perturbed > 0.4 * options.max_predictions) {
    const double scale = 0.4 * options.max_predictions / (n_random + n_perturbed);
    n_random = std::max(1, static_cast<int>(n_random * scale));
    n_perturbed = static_cast<int>(n_perturbed * scale);
  }
  const int n_first = n_random + n_perturbed;
  long predictions = n_first;
  Matrix first(n_first, d);
  for (int r = 0; r < n_first; ++r) {
    std::vector<double> u(d);
    if (r < n_random && in_region) {
      for (Eigen::Index i = 0; i < d; ++i) {
        const double c = options.region_center[i];
        if (categories[i] > 0) {
          u[i] = unit(rng) < options.region_radius
                     ? std::uniform_int_distribution<int>(0, categories[i] - 1)(rng)
                     : c;
        } else {
          u[i] = std::clamp(c + options.region_radius * (2 * unit(rng) - 1), 0.0, 1.0);
        }
      }
    } else if (r < n_random || starts.empty()) {
      for (Eigen::Index i = 0; i < d; ++i) {
        u[i] =
            categories[i] > 0
                ? static_cast<double>(std::uniform_int_distribution<int>(0, categories[i] - 1)(rng))
                : unit(rng);
      }
    } else {
      // Perturb a start: every real moves a little, a few discrete values change.
      u = starts[std::uniform_int_distribution<size_t>(0, starts.size() - 1)(rng)];
      const double scale = std::exp(std::log(0.01) + unit(rng) * (std::log(0.3) - std::log(0.01)));
      const double p_change = std::min(1.0, 1.5 / static_cast<double>(d));
      for (Eigen::Index i = 0; i < d; ++i) {
        if (categories[i] > 0) {
          if (unit(rng) < p_change) {
            u[i] = std::uniform_int_distribution<int>(0, categories[i] - 1)(rng);
          }
        } else if (space.dimension(i).type == DimensionType::kInteger) {
          if (unit(rng) < p_change) u[i] += (unit(rng) < 0.5 ? -1 : 1) * scale;
        } else {
          u[i] += scale * normal(rng);
        }
      }
    }
    project(u);
    const auto c = canonical(space, u.data());
    for (Eigen::Index i = 0; i < d; ++i) first(r, i) = c[i];
  }
  Vector scores;
  scorer(first, scores);

  std::vector<Candidate> out;
  out.reserve(n_first + starts.size() + options.n_local);
  for (int r = 0; r < n_first; ++r) {
    out.push_back({scores[r], std::vector<double>(first.row(r).data(), first.row(r).data() + d)});
  }
  std::vector<LocalSearch> searches;
  {
    std::vector<int> order(n_first);
    for (int r = 0; r < n_first; ++r) order[r] = r;
    const int n_local = std::min(options.n_local, n_first);
    std::partial_sort(order.begin(), order.begin() + n_local, order.end(),
                      [&](int a, int b) { return scores[a] > scores[b]; });
    for (int k = 0; k < n_local; ++k) {
      searches.push_back({out[order[k]].unit, scores[order[k]], options.initial_step, true});
    }
  }
  const int n_starts = std::min<int>(options.n_from_starts, static_cast<int>(starts.size()));
  if (n_starts > 0) {
    Matrix s(n_starts, d);
    for (int k = 0; k < n_starts; ++k) {
      std::vector<double> u = starts[k];
      project(u);
      const auto c = canonical(space, u.data());
      for (Eigen::Index i = 0; i < d; ++i) s(k, i) = c[i];
    }
    Vector ss;
    scorer(s, ss);
    for (int k = 0; k < n_starts; ++k) {
      std::vector<double> u(s.row(k).data(), s.row(k).data() + d);
      out.push_back({ss[k], u});
      searches.push_back({u, ss[k], options.initial_step, true});
    }
  }

  bool has_real = false;
  for (Eigen::Index i = 0; i < d; ++i) {
    has_real = has_real || space.dimension(i).type == DimensionType::kReal;
  }
  std::vector<std::vector<double>> neighbours;
  std::vector<int> owner;
  std::vector<Eigen::Index> dims(d);
  for (Eigen::Index i = 0; i < d; ++i) dims[i] = i;
  const int n_dims_step =
      options.max_dims_per_step > 0 ? std::min<int>(options.max_dims_per_step, d) : d;
  for (int step = 0; step < options.max_steps; ++step) {
    neighbours.clear();
    owner.clear();
    for (size_t s = 0; s < searches.size(); ++s) {
      LocalSearch& ls = searches[s];
      if (!ls.active) continue;
      // In many dimensions each step tries a random subset of them (a step then costs a bounded
      // number of model predictions).
      std::shuffle(dims.begin(), dims.end(), rng);
      for (int t = 0; t < n_dims_step; ++t) {
        const Eigen::Index i = dims[t];
        const Dimension& dim = space.dimension(i);
        auto push = [&](double v) {
          if (categories[i] == 0 && outside(i, v)) return;
          std::vector<double> u = ls.u;
          u[i] = v;
          neighbours.push_back(canonical(space, u.data()));
          owner.push_back(static_cast<int>(s));
        };
        if (categories[i] > 0) {
          const int k = categories[i];
          const int current = static_cast<int>(ls.u[i]);
          if (k - 1 <= options.categorical_neighbours) {
            for (int c = 0; c < k; ++c) {
              if (c != current) push(c);
            }
          } else {
            for (int t = 0; t < options.categorical_neighbours; ++t) {
              int c = std::uniform_int_distribution<int>(0, k - 2)(rng);
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
    }
    if (neighbours.empty()) break;
    predictions += static_cast<long>(neighbours.size());
    if (options.max_predictions > 0 && predictions > options.max_predictions) break;
    Matrix batch(static_cast<Eigen::Index>(neighbours.size()), d);
    for (size_t r = 0; r < neighbours.size(); ++r) {
      for (Eigen::Index i = 0; i < d; ++i) batch(r, i) = neighbours[r][i];
    }
    scorer(batch, scores);
    std::vector<int> best(searches.size(), -1);
    for (size_t r = 0; r < neighbours.size(); ++r) {
      const int s = owner[r];
      const double reference = best[s] >= 0 ? scores[best[s]] : searches[s].score;
      if (scores[r] > reference + 1e-15 * std::fabs(reference)) best[s] = static_cast<int>(r);
    }
    for (size_t s = 0; s < searches.size(); ++s) {
      LocalSearch& ls = searches[s];
      if (!ls.active) continue;
      if (best[s] >= 0) {
        ls.u = neighbours[best[s]];
        ls.score = scores[best[s]];
        ls.idle = 0;
      } else if (n_dims_step < d && ls.idle++ < 2) {
        continue;  // another random subset of dimensions may still improve
      } else if (has_real && ls.step > options.min_step) {
        ls.step *= 0.5;
      } else {
        ls.active = false;
      }
    }
  }
  for (const LocalSearch& ls : searches) out.push_back({ls.score, ls.u});
  std::stable_sort(out.begin(), out.end(),
                   [](const Candidate& a, const Candidate& b) { return a.score > b.score; });
  return out;
}

}  // namespace autoaug::search
