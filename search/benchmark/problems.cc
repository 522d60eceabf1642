#include "search/benchmark/problems.h"

#include <cmath>
#include <stdexcept>

#include "search/random.h"

namespace autoaug::search {
namespace {

constexpr int kOps = 16;
constexpr const char* kOpNames[kOps] = {
    "ShearX",     "ShearY",    "TranslateX", "TranslateY",   "Rotate",   "AutoContrast",
    "Invert",     "Equalize",  "Solarize",   "Posterize",    "Contrast", "Color",
    "Brightness", "Sharpness", "Cutout",     "SamplePairing"};
constexpr double kW[kOps] = {0.55,  0.50, 0.60, 0.45, 0.80, 0.35, -0.90, 0.70,
                             -0.40, 0.30, 0.65, 0.75, 0.60, 0.50, 0.85,  -0.70};
constexpr double kMu[kOps] = {4.0, 3.0, 5.0, 6.0, 7.0, 2.0, 0.0, 1.0,
                              8.0, 4.5, 6.5, 8.0, 3.5, 9.0, 5.5, 9.0};
constexpr double kS[kOps] = {2.0, 2.0, 2.5, 2.5, 1.5, 3.0, 4.0, 1.5,
                             2.0, 1.0, 1.2, 1.8, 2.0, 2.0, 1.0, 3.0};

double interaction(int a, int b) {
  if (a == b) return -0.50;
  if (a == 4 && b == 2) return 0.30;
  if (a == 7 && b == 10) return 0.35;
  if (a == 11 && b == 12) return 0.40;
  if (a == 14 && b == 13) return 0.25;
  if (a == 10 && b == 5) return -0.30;
  if (a == 0 && b == 1) return -0.20;
  return 0.0;
}

double bell(int k, int t, double m) {
  const double delta = 0.5 * (k - 2);
  const double z = m - (kMu[t] + delta);
  return std::exp(-z * z / (2 * kS[t] * kS[t]));
}

}  // namespace

double peaks(double x, double y) {
  return 3 * (1 - x) * (1 - x) * std::exp(-x * x - (y + 1) * (y + 1)) -
         10 * (x / 5 - x * x * x - std::pow(y, 5)) * std::exp(-x * x - y * y) -
         1.0 / 3.0 * std::exp(-(x + 1) * (x + 1) - y * y);
}

double branin(double x1, double x2) {
  const double b = 5.1 / (4 * M_PI * M_PI), c = 5 / M_PI, t = 1 / (8 * M_PI);
  const double u = x2 - b * x1 * x1 + c * x1 - 6;
  return u * u + 10 * (1 - t) * std::cos(x1) + 10;
}

double hartmann6(const double* x) {
  static constexpr double kAlpha[4] = {1.0, 1.2, 3.0, 3.2};
  static constexpr double kA[4][6] = {{10, 3, 17, 3.5, 1.7, 8},
                                      {0.05, 10, 17, 0.1, 8, 14},
                                      {3, 3.5, 1.7, 10, 17, 8},
                                      {17, 8, 0.05, 10, 0.1, 14}};
  static constexpr double kP[4][6] = {{1312, 1696, 5569, 124, 8283, 5886},
                                      {2329, 4135, 8307, 3736, 1004, 9991},
                                      {2348, 1451, 3522, 2883, 3047, 6650},
                                      {4047, 8828, 8732, 5743, 1091, 381}};
  double f = 0;
  for (int i = 0; i < 4; ++i) {
    double s = 0;
    for (int j = 0; j < 6; ++j) {
      const double z = x[j] - kP[i][j] * 1e-4;
      s += kA[i][j] * z * z;
    }
    f -= kAlpha[i] * std::exp(-s);
  }
  return f;
}

double policy30(const double* v) {
  double score = 0;
  for (int k = 0; k < 5; ++k) {
    const double* a = v + 6 * k;
    const int t0 = static_cast<int>(a[0]), t1 = static_cast<int>(a[3]);
    const double p0 = a[1], p1 = a[4], m0 = a[2], m1 = a[5];
    const double over = std::max(0.0, m0 + m1 - 10);
    score += kW[t0] * p0 * bell(k, t0, m0) + kW[t1] * p1 * bell(k, t1, m1) +
             p0 * p1 * (interaction(t0, t1) - 0.02 * over * over);
  }
  return -score;
}

double BenchmarkProblem::value(const Point& p) const {
  if (name == "peaks") return peaks(p[0], p[1]);
  if (name == "branin") return branin(p[0], p[1]);
  if (name == "hartmann6") return hartmann6(p.data());
  return policy30(p.data());
}

double BenchmarkProblem::observe(const Point& p, std::mt19937_64& rng) const {
  const double f = value(p);
  if (noise_sd <= 0) return f;
  return f + noise_sd * random::Normal()(rng);
}

const std::vector<std::string>& benchmark_problem_names() {
  static const std::vector<std::string> kNames = {"peaks", "branin", "hartmann6", "policy30"};
  return kNames;
}

BenchmarkProblem benchmark_problem(const std::string& name, const std::string& field) {
  if (name == "peaks") {
    return {name,
            Space({Dimension::real("x", -3, 3), Dimension::real("y", -3, 3)}),
            -6.551133,
            1.0,
            {0.228279, -1.625535}};
  }
  if (name == "branin") {
    return {name,
            Space({Dimension::real("x1", -5, 10), Dimension::real("x2", 0, 15)}),
            0.397887,
            0.0,
            {M_PI, 2.275}};
  }
  if (name == "hartmann6") {
    std::vector<Dimension> dims;
    for (const char* x : {"x1", "x2", "x3", "x4", "x5", "x6"}) {
      dims.push_back(Dimension::real(x, 0, 1));
    }
    return {name,
            Space(std::move(dims)),
            -3.322368,
            0.0,
            {0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573}};
  }
  if (name == "policy30") {
    std::vector<Dimension> dims;
    const std::vector<std::string> ops(kOpNames, kOpNames + kOps);
    for (int k = 0; k < 5; ++k) {
      for (int j = 0; j < 2; ++j) {
        const std::string s = std::to_string(k) + "_" + std::to_string(j);
        dims.push_back(Dimension::categorical("op" + s, ops));
        dims.push_back(Dimension::real("prob" + s, 0, 1));
        dims.push_back(Dimension::integer("mag" + s, 0, 9));
      }
    }
    return {name, Space(std::move(dims)), -8.472823359617262, 0.0, {11, 1,  7, 12, 1,  2,  11, 1,
                                                                    7,  12, 1, 3,  11, 1,  8,  12,
                                                                    1,  3,  7, 1,  1,  10, 1,  7,
                                                                    7,  1,  2, 10, 1,  7}};
  }
  throw std::invalid_argument(field + ": \"" + name +
                              "\" is not one of peaks, branin, hartmann6, policy30");
}

}  // namespace autoaug::search
