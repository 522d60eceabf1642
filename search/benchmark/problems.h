#pragma once

// The benchmark problems of `autoaug bench search`, defined exactly as benchmark/PROBLEMS.md and
// the published reference tables define them: the four reference problems (peaks with N(0, 1)
// noise, Branin, Hartmann6, policy30) and the suite of continuous, integer, categorical, mixed,
// noisy and policy-like problems the defaults are chosen on.

#include <functional>
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
  // "continuous", "integer", "categorical", "mixed", "noisy" or "policy".
  std::string kind = "continuous";
  std::function<double(const Point&)> f;  // the noise-free function

  // Noise-free value at a point of `space`.
  double value(const Point& p) const { return f(p); }
  // One noisy observation (noise from `rng`); equals value() when noise_sd is 0.
  double observe(const Point& p, std::mt19937_64& rng) const;
};

// A problem by name (benchmark_suite_names()); throws std::invalid_argument naming `field`
// otherwise.
BenchmarkProblem benchmark_problem(const std::string& name, const std::string& field = "problem");
// The four reference problems: peaks, branin, hartmann6, policy30.
const std::vector<std::string>& benchmark_problem_names();
// Every problem: the suite of `autoaug bench search --suite`, the reference four included.
const std::vector<std::string>& benchmark_suite_names();

// The functions themselves, on raw coordinates (policy functions take (t, p, m) triples, t as an
// index; `sub_policies` of them).
double peaks(double x, double y);
double branin(double x1, double x2);
double six_hump_camel(double x, double y);
double hartmann3(const double* x);
double hartmann6(const double* x);
double ackley(const double* x, int d);
double rastrigin(const double* x, int d);
double levy(const double* x, int d);
double rosenbrock(const double* x, int d);
double styblinski_tang(const double* x, int d);
double michalewicz(const double* x, int d);
double categorical_chain(const double* c);  // 8 categories of 5 choices each
double policy(const double* v, int sub_policies);
inline double policy30(const double* v) { return policy(v, 5); }

}  // namespace autoaug::search
