#include "search/surrogate/gaussian_process.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

#include "search/detail/lbfgs.h"
#include "search/random.h"

namespace autoaug::search {
namespace {

constexpr double kSqrt5 = 2.23606797749979;
constexpr double kJitter = 1e-10;

// Matern 5/2 correlation at distance r, and -(d/dr k) / r (finite at r = 0).
inline double matern(double r) {
  return (1 + kSqrt5 * r + 5.0 / 3.0 * r * r) * std::exp(-kSqrt5 * r);
}
inline double matern_slope(double r) {
  return 5.0 / 3.0 * (1 + kSqrt5 * r) * std::exp(-kSqrt5 * r);
}

double sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }

}  // namespace

GaussianProcess::GaussianProcess(std::vector<int> categories, GaussianProcessOptions options)
    : categories_(std::move(categories)), options_(options) {
  if (categories_.empty()) throw std::invalid_argument("gp: needs at least one feature");
  if (options_.n_restarts < 0) throw std::invalid_argument("gp.n_restarts: must be >= 0");
  if (options_.max_iterations < 1) throw std::invalid_argument("gp.max_iterations: must be >= 1");
  if (!(options_.length_scale_prior_sd >= 0)) {
    throw std::invalid_argument("gp.length_scale_prior_sd: must be >= 0");
  }
  if (!(options_.length_scale_prior_median > 0)) {
    throw std::invalid_argument("gp.length_scale_prior_median: must be > 0");
  }
  if (!(options_.ard_penalty >= 0)) throw std::invalid_argument("gp.ard_penalty: must be >= 0");
  if (options_.max_fit_points < 2) throw std::invalid_argument("gp.max_fit_points: must be >= 2");
  if (options_.fit_subset < 2) throw std::invalid_argument("gp.fit_subset: must be >= 2");
  if (!(options_.noise >= 0)) throw std::invalid_argument("gp.noise: must be >= 0");
  auto bounds = [](double lo, double hi, const char* name) {
    if (!(lo > 0 && lo < hi && std::isfinite(hi))) {
      throw std::invalid_argument(std::string("gp.") + name + ": need 0 < min < max");
    }
  };
  bounds(options_.min_length_scale, options_.max_length_scale, "min_length_scale");
  bounds(options_.min_amplitude, options_.max_amplitude, "min_amplitude");
  bounds(options_.min_noise, options_.max_noise, "min_noise");
}

void GaussianProcess::pair_distances() {
  const auto n = x_.rows();
  const auto d = x_.cols();
  pair_d_.resize(n * (n - 1) / 2, d);
  Eigen::Index p = 0;
  for (Eigen::Index j = 0; j < n; ++j) {
    for (Eigen::Index k = j + 1; k < n; ++k, ++p) {
      for (Eigen::Index i = 0; i < d; ++i) {
        const double diff = x_(j, i) - x_(k, i);
        pair_d_(p, i) = categories_[i] > 0 ? (diff != 0 ? 1.0 : 0.0) : diff * diff;
      }
    }
  }
}

double GaussianProcess::log_marginal_likelihood(const Eigen::VectorXd& theta,
                                                Eigen::VectorXd* gradient) const {
  const auto n = x_.rows();
  const auto d = x_.cols();
  const double amp = std::exp(theta[0]);
  const double noise = std::exp(theta[d + 1]);
  const Eigen::VectorXd inv_l2 = (-2.0 * theta.segment(1, d)).array().exp();
  const Eigen::VectorXd r2 = pair_d_ * inv_l2;
  Eigen::MatrixXd k(n, n);
  Eigen::Index p = 0;
  for (Eigen::Index j = 0; j < n; ++j) {
    k(j, j) = amp + noise + kJitter;
    for (Eigen::Index c = j + 1; c < n; ++c, ++p) {
      k(j, c) = k(c, j) = amp * matern(std::sqrt(r2[p]));
    }
  }
  Eigen::LLT<Eigen::MatrixXd> llt(k);
  if (llt.info() != Eigen::Success) return -std::numeric_limits<double>::infinity();
  const Eigen::VectorXd alpha = llt.solve(y_);
  const double log_det = 2.0 * llt.matrixLLT().diagonal().array().log().sum();
  const double lml = -0.5 * y_.dot(alpha) - 0.5 * log_det - 0.5 * n * std::log(2 * M_PI);
  if (gradient) {
    // d lml / d theta = 0.5 tr((alpha alpha^T - K^-1) dK/dtheta).
    Eigen::MatrixXd w = llt.solve(Eigen::MatrixXd::Identity(n, n));
    w -= alpha * alpha.transpose();
    w *= -1.0;
    gradient->resize(d + 2);
    Eigen::VectorXd g_pair(pair_d_.rows());
    double g_amp = 0;
    p = 0;
    for (Eigen::Index j = 0; j < n; ++j) {
      g_amp += 0.5 * w(j, j) * amp;
      for (Eigen::Index c = j + 1; c < n; ++c, ++p) {
        const double r = std::sqrt(r2[p]);
        g_amp += w(j, c) * amp * matern(r);
        g_pair[p] = w(j, c) * amp * matern_slope(r);
      }
    }
    (*gradient)[0] = g_amp;
    gradient->segment(1, d) = (pair_d_.transpose() * g_pair).cwiseProduct(inv_l2);
    (*gradient)[d + 1] = 0.5 * noise * w.trace();
  }
  return lml;
}

// Log-parameter i = lo[i] + (hi[i] - lo[i]) * sigmoid(z[i]): L-BFGS searches z, unbounded.
struct GaussianProcess::HyperBox {
  Eigen::VectorXd lo, hi;

  HyperBox(const GaussianProcessOptions& o, Eigen::Index d) : lo(d + 2), hi(d + 2) {
    lo[0] = std::log(o.min_amplitude);
    hi[0] = std::log(o.max_amplitude);
    lo.segment(1, d).setConstant(std::log(o.min_length_scale));
    hi.segment(1, d).setConstant(std::log(o.max_length_scale));
    if (o.fit_noise) {
      lo[d + 1] = std::log(o.min_noise);
      hi[d + 1] = std::log(o.max_noise);
    } else {
      lo[d + 1] = hi[d + 1] = std::log(std::max(o.noise, 1e-300));
    }
  }
  Eigen::VectorXd theta(const Eigen::VectorXd& z) const {
    Eigen::VectorXd t(lo.size());
    for (Eigen::Index i = 0; i < lo.size(); ++i) t[i] = lo[i] + (hi[i] - lo[i]) * sigmoid(z[i]);
    return t;
  }
  Eigen::VectorXd z(const Eigen::VectorXd& t) const {
    Eigen::VectorXd z(lo.size());
    for (Eigen::Index i = 0; i < lo.size(); ++i) {
      const double s =
          hi[i] > lo[i] ? std::clamp((t[i] - lo[i]) / (hi[i] - lo[i]), 1e-6, 1 - 1e-6) : 0.5;
      z[i] = std::log(s / (1 - s));
    }
    return z;
  }
};

Vector GaussianProcess::set_fit_rows(const Matrix& x, const Vector& y, std::mt19937_64& rng) {
  const auto n = x.rows();
  const auto d = x.cols();
  y_mean_ = y.mean();
  const double sd = n > 1 ? std::sqrt((y.array() - y_mean_).square().sum() / n) : 0.0;
  y_scale_ = sd > 1e-12 ? sd : 1.0;
  // The hyper-parameters are fitted on a random subset when there are many points: the
  // likelihood costs O(n^3) per evaluation, the final model uses every point.
  const Vector y_all = (y.array() - y_mean_) / y_scale_;
  if (n > options_.max_fit_points && n > options_.fit_subset) {
    std::vector<Eigen::Index> rows(n);
    std::iota(rows.begin(), rows.end(), 0);
    random::shuffle(rows.begin(), rows.end(), rng);
    rows.resize(options_.fit_subset);
    std::sort(rows.begin(), rows.end());
    x_.resize(options_.fit_subset, d);
    y_.resize(options_.fit_subset);
    for (int i = 0; i < options_.fit_subset; ++i) {
      x_.row(i) = x.row(rows[i]);
      y_[i] = y_all[rows[i]];
    }
  } else {
    x_ = x;
    y_ = y_all;
  }
  pair_distances();
  return y_all;
}

double GaussianProcess::negative_log_posterior(const HyperBox& box, const Eigen::VectorXd& z,
                                               Eigen::VectorXd& grad) const {
  const auto d = static_cast<Eigen::Index>(categories_.size());
  const Eigen::VectorXd t = box.theta(z);
  Eigen::VectorXd g;
  double lml = log_marginal_likelihood(t, &g);
  if (!std::isfinite(lml)) return std::numeric_limits<double>::infinity();
  if (options_.length_scale_prior_sd > 0) {
    // Log-normal prior on the length scales: keeps few points from fitting wiggles.
    const double mu = std::log(options_.length_scale_prior_median);
    const double inv_var = 1.0 / (options_.length_scale_prior_sd * options_.length_scale_prior_sd);
    for (Eigen::Index i = 1; i <= d; ++i) {
      lml -= 0.5 * (t[i] - mu) * (t[i] - mu) * inv_var;
      g[i] -= (t[i] - mu) * inv_var;
    }
  }
  grad.resize(d + 2);
  for (Eigen::Index i = 0; i < d + 2; ++i) {
    const double s = sigmoid(z[i]);
    grad[i] = -g[i] * (box.hi[i] - box.lo[i]) * s * (1 - s);
  }
  return -lml;
}

double GaussianProcess::fit_isotropic(const HyperBox& box, const Eigen::VectorXd& start,
                                      Eigen::VectorXd& theta) const {
  const auto d = static_cast<Eigen::Index>(categories_.size());
  // Amplitude, the shared length scale and noise; the shared scale's gradient is the sum over
  // dimensions.
  auto expand = [&](const Eigen::VectorXd& w) {
    Eigen::VectorXd z(d + 2);
    z[0] = w[0];
    z.segment(1, d).setConstant(w[1]);
    z[d + 1] = w[2];
    return z;
  };
  auto objective = [&](const Eigen::VectorXd& w, Eigen::VectorXd& grad) {
    Eigen::VectorXd g;
    const double value = negative_log_posterior(box, expand(w), g);
    grad.resize(3);
    if (g.size() == d + 2) {
      grad << g[0], g.segment(1, d).sum(), g[d + 1];
    } else {
      grad.setZero();  // non-finite value: the line search backs off
    }
    return value;
  };
  const Eigen::VectorXd z0 = box.z(start);
  Eigen::VectorXd w(3);
  w << z0[0], z0[1], z0[d + 1];
  const double value = detail::lbfgs_minimize(objective, w, options_.max_iterations);
  theta = box.theta(expand(w));
  return value;
}

void GaussianProcess::fit(const Matrix& x, const Vector& y, std::mt19937_64& rng) {
  const auto n = x.rows();
  const auto d = static_cast<Eigen::Index>(categories_.size());
  if (x.cols() != d) throw std::invalid_argument("gp.fit: wrong number of columns");
  if (n < 1 || y.size() != n) throw std::invalid_argument("gp.fit: needs rows matching y");
  const Vector y_all = set_fit_rows(x, y, rng);
  const HyperBox box(options_, d);
  auto objective = [&](const Eigen::VectorXd& z, Eigen::VectorXd& grad) {
    return negative_log_posterior(box, z, grad);
  };
  Eigen::VectorXd start(d + 2);
  start[0] = 0.0;
  start.segment(1, d).setConstant(std::log(options_.length_scale_prior_median));
  start[d + 1] = std::log(options_.fit_noise ? 1e-3 : std::max(options_.noise, 1e-300));
  double best = std::numeric_limits<double>::infinity();
  Eigen::VectorXd best_theta = box.theta(box.z(start));
  // Isotropic model first; then ARD from `start`, from random restarts and from its optimum.
  double iso_best = std::numeric_limits<double>::infinity();
  Eigen::VectorXd iso_theta = best_theta;
  const bool select = options_.ard_selection && d > 1 && n > 1;
  if (select) iso_best = fit_isotropic(box, start, iso_theta);
  for (int r = 0; r <= options_.n_restarts + (select ? 1 : 0) && n > 1; ++r) {
    Eigen::VectorXd t = start;
    if (select && r == options_.n_restarts + 1) {
      t = iso_theta;  // ARD search from the isotropic optimum
    } else if (r > 0) {
      for (Eigen::Index i = 0; i < d + 2; ++i) {
        t[i] = box.lo[i] + (box.hi[i] - box.lo[i]) * random::canonical(rng);
      }
      t.segment(1, d) = (std::log(0.05) +
                         (std::log(2.0) - std::log(0.05)) * Eigen::ArrayXd::NullaryExpr(d, [&] {
                           return random::canonical(rng);
                         })).matrix();
    }
    Eigen::VectorXd z = box.z(t);
    const double value = detail::lbfgs_minimize(objective, z, options_.max_iterations);
    if (value < best) {
      best = value;
      best_theta = box.theta(z);
    }
  }
  // Bayesian information criterion: one length scale per dimension must buy
  // 0.5 log(n) of likelihood per extra parameter, else the isotropic model is kept.
  if (select && std::isfinite(iso_best) &&
      !(best + 0.5 * static_cast<double>(d - 1) * std::log(static_cast<double>(x_.rows())) *
                   options_.ard_penalty <
        iso_best)) {
    best = iso_best;
    best_theta = iso_theta;
  }
  theta_ = best_theta;
  if (x_.rows() != n) {
    x_ = x;
    y_ = y_all;
    pair_distances();
  }
  factorise();
  fitted_ = true;
}

void GaussianProcess::factorise() {
  const auto n = x_.rows();
  const auto d = x_.cols();
  const double amp = std::exp(theta_[0]);
  const double noise = std::exp(theta_[d + 1]);
  const Eigen::VectorXd r2 = pair_d_ * (-2.0 * theta_.segment(1, d)).array().exp().matrix();
  Eigen::MatrixXd k(n, n);
  Eigen::Index p = 0;
  for (Eigen::Index j = 0; j < n; ++j) {
    k(j, j) = amp + noise + kJitter;
    for (Eigen::Index c = j + 1; c < n; ++c, ++p)
      k(j, c) = k(c, j) = amp * matern(std::sqrt(r2[p]));
  }
  llt_.compute(k);
  for (double extra = 1e-8; llt_.info() != Eigen::Success && extra < 1.0; extra *= 10) {
    k.diagonal().array() += extra;
    llt_.compute(k);
  }
  alpha_ = llt_.solve(y_);
  k_inverse_ = llt_.solve(Eigen::MatrixXd::Identity(n, n));
}

void GaussianProcess::predict(const Matrix& x, Vector& mean, Vector& variance) const {
  if (!fitted_) throw std::logic_error("gp.predict: called before fit");
  const auto m = x.rows();
  const auto n = x_.rows();
  const auto d = x_.cols();
  const double amp = std::exp(theta_[0]);
  const Eigen::VectorXd inv_l2 = (-2.0 * theta_.segment(1, d)).array().exp();
  Eigen::MatrixXd ks(n, m);
  for (Eigen::Index q = 0; q < m; ++q) {
    for (Eigen::Index j = 0; j < n; ++j) {
      double r2 = 0;
      for (Eigen::Index i = 0; i < d; ++i) {
        const double diff = x(q, i) - x_(j, i);
        r2 += (categories_[i] > 0 ? (diff != 0 ? 1.0 : 0.0) : diff * diff) * inv_l2[i];
      }
      ks(j, q) = amp * matern(std::sqrt(r2));
    }
  }
  mean = (ks.transpose() * alpha_).array() * y_scale_ + y_mean_;
  // k^T K^-1 k through one matrix product (faster than a triangular solve with many columns).
  const Eigen::MatrixXd kinv_ks = k_inverse_ * ks;
  variance = ((amp - ks.cwiseProduct(kinv_ks).colwise().sum().transpose().array()).max(1e-12) *
              y_scale_ * y_scale_)
                 .matrix();
}

}  // namespace autoaug::search
