#pragma once

// The suite of `autoaug bench search --suite`: many optimizers on many problems, read at a few
// budgets, summarised against uniform random search and a reference optimizer (Optuna's TPE).

#include <string>
#include <vector>

namespace autoaug::search {

// The runs of one optimizer on one problem: per seed, the regret after 1..N evaluations of the
// point with the best observation (BenchmarkRun::obs), and the optimizer's own time per run.
struct SuiteCell {
  std::string problem, strategy;
  std::vector<std::vector<double>> regret;  // [seed][evaluations - 1]
  std::vector<double> seconds;              // per seed
};

// Median over seeds of the regret after `evaluations`; requires runs at least that long.
double median_regret(const SuiteCell& cell, int evaluations);

// One strategy at one budget across the problems it shares with the references. A comparison
// is won when the strategy's median regret is below the reference's, tied when they are equal
// to a relative 1e-9 (both at the optimum, say), lost otherwise. Normalised regret: the median
// regret divided by random search's median regret at the smallest budget on the same problem
// (1: no better than 20 uniform points; 0: the optimum), averaged over problems.
struct SuiteSummary {
  std::string strategy;
  int evaluations = 0;
  int problems = 0;
  int beats_random = 0, ties_random = 0;
  int beats_reference = 0, ties_reference = 0, reference_problems = 0;
  double mean_normalised = 0;
  std::vector<std::string> worse_than_random;  // the problems lost to random search
};

// Summaries of every strategy of `cells` (random and the reference included, in first-seen
// order) at each of `budgets` (ascending). `random` names uniform random search and
// `reference` the reference optimizer; problems without a random cell are skipped.
std::vector<SuiteSummary> summarise_suite(const std::vector<SuiteCell>& cells,
                                          const std::vector<int>& budgets,
                                          const std::string& random = "random",
                                          const std::string& reference = "tpe");

}  // namespace autoaug::search
