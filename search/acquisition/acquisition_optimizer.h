#pragma once

#include <functional>
#include <random>
#include <vector>

#include "search/space.h"
#include "search/surrogate/surrogate.h"

namespace autoaug::search {

struct AcquisitionOptimizerOptions {
  int n_random = 1000;             // uniform random candidates; >= 1
  int n_perturbed = 200;           // candidates perturbed from the start points (the best observed)
  int n_local = 3;                 // local searches from the best candidates so far; >= 0
  int n_from_starts = 2;           // local searches from the given start points; >= 0
  int max_steps = 30;              // iterations per local search
  int categorical_neighbours = 3;  // other categories tried per categorical dimension and step
  int max_dims_per_step = 8;       // dimensions tried per local-search step (random subset); 0: all
  // Upper bound on the model predictions of one maximisation (0: none). When set, random and
  // perturbed candidates are scaled down to at most 40% of it and the local searches stop once
  // it is spent: a model whose predictions are expensive then costs a bounded time.
  int max_predictions = 0;
  double initial_step = 0.1;  // first step on real dimensions, unit coordinates
  double min_step = 1e-5;     // a local search ends when its step falls below this
  // Trust region: when region_radius > 0, the random candidates come from the box of this
  // half-width around region_center (unit coordinates; each categorical value changes with
  // probability region_radius) and local-search moves on reals and integers stay in the box.
  std::vector<double> region_center;
  double region_radius = 0;
};

// A point in unit coordinates and its acquisition score.
struct Candidate {
  double score = 0;
  std::vector<double> unit;
};

// Scores rows of unit coordinates; higher is better.
using AcquisitionScorer = std::function<void(const Matrix& unit, Vector& scores)>;

// Maximises `scorer` over the mixed space: random and perturbed candidates, then batched local
// search (pattern steps on reals, +-1 on integers, other categories on categorical dimensions)
// from the best of them and from `starts` (unit coordinates, usually the best observed points).
// Returns every evaluated start and local optimum, best first, with canonical unit coordinates
// (integers at cell centres). Randomness only from `rng`.
std::vector<Candidate> maximize_acquisition(const Space& space, const AcquisitionScorer& scorer,
                                            const std::vector<std::vector<double>>& starts,
                                            const AcquisitionOptimizerOptions& options,
                                            std::mt19937_64& rng);

}  // namespace autoaug::search
