#pragma once

// The benchmark problems of `autoaug bench search`, defined exactly as the published reference
// tables define them (peaks with N(0, 1) noise, Branin, Hartmann6, policy30).

#include <random>
#include <string>
#include <vector>

#include "search/space.h"

namespace autoaug::search {

struct BenchmarkProblem {
  std::string name;
  Space space;
  double f_star;                  // the noise-free minimum
  double noise_sd = 0;            // standard deviation of the additive Gaussian observation noise
  std::vector<double> minimiser;  // a point where f_star is attained (Point form)

  // Noise-free value at a point of `space`.
  double value(const Point& p) const;
  // One noisy observation (noise from `rng`); equals value() when noise_sd is 0.
  double observe(const Point& p, std::mt19937_64& rng) const;
};

// "peaks", "branin", "hartmann6", "policy30"; throws std::invalid_argument naming `field`
// otherwise.
BenchmarkProblem benchmark_problem(const std::string& name, const std::string& field = "problem");
const std::vector<std::string>& benchmark_problem_names();

// The functions themselves (policy30 takes the 30 values in (t, p, m) order, t as an index).
double peaks(double x, double y);
double branin(double x1, double x2);
double hartmann6(const double* x);
double policy30(const double* v);

}  // namespace autoaug::search
