#pragma once

// Runs a strategy on a benchmark problem (problems.h) the way `autoaug bench search` measures it:
// regret curves of one run, and the CPU cost of one suggestion.

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "search/benchmark/problems.h"
#include "search/strategy/strategy.h"

namespace autoaug::search {

// One run. For n = 1..evaluations (index n - 1): `obs` is the regret, noise-free, of the point
// with the best observation so far (what a user would pick); `oracle` the best noise-free regret
// evaluated so far. `points` and `observed` in evaluation order; `seconds` the wall time spent
// outside the objective (asks and tells).
struct BenchmarkRun {
  std::vector<double> obs, oracle;
  std::vector<Point> points;
  std::vector<double> observed;
  double seconds = 0;
};

// The generator of the observation noise of the run with noise seed `seed` (run_benchmark's;
// `autoaug bench problem` evaluates the same noise for optimizers outside this library).
std::mt19937_64 observation_noise(std::uint64_t seed);

// Runs `strategy` through a Study for `evaluations` evaluations, `batch` proposals asked before
// they are told (pending ones seen by the later asks), with observation noise seeded by `seed`.
BenchmarkRun run_benchmark(const BenchmarkProblem& problem, std::unique_ptr<Strategy> strategy,
                           int evaluations, int batch, std::uint64_t seed);

// Thread CPU time of one suggestion (fit plus acquisition) of the strategy named `strategy`
// after `n` random observations. For an interleaving strategy ("...-random") 3 consecutive
// proposals are made (earlier ones pending) and the slowest, the model's, is returned.
double suggestion_seconds(const BenchmarkProblem& problem, const std::string& strategy, int n,
                          std::uint64_t seed);

// numpy's default percentile (linear interpolation), q in [0, 1], of a non-empty sample.
double percentile(std::vector<double> sample, double q);

}  // namespace autoaug::search
