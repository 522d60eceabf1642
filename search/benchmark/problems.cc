#include "search/benchmark/problems.h"

#include <algorithm>
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

double policy(const double* v, int sub_policies) {
  double score = 0;
  for (int k = 0; k < sub_policies; ++k) {
    const double* a = v + 6 * k;
    const int t0 = static_cast<int>(a[0]), t1 = static_cast<int>(a[3]);
    const double p0 = a[1], p1 = a[4], m0 = a[2], m1 = a[5];
    const double over = std::max(0.0, m0 + m1 - 10);
    score += kW[t0] * p0 * bell(k, t0, m0) + kW[t1] * p1 * bell(k, t1, m1) +
             p0 * p1 * (interaction(t0, t1) - 0.02 * over * over);
  }
  return -score;
}

double six_hump_camel(double x, double y) {
  return (4 - 2.1 * x * x + x * x * x * x / 3) * x * x + x * y + (-4 + 4 * y * y) * y * y;
}

double hartmann3(const double* x) {
  static constexpr double kAlpha[4] = {1.0, 1.2, 3.0, 3.2};
  static constexpr double kA[4][3] = {{3, 10, 30}, {0.1, 10, 35}, {3, 10, 30}, {0.1, 10, 35}};
  static constexpr double kP[4][3] = {
      {3689, 1170, 2673}, {4699, 4387, 7470}, {1091, 8732, 5547}, {381, 5743, 8828}};
  double f = 0;
  for (int i = 0; i < 4; ++i) {
    double s = 0;
    for (int j = 0; j < 3; ++j) {
      const double z = x[j] - kP[i][j] * 1e-4;
      s += kA[i][j] * z * z;
    }
    f -= kAlpha[i] * std::exp(-s);
  }
  return f;
}

double ackley(const double* x, int d) {
  double sq = 0, cosines = 0;
  for (int i = 0; i < d; ++i) {
    sq += x[i] * x[i];
    cosines += std::cos(2 * M_PI * x[i]);
  }
  return -20 * std::exp(-0.2 * std::sqrt(sq / d)) - std::exp(cosines / d) + 20 + M_E;
}

double rastrigin(const double* x, int d) {
  double f = 10.0 * d;
  for (int i = 0; i < d; ++i) f += x[i] * x[i] - 10 * std::cos(2 * M_PI * x[i]);
  return f;
}

double levy(const double* x, int d) {
  auto w = [&](int i) { return 1 + (x[i] - 1) / 4; };
  auto sin2 = [](double v) { return std::sin(v) * std::sin(v); };
  double f = sin2(M_PI * w(0));
  for (int i = 0; i + 1 < d; ++i) {
    f += (w(i) - 1) * (w(i) - 1) * (1 + 10 * sin2(M_PI * w(i) + 1));
  }
  const double last = w(d - 1);
  return f + (last - 1) * (last - 1) * (1 + sin2(2 * M_PI * last));
}

double rosenbrock(const double* x, int d) {
  double f = 0;
  for (int i = 0; i + 1 < d; ++i) {
    const double a = x[i + 1] - x[i] * x[i];
    f += 100 * a * a + (1 - x[i]) * (1 - x[i]);
  }
  return f;
}

double styblinski_tang(const double* x, int d) {
  double f = 0;
  for (int i = 0; i < d; ++i) f += x[i] * x[i] * x[i] * x[i] - 16 * x[i] * x[i] + 5 * x[i];
  return f / 2;
}

double michalewicz(const double* x, int d) {
  double f = 0;
  for (int i = 0; i < d; ++i) {
    f -= std::sin(x[i]) * std::pow(std::sin((i + 1) * x[i] * x[i] / M_PI), 20);
  }
  return f;
}

double categorical_chain(const double* c) {
  double f = 0;
  for (int i = 0; i < 8; ++i) {
    f += std::cos(1.3 * (i + 1) * (c[i] + 1));
    if (i < 7) f += 0.8 * std::sin(2 * c[i] + 3 * c[i + 1] + 1);
  }
  return f;
}

double BenchmarkProblem::observe(const Point& p, std::mt19937_64& rng) const {
  const double f = value(p);
  if (noise_sd <= 0) return f;
  return f + noise_sd * random::Normal()(rng);
}

namespace {

// `prefix` followed by `i` ("x1"); appended rather than concatenated, which GCC 12's -Wrestrict
// misreads at -O3.
std::string numbered(const char* prefix, int i) {
  std::string s = prefix;
  s += std::to_string(i);
  return s;
}

std::vector<Dimension> reals(int d, double low, double high) {
  std::vector<Dimension> dims;
  for (int i = 0; i < d; ++i) dims.push_back(Dimension::real(numbered("x", i + 1), low, high));
  return dims;
}

std::vector<Dimension> policy_dimensions(int sub_policies) {
  std::vector<Dimension> dims;
  const std::vector<std::string> ops(kOpNames, kOpNames + kOps);
  for (int k = 0; k < sub_policies; ++k) {
    for (int j = 0; j < 2; ++j) {
      const std::string s = std::to_string(k) + "_" + std::to_string(j);
      dims.push_back(Dimension::categorical("op" + s, ops));
      dims.push_back(Dimension::real("prob" + s, 0, 1));
      dims.push_back(Dimension::integer("mag" + s, 0, 9));
    }
  }
  return dims;
}

// A problem on the raw coordinates of `dims` whose every dimension counts (`fn(x, d)`).
BenchmarkProblem vector_problem(std::string name, std::vector<Dimension> dims, double f_star,
                                std::vector<double> minimiser, double (*fn)(const double*, int)) {
  const int d = static_cast<int>(dims.size());
  return {std::move(name),
          Space(std::move(dims)),
          f_star,
          0.0,
          std::move(minimiser),
          "continuous",
          [fn, d](const Point& p) { return fn(p.data(), d); }};
}

// The six-hump camel on (x, y), plus an integer k in 0..9 whose best value depends on the
// category c in 0..4: camel(x, y) + 0.1 (k - K[c])^2 + O[c].
double mixed_camel(const Point& p) {
  static constexpr double kBestK[5] = {2, 7, 4, 9, 5};
  static constexpr double kOffset[5] = {0.4, 0, 0.2, 0.6, 0.1};
  const int c = static_cast<int>(p[3]);
  return six_hump_camel(p[0], p[1]) + 0.1 * (p[2] - kBestK[c]) * (p[2] - kBestK[c]) + kOffset[c];
}

// Ackley on 4 reals and 2 integers, plus 0.5 ((c1 + 2 c2) mod 4) for two categories of 4.
double mixed_ackley(const Point& p) {
  const int c = (static_cast<int>(p[6]) + 2 * static_cast<int>(p[7])) % 4;
  return ackley(p.data(), 6) + 0.5 * c;
}

std::vector<std::string> choices(int n) {
  std::vector<std::string> c;
  for (int i = 0; i < n; ++i) c.push_back(numbered("c", i));
  return c;
}

BenchmarkProblem reference_problem(const std::string& name) {
  if (name == "peaks") {
    return {name,
            Space({Dimension::real("x", -3, 3), Dimension::real("y", -3, 3)}),
            -6.551133,
            1.0,
            {0.228279, -1.625535},
            "noisy",
            [](const Point& p) { return peaks(p[0], p[1]); }};
  }
  if (name == "branin") {
    return {name,
            Space({Dimension::real("x1", -5, 10), Dimension::real("x2", 0, 15)}),
            0.397887,
            0.0,
            {M_PI, 2.275},
            "continuous",
            [](const Point& p) { return branin(p[0], p[1]); }};
  }
  if (name == "hartmann6") {
    return {name,
            Space(reals(6, 0, 1)),
            -3.322368,
            0.0,
            {0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573},
            "continuous",
            [](const Point& p) { return hartmann6(p.data()); }};
  }
  std::vector<double> best = {11, 1, 7, 12, 1, 2, 11, 1, 7, 12, 1, 3, 11, 1, 8,
                              12, 1, 3, 7,  1, 1, 10, 1, 7, 7,  1, 2, 10, 1, 7};
  if (name == "policy12") {
    best.resize(12);
    return {name,
            Space(policy_dimensions(2)),
            -3.4531558094708998,
            0.0,
            best,
            "policy",
            [](const Point& p) { return policy(p.data(), 2); }};
  }
  return {name,
          Space(policy_dimensions(5)),
          -8.472823359617262,
          0.0,
          best,
          "policy",
          [](const Point& p) { return policy(p.data(), 5); }};
}

BenchmarkProblem suite_problem(const std::string& name) {
  if (name == "camel") {
    return {name,
            Space({Dimension::real("x", -3, 3), Dimension::real("y", -2, 2)}),
            -1.031628453489877,
            0.0,
            {0.08984201368301331, -0.7126564032704135},
            "continuous",
            [](const Point& p) { return six_hump_camel(p[0], p[1]); }};
  }
  if (name == "hartmann3" || name == "hartmann3_noisy") {
    const bool noisy = name == "hartmann3_noisy";
    return {name,
            Space(reals(3, 0, 1)),
            -3.8627797873326615,
            noisy ? 0.2 : 0.0,
            {0.11458887327034675, 0.5556488968300313, 0.8525469877652734},
            noisy ? "noisy" : "continuous",
            [](const Point& p) { return hartmann3(p.data()); }};
  }
  if (name == "rosenbrock4") {
    return vector_problem(name, reals(4, -5, 10), 0, {1, 1, 1, 1}, rosenbrock);
  }
  if (name == "levy5") return vector_problem(name, reals(5, -10, 10), 0, Point(5, 1.0), levy);
  if (name == "levy10") return vector_problem(name, reals(10, -10, 10), 0, Point(10, 1.0), levy);
  if (name == "ackley5") return vector_problem(name, reals(5, -5, 10), 0, Point(5, 0.0), ackley);
  if (name == "rastrigin4") {
    return vector_problem(name, reals(4, -4, 6), 0, Point(4, 0.0), rastrigin);
  }
  if (name == "styblinski_tang8") {
    return vector_problem(name, reals(8, -5, 5), 8 * -39.16616570377142,
                          Point(8, -2.903534027771178), styblinski_tang);
  }
  return vector_problem(
      name, reals(5, 0, M_PI), -4.687658179088148,
      {2.202905520861857, M_PI / 2, 1.2849915711783266, 1.9230584688431716, 1.7204697726395528},
      michalewicz);
}

BenchmarkProblem discrete_problem(const std::string& name) {
  if (name == "levy_int6") {
    std::vector<Dimension> dims;
    for (int i = 0; i < 6; ++i) dims.push_back(Dimension::integer(numbered("k", i + 1), -10, 10));
    return {name, Space(std::move(dims)), 0.0, 0.0, Point(6, 1.0), "integer", [](const Point& p) {
              return levy(p.data(), 6);
            }};
  }
  if (name == "cat_chain8") {
    std::vector<Dimension> dims;
    for (int i = 0; i < 8; ++i)
      dims.push_back(Dimension::categorical(numbered("c", i + 1), choices(5)));
    return {name,
            Space(std::move(dims)),
            -8.278205396171089,
            0.0,
            {2, 0, 3, 2, 2, 2, 0, 3},
            "categorical",
            [](const Point& p) { return categorical_chain(p.data()); }};
  }
  if (name == "mixed_camel") {
    return {name,
            Space({Dimension::real("x", -3, 3), Dimension::real("y", -2, 2),
                   Dimension::integer("k", 0, 9), Dimension::categorical("c", choices(5))}),
            -1.031628453489877,
            0.0,
            {0.08984201368301331, -0.7126564032704135, 7, 1},
            "mixed",
            mixed_camel};
  }
  std::vector<Dimension> dims = reals(4, -5, 10);
  dims.push_back(Dimension::integer("k1", -5, 10));
  dims.push_back(Dimension::integer("k2", -5, 10));
  dims.push_back(Dimension::categorical("c1", choices(4)));
  dims.push_back(Dimension::categorical("c2", choices(4)));
  return {name, Space(std::move(dims)), 0.0, 0.0, Point(8, 0.0), "mixed", mixed_ackley};
}

bool listed(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

const std::vector<std::string>& benchmark_problem_names() {
  static const std::vector<std::string> kNames = {"peaks", "branin", "hartmann6", "policy30"};
  return kNames;
}

const std::vector<std::string>& benchmark_suite_names() {
  static const std::vector<std::string> kNames = {
      "camel",   "branin",          "hartmann3",    "rosenbrock4", "levy5",
      "ackley5", "rastrigin4",      "michalewicz5", "hartmann6",   "styblinski_tang8",
      "levy10",  "levy_int6",       "cat_chain8",   "mixed_camel", "mixed_ackley8",
      "peaks",   "hartmann3_noisy", "policy12",     "policy30"};
  return kNames;
}

BenchmarkProblem benchmark_problem(const std::string& name, const std::string& field) {
  const auto& names = benchmark_suite_names();
  if (!listed(names, name)) {
    std::string all;
    for (const auto& n : names) all += (all.empty() ? "" : ", ") + n;
    throw std::invalid_argument(field + ": \"" + name + "\" is not one of " + all);
  }
  if (listed({"peaks", "branin", "hartmann6", "policy12", "policy30"}, name)) {
    return reference_problem(name);
  }
  if (listed({"levy_int6", "cat_chain8", "mixed_camel", "mixed_ackley8"}, name)) {
    return discrete_problem(name);
  }
  return suite_problem(name);
}

}  // namespace autoaug::search
