#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <unordered_set>

#include "search/acquisition/acquisition.h"
#include "search/acquisition/acquisition_optimizer.h"
#include "search/strategy/strategy.h"
#include "search/surrogate/gaussian_process.h"
#include "search/surrogate/random_forest.h"

namespace autoaug::search {

// Chosen by name in a study's strategy (strategy_factory.h); the values are not stored.
enum class SurrogateKind : int { kRandomForest = 0, kGaussianProcess = 1 };

// The value a pending model proposal is given when the model is fitted (constant liar). Pending
// random proposals are left out of the fit.
enum class Liar : int { kMin = 0, kMean = 1, kMax = 2 };

// How the random proposals of a model-based strategy are drawn.
enum class RandomDesign : int { kUniform = 0, kSobol = 1 };

// Point number `j` (0-based) of the Sobol sequence over `space` with a digital shift drawn from
// `seed`: each coordinate's 64 bits are XORed with a random mask, which keeps the sequence's
// stratification and moves its first point off the centre. Reals and integers take the
// coordinate as their unit coordinate; a categorical dimension of n choices takes choice
// floor(u n). Boost.Random's `sobol` makes the sequence; spaces of more than its 3667 dimensions
// are not supported (ModelStrategy then draws uniformly).
Point sobol_point(const Space& space, uint64_t seed, uint64_t j);

struct ModelStrategyOptions {
  SurrogateKind surrogate = SurrogateKind::kRandomForest;
  RandomForestOptions forest;  // when surrogate is kRandomForest
  GaussianProcessOptions gp;   // when surrogate is kGaussianProcess
  AcquisitionKind acquisition = AcquisitionKind::kExpectedImprovement;
  // EI/PI improvement margin in units of the objective (scikit-optimize's default); >= 0.
  double xi = 0.01;
  double kappa = 1.96;  // LCB exploration weight; >= 0
  // Proposals drawn at random before the model is used; >= 1.
  int n_initial = 10;
  // The random proposals (the initial ones and the random turns of interleaving) as independent
  // uniform draws, or as the points of a Sobol sequence, digitally shifted by the seed: the j-th
  // random proposal of a study is the sequence's point j (`sobol_point`).
  RandomDesign design = RandomDesign::kUniform;
  // k in "1 of every k proposals from the acquisition, k-1 uniformly random" after the initial
  // ones (RF + random: k = 3). 1: every proposal from the model. >= 1.
  int interleave = 1;
  Liar liar = Liar::kMin;
  // Rank observed points and take the EI/PI incumbent by the model's mean at them instead of
  // the raw observations: a lucky noisy observation then does not anchor the search.
  bool plug_in = false;
  // Maximise the acquisition inside a trust region around the best observed point rather than
  // over the whole space (global exploration is then left to the random proposals of
  // interleaving). The half-width, in unit coordinates, is derived from the history alone:
  // tr_initial, halved after every tr_patience model proposals in a row that did not improve on
  // the best value, back to tr_initial once it falls below tr_min.
  bool trust_region = false;
  double tr_initial = 0.2;  // in (0, 1]
  double tr_min = 0.005;    // in (0, tr_initial]
  int tr_patience = 3;      // >= 1
  AcquisitionOptimizerOptions optimizer;
  // Caps the acquisition's model predictions at about this many multiply-adds, estimated as
  // rows x (rows + dimensions) per prediction (a GP's cost); 0: no cap. Keeps a GP's suggestion
  // time bounded in many dimensions with many observations without starving small problems.
  double acquisition_flops = 0;
};

// Bayesian optimisation: fit a surrogate on the completed trials (pending model proposals at the
// liar value; pending random proposals and failed trials only block their point), maximise the
// acquisition, propose the best candidate not in the history. Proposal n of a study draws from a
// generator seeded by (seed, n), so the proposal depends on the seed and the history only.
//
// GP-hedge without memory: each of EI, PI and LCB proposes a point, and one is drawn with
// probability softmax(-(standardised predicted mean at the point)), i.e. the gains of the
// classic hedge computed from the current model alone, so no state outlives a proposal.
class ModelStrategy : public Strategy {
 public:
  // Throws std::invalid_argument naming the field of a bad option.
  ModelStrategy(ModelStrategyOptions options, uint64_t seed, std::string name);
  std::optional<Point> propose(const Space& space,
                               const std::vector<Trial>& history) const override;
  std::string name() const override { return name_; }

  // True when proposal number `n` (the history size) comes from the model, not at random.
  bool model_turn(size_t n) const;
  // The trust-region half-width for the next model proposal (see ModelStrategyOptions).
  double trust_region_radius(const std::vector<Trial>& history) const;

 private:
  std::unique_ptr<Surrogate> make_surrogate(const Space& space) const;
  // A proposal without the model (a random turn, or too few observations): the next Sobol point
  // when that design is on, the turn is a random one and the point is free; else a uniform draw
  // that `taken` does not hold.
  std::optional<Point> random_proposal(const Space& space,
                                       const std::unordered_set<std::string>& taken, size_t n,
                                       std::mt19937_64& rng) const;
  // The acquisition optimiser's options for a fit of `rows` points in `d` dimensions, with the
  // trust region (when on) around the first of `starts`.
  AcquisitionOptimizerOptions optimizer_options(Eigen::Index rows, Eigen::Index d,
                                                const std::vector<std::vector<double>>& starts,
                                                const std::vector<Trial>& history) const;

  ModelStrategyOptions options_;
  uint64_t seed_;
  std::string name_;
};

}  // namespace autoaug::search
