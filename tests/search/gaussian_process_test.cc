#include "search/surrogate/gaussian_process.h"

#include <gtest/gtest.h>

#include <cmath>

namespace autoaug::search {
namespace {

GaussianProcess fitted(int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  Matrix x(n, 3);
  Vector y(n);
  for (int i = 0; i < n; ++i) {
    x(i, 0) = u(rng);
    x(i, 1) = u(rng);
    x(i, 2) = i % 4;
    y[i] = std::sin(5 * x(i, 0)) + x(i, 1) * x(i, 1) + 0.3 * (i % 4) + 0.05 * u(rng);
  }
  GaussianProcess gp({0, 0, 4});
  gp.fit(x, y, rng);
  return gp;
}

// Analytic gradients of the log marginal likelihood against central finite differences, at the
// fitted optimum and at an arbitrary point, relative tolerance 1e-4.
TEST(GaussianProcessTest, GradientMatchesFiniteDifferences) {
  const GaussianProcess gp = fitted(25, 4);
  Eigen::VectorXd arbitrary(5);
  arbitrary << 0.3, std::log(0.2), std::log(1.5), std::log(0.7), std::log(0.05);
  for (const Eigen::VectorXd& theta : {gp.log_parameters(), arbitrary}) {
    Eigen::VectorXd grad;
    gp.log_marginal_likelihood(theta, &grad);
    for (Eigen::Index i = 0; i < theta.size(); ++i) {
      const double h = 1e-5;
      Eigen::VectorXd up = theta, down = theta;
      up[i] += h;
      down[i] -= h;
      const double numeric =
          (gp.log_marginal_likelihood(up, nullptr) - gp.log_marginal_likelihood(down, nullptr)) /
          (2 * h);
      EXPECT_NEAR(grad[i], numeric, 1e-4 * (1 + std::fabs(numeric))) << "parameter " << i;
    }
  }
}

TEST(GaussianProcessTest, FittedHyperParametersBeatTheDefaults) {
  const GaussianProcess gp = fitted(30, 5);
  Eigen::VectorXd start(5);
  start << 0.0, std::log(0.5), std::log(0.5), std::log(0.5), std::log(1e-3);
  EXPECT_GT(gp.log_marginal_likelihood(gp.log_parameters(), nullptr),
            gp.log_marginal_likelihood(start, nullptr));
}

TEST(GaussianProcessTest, InterpolatesNoiseFreeData) {
  Matrix x(6, 1);
  Vector y(6), mean, var;
  for (int i = 0; i < 6; ++i) {
    x(i, 0) = i / 5.0;
    y[i] = std::cos(4 * x(i, 0));
  }
  GaussianProcessOptions o;
  o.fit_noise = false;
  o.noise = 1e-8;
  GaussianProcess gp({0}, o);
  std::mt19937_64 rng(1);
  gp.fit(x, y, rng);
  gp.predict(x, mean, var);
  EXPECT_LT((mean - y).cwiseAbs().maxCoeff(), 1e-3);
  EXPECT_LT(var.maxCoeff(), 1e-4);
}

TEST(GaussianProcessTest, IsMoreUncertainAwayFromTheData) {
  Matrix x(8, 1), probe(2, 1);
  Vector y(8), mean, var;
  for (int i = 0; i < 8; ++i) {
    x(i, 0) = 0.05 * i;  // data only on [0, 0.35]
    y[i] = std::sin(10 * x(i, 0));
  }
  probe << 0.2, 0.95;
  GaussianProcess gp({0});
  std::mt19937_64 rng(1);
  gp.fit(x, y, rng);
  gp.predict(probe, mean, var);
  EXPECT_GT(var[1], 10 * var[0]);
}

// Per-dimension length scales are kept only when they buy enough likelihood: on a function of
// x0 alone they do (x1 gets a long length scale); with a prohibitive penalty the isotropic
// model stays (one length scale for both); with selection off, ARD always.
TEST(GaussianProcessTest, ArdOnlyWhenTheDataSupportIt) {
  auto fit = [](int n, GaussianProcessOptions o) {
    std::mt19937_64 rng(7);
    std::uniform_real_distribution<double> u(0, 1);
    Matrix x(n, 2);
    Vector y(n);
    for (int i = 0; i < n; ++i) {
      x(i, 0) = u(rng);
      x(i, 1) = u(rng);
      y[i] = std::sin(6 * x(i, 0));
    }
    GaussianProcess gp({0, 0}, o);
    gp.fit(x, y, rng);
    return Eigen::VectorXd(gp.log_parameters());
  };
  GaussianProcessOptions o;
  Eigen::VectorXd theta = fit(40, o);
  EXPECT_GT(theta[2] - theta[1], std::log(3.0));
  o.ard_penalty = 1e6;
  theta = fit(40, o);
  EXPECT_DOUBLE_EQ(theta[1], theta[2]);
  o.ard_selection = false;
  theta = fit(40, o);
  EXPECT_GT(theta[2] - theta[1], std::log(3.0));
}

TEST(GaussianProcessTest, BadOptionsNameTheField) {
  GaussianProcessOptions o;
  o.min_length_scale = 0;
  EXPECT_THROW(GaussianProcess({0}, o), std::invalid_argument);
  o = {};
  o.ard_penalty = -1;
  EXPECT_THROW(GaussianProcess({0}, o), std::invalid_argument);
  o = {};
  o.max_iterations = 0;
  try {
    GaussianProcess({0}, o);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("gp.max_iterations"), std::string::npos);
  }
}

}  // namespace
}  // namespace autoaug::search
