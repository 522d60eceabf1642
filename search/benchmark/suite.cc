#include "search/benchmark/suite.h"

#include <algorithm>
#include <cmath>

#include "search/benchmark/runner.h"

namespace autoaug::search {
namespace {

// -1: a below b, 0: equal to a relative 1e-9, 1: above.
int compare(double a, double b) {
  if (std::fabs(a - b) <= 1e-9 * std::max({std::fabs(a), std::fabs(b), 1e-300})) return 0;
  return a < b ? -1 : 1;
}

const SuiteCell* find_cell(const std::vector<SuiteCell>& cells, const std::string& problem,
                           const std::string& strategy) {
  for (const SuiteCell& c : cells) {
    if (c.problem == problem && c.strategy == strategy) return &c;
  }
  return nullptr;
}

SuiteSummary summarise_one(const std::vector<SuiteCell>& cells, const std::string& strategy,
                           int evaluations, int first_budget, const std::string& random,
                           const std::string& reference) {
  SuiteSummary s;
  s.strategy = strategy;
  s.evaluations = evaluations;
  double normalised = 0;
  for (const SuiteCell& cell : cells) {
    if (cell.strategy != strategy) continue;
    const SuiteCell* rand = find_cell(cells, cell.problem, random);
    if (!rand) continue;
    const double mine = median_regret(cell, evaluations);
    const int vs_random = compare(mine, median_regret(*rand, evaluations));
    ++s.problems;
    s.beats_random += vs_random < 0;
    s.ties_random += vs_random == 0;
    if (vs_random > 0) s.worse_than_random.push_back(cell.problem);
    const double scale = median_regret(*rand, first_budget);
    normalised += scale > 0 ? mine / scale : (mine > 0 ? 1.0 : 0.0);
    if (const SuiteCell* ref = find_cell(cells, cell.problem, reference)) {
      const int vs_ref = compare(mine, median_regret(*ref, evaluations));
      ++s.reference_problems;
      s.beats_reference += vs_ref < 0;
      s.ties_reference += vs_ref == 0;
    }
  }
  if (s.problems > 0) s.mean_normalised = normalised / s.problems;
  return s;
}

}  // namespace

double median_regret(const SuiteCell& cell, int evaluations) {
  std::vector<double> v;
  for (const auto& curve : cell.regret) v.push_back(curve.at(evaluations - 1));
  return percentile(v, 0.5);
}

std::vector<SuiteSummary> summarise_suite(const std::vector<SuiteCell>& cells,
                                          const std::vector<int>& budgets,
                                          const std::string& random, const std::string& reference) {
  std::vector<std::string> strategies;
  for (const SuiteCell& c : cells) {
    if (std::find(strategies.begin(), strategies.end(), c.strategy) == strategies.end()) {
      strategies.push_back(c.strategy);
    }
  }
  std::vector<SuiteSummary> out;
  for (int evaluations : budgets) {
    for (const std::string& s : strategies) {
      out.push_back(summarise_one(cells, s, evaluations, budgets.front(), random, reference));
    }
  }
  return out;
}

}  // namespace autoaug::search
