#include "search/strategy/model_strategy.h"

#include <algorithm>
#include <boost/random/sobol.hpp>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>
#include <stdexcept>

#include "search/detail/random.h"
#include "search/random.h"

namespace autoaug::search {

namespace {

// The surrogate's training rows: complete trials with their values, then pending model
// proposals at the liar value, in unit coordinates.
void fit_rows(const Space& space, const std::vector<const Trial*>& complete,
              const std::vector<const Trial*>& pending, double lie, Matrix& x, Vector& y) {
  const auto d = static_cast<Eigen::Index>(space.size());
  const auto rows = static_cast<Eigen::Index>(complete.size() + pending.size());
  x.resize(rows, d);
  y.resize(rows);
  for (Eigen::Index r = 0; r < rows; ++r) {
    const bool obs = r < static_cast<Eigen::Index>(complete.size());
    const Trial& t = obs ? *complete[r] : *pending[r - complete.size()];
    const auto u = space.to_unit(t.params);
    for (Eigen::Index i = 0; i < d; ++i) x(r, i) = u[i];
    y[r] = obs ? t.value : lie;
  }
}

// The `k` complete trials lowest by `rank_by` (ties in trial order), in unit coordinates.
std::vector<std::vector<double>> best_starts(const Space& space,
                                             const std::vector<const Trial*>& complete,
                                             const Vector& rank_by, size_t k) {
  std::vector<size_t> order(complete.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return rank_by[a] < rank_by[b]; });
  std::vector<std::vector<double>> starts;
  for (size_t i = 0; i < order.size() && i < k; ++i) {
    starts.push_back(space.to_unit(complete[order[i]]->params));
  }
  return starts;
}

// The number of proposals before `n` that were random turns.
uint64_t random_turns_before(const ModelStrategy& strategy, size_t n) {
  uint64_t j = 0;
  for (size_t i = 0; i < n; ++i) j += !strategy.model_turn(i);
  return j;
}

using BestFor = std::function<std::optional<Point>(AcquisitionKind, Vector*)>;

// GP-hedge: the best point of EI, PI and LCB each; one of them drawn with weights exp(gain),
// the gain being the model's mean improvement at the point in standard deviations of y.
std::optional<Point> hedge(const BestFor& best_for, double y_mean, double y_sd,
                           std::mt19937_64& rng) {
  const AcquisitionKind kinds[] = {AcquisitionKind::kExpectedImprovement,
                                   AcquisitionKind::kProbabilityOfImprovement,
                                   AcquisitionKind::kLowerConfidenceBound};
  std::vector<Point> points;
  std::vector<double> gains;
  for (AcquisitionKind kind : kinds) {
    Vector mean;
    if (auto p = best_for(kind, &mean)) {
      points.push_back(*p);
      gains.push_back(-(mean[0] - y_mean) / (y_sd > 0 ? y_sd : 1.0));
    }
  }
  if (points.empty()) return std::nullopt;
  const double top = *std::max_element(gains.begin(), gains.end());
  std::vector<double> weights;
  for (double g : gains) weights.push_back(std::exp(g - top));
  return points[random::Discrete(weights)(rng)];
}

}  // namespace

Point sobol_point(const Space& space, uint64_t seed, uint64_t j) {
  boost::random::sobol sequence(space.size());
  sequence.seed(j);
  std::mt19937_64 shift(random::mix64(seed ^ 0x5ab01d5eedULL));
  std::vector<double> u(space.size());
  for (size_t i = 0; i < space.size(); ++i) {
    const double v = std::ldexp(static_cast<double>((sequence() ^ shift()) >> 11), -53);
    const int n = static_cast<int>(space.dimension(i).choices.size());
    u[i] = space.dimension(i).type == DimensionType::kCategorical ? std::floor(v * n) : v;
  }
  return space.from_unit(u);
}

ModelStrategy::ModelStrategy(ModelStrategyOptions options, uint64_t seed, std::string name)
    : options_(std::move(options)), seed_(seed), name_(std::move(name)) {
  if (options_.n_initial < 1) throw std::invalid_argument(name_ + ".n_initial: must be >= 1");
  if (options_.interleave < 1) throw std::invalid_argument(name_ + ".interleave: must be >= 1");
  if (!(options_.xi >= 0)) throw std::invalid_argument(name_ + ".xi: must be >= 0");
  if (!(options_.kappa >= 0)) throw std::invalid_argument(name_ + ".kappa: must be >= 0");
  if (!(options_.tr_initial > 0 && options_.tr_initial <= 1)) {
    throw std::invalid_argument(name_ + ".tr_initial: must be in (0, 1]");
  }
  if (!(options_.tr_min > 0 && options_.tr_min <= options_.tr_initial)) {
    throw std::invalid_argument(name_ + ".tr_min: must be in (0, tr_initial]");
  }
  if (options_.tr_patience < 1) throw std::invalid_argument(name_ + ".tr_patience: must be >= 1");
  if (!(options_.acquisition_flops >= 0)) {
    throw std::invalid_argument(name_ + ".acquisition_flops: must be >= 0");
  }
  if (options_.optimizer.n_random < 1) {
    throw std::invalid_argument(name_ + ".optimizer.n_random: must be >= 1");
  }
  // Surrogate options are checked here too, so misconfiguration fails at construction.
  make_surrogate(Space({Dimension::real("x", 0, 1)}));
}

std::unique_ptr<Surrogate> ModelStrategy::make_surrogate(const Space& space) const {
  if (options_.surrogate == SurrogateKind::kGaussianProcess) {
    return std::make_unique<GaussianProcess>(space.categories(), options_.gp);
  }
  return std::make_unique<RandomForest>(space.categories(), options_.forest);
}

bool ModelStrategy::model_turn(size_t n) const {
  const auto n_initial = static_cast<size_t>(options_.n_initial);
  if (n < n_initial) return false;
  return (n - n_initial) % static_cast<size_t>(options_.interleave) == 0;
}

double ModelStrategy::trust_region_radius(const std::vector<Trial>& history) const {
  double best = std::numeric_limits<double>::infinity();
  double radius = options_.tr_initial;
  int failures = 0;
  for (size_t i = 0; i < history.size(); ++i) {
    const Trial& t = history[i];
    const bool done = t.state == TrialState::kComplete && std::isfinite(t.value);
    const bool improved = done && t.value < best;
    if (model_turn(i) && t.state != TrialState::kPending && std::isfinite(best)) {
      if (improved) {
        failures = 0;
      } else if (++failures >= options_.tr_patience) {
        failures = 0;
        radius *= 0.5;
        if (radius < options_.tr_min) radius = options_.tr_initial;
      }
    }
    if (improved) best = t.value;
  }
  return radius;
}

std::optional<Point> ModelStrategy::random_proposal(const Space& space,
                                                    const std::unordered_set<std::string>& taken,
                                                    size_t n, std::mt19937_64& rng) const {
  if (options_.design == RandomDesign::kSobol && !model_turn(n) &&
      space.size() <= BOOST_RANDOM_SOBOL_MAX_DIMENSION) {
    Point p = sobol_point(space, seed_, random_turns_before(*this, n));
    if (!taken.count(space.key(p))) return p;
  }
  return detail::sample_unique(space, taken, rng);
}

AcquisitionOptimizerOptions ModelStrategy::optimizer_options(
    Eigen::Index rows, Eigen::Index d, const std::vector<std::vector<double>>& starts,
    const std::vector<Trial>& history) const {
  AcquisitionOptimizerOptions optimizer = options_.optimizer;
  if (options_.acquisition_flops > 0) {
    const double per_prediction = static_cast<double>(rows) * static_cast<double>(rows + d);
    optimizer.max_predictions =
        std::max(1000, static_cast<int>(options_.acquisition_flops / per_prediction));
  }
  if (options_.trust_region) {
    optimizer.region_center = starts.front();
    optimizer.region_radius = trust_region_radius(history);
  }
  return optimizer;
}

std::optional<Point> ModelStrategy::propose(const Space& space,
                                            const std::vector<Trial>& history) const {
  const size_t n = history.size();
  auto rng = detail::proposal_rng(seed_, n);
  const auto taken = detail::history_keys(space, history);

  // Pending trials enter the fit at the liar value only when they were model proposals (the
  // lie spreads concurrent model proposals apart); a pending random proposal carries no
  // information yet, and a lie there would pull the model towards an arbitrary point. Both still
  // block their own point.
  std::vector<const Trial*> complete, pending;
  for (size_t i = 0; i < history.size(); ++i) {
    const Trial& t = history[i];
    if (t.state == TrialState::kComplete && std::isfinite(t.value)) complete.push_back(&t);
    if (t.state == TrialState::kPending && model_turn(i)) pending.push_back(&t);
  }
  if (!model_turn(n) || complete.size() < 2) return random_proposal(space, taken, n, rng);

  const auto d = static_cast<Eigen::Index>(space.size());
  Vector y_obs(static_cast<Eigen::Index>(complete.size()));
  for (size_t i = 0; i < complete.size(); ++i) y_obs[i] = complete[i]->value;
  const double y_best = y_obs.minCoeff();
  const double y_mean = y_obs.mean();
  const double y_sd = std::sqrt((y_obs.array() - y_mean).square().mean());
  double lie = y_best;
  if (options_.liar == Liar::kMean) lie = y_mean;
  if (options_.liar == Liar::kMax) lie = y_obs.maxCoeff();

  const auto rows = static_cast<Eigen::Index>(complete.size() + pending.size());
  Matrix x;
  Vector y;
  fit_rows(space, complete, pending, lie, x, y);
  auto model_rng = detail::proposal_rng(seed_, n, 1);
  auto surrogate = make_surrogate(space);
  surrogate->fit(x, y, model_rng);

  // Local searches start from the best observed points. With plug_in, "best" is by the model's
  // mean at the observed points (robust to lucky noisy draws) and the incumbent of EI and PI is
  // the lowest such mean.
  Vector rank_by = y_obs;
  double incumbent = y_best;
  if (options_.plug_in) {
    Vector var;
    surrogate->predict(x.topRows(static_cast<Eigen::Index>(complete.size())), rank_by, var);
    incumbent = rank_by.minCoeff();
  }
  const std::vector<std::vector<double>> starts = best_starts(space, complete, rank_by, 10);

  const double xi = options_.xi;
  const AcquisitionOptimizerOptions optimizer = optimizer_options(rows, d, starts, history);
  auto best_for = [&](AcquisitionKind kind, Vector* mean_out) -> std::optional<Point> {
    auto scorer = [&](const Matrix& u, Vector& scores) {
      Vector mean, var;
      surrogate->predict(u, mean, var);
      acquisition_scores(kind, mean, var, incumbent, xi, options_.kappa, scores);
    };
    auto acq_rng = detail::proposal_rng(seed_, n, 2 + static_cast<uint64_t>(kind));
    const auto candidates = maximize_acquisition(space, scorer, starts, optimizer, acq_rng);
    for (const Candidate& c : candidates) {
      Point p = space.from_unit(c.unit);
      if (taken.count(space.key(p))) continue;
      if (mean_out) {
        Matrix row(1, d);
        for (Eigen::Index i = 0; i < d; ++i) row(0, i) = c.unit[i];
        Vector var;
        surrogate->predict(row, *mean_out, var);
      }
      return p;
    }
    return std::nullopt;
  };

  const std::optional<Point> proposal = options_.acquisition == AcquisitionKind::kHedge
                                            ? hedge(best_for, y_mean, y_sd, rng)
                                            : best_for(options_.acquisition, nullptr);
  if (proposal) return proposal;
  return detail::sample_unique(space, taken, rng);
}

}  // namespace autoaug::search
