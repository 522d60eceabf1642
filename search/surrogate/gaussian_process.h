#pragma once

#include <Eigen/Cholesky>

#include "search/surrogate/surrogate.h"

namespace autoaug::search {

struct GaussianProcessOptions {
  // Random restarts of the hyper-parameter search beyond the default start; >= 0.
  int n_restarts = 1;
  int max_iterations = 50;  // L-BFGS iterations per start; >= 1
  // Above max_fit_points points the hyper-parameters are fitted on a random subset of
  // fit_subset points (the likelihood is O(n^3) per evaluation); the model itself always uses
  // every point. Both >= 2.
  int max_fit_points = 100;
  int fit_subset = 64;
  // Log-normal prior on each length scale (unit coordinates): median, and sd of the log; sd 0
  // turns it off (plain maximum likelihood). The median is also the first start of the search.
  double length_scale_prior_median = 0.5;  // > 0
  double length_scale_prior_sd = 0.0;      // >= 0
  // Fit an isotropic model (one length scale for every dimension) too, and keep it unless the
  // per-dimension (ARD) length scales gain more log likelihood than the Bayesian information
  // criterion's 0.5 log(n) per extra parameter, times ard_penalty (>= 0). With few points ARD
  // otherwise overfits: a dimension switched off, another given a tiny length scale.
  bool ard_selection = true;
  double ard_penalty = 1.0;
  bool fit_noise = true;  // fit the noise variance; off: fixed at `noise`
  double noise = 1e-6;    // noise variance (of normalised y) when not fitted; >= 0
  // Bounds of the hyper-parameters, for normalised y and unit coordinates. All > 0, low < high.
  double min_length_scale = 0.01;
  double max_length_scale = 20.0;
  double min_amplitude = 0.05;
  double max_amplitude = 20.0;
  double min_noise = 1e-8;
  double max_noise = 2.0;
};

// Gaussian process regression with a Matern 5/2 ARD kernel plus a noise term. Continuous
// features use (x - x')^2 / l^2; a categorical feature adds [c != c'] / l^2 (a Hamming-type
// kernel, the one-hot distance with one length scale per dimension). y is normalised to mean 0
// and variance 1; amplitude, length scales and noise maximise the log marginal likelihood
// (analytic gradients, L-BFGS over log-parameters squashed into their bounds). Thread safety as
// Surrogate.
class GaussianProcess : public Surrogate {
 public:
  // Throws std::invalid_argument naming the field of a bad option.
  GaussianProcess(std::vector<int> categories, GaussianProcessOptions options = {});
  void fit(const Matrix& x, const Vector& y, std::mt19937_64& rng) override;
  void predict(const Matrix& x, Vector& mean, Vector& variance) const override;
  std::string name() const override { return "gp"; }

  // Log-parameters after fit: [log amplitude, log l_1..l_d, log noise].
  const Eigen::VectorXd& log_parameters() const { return theta_; }
  // Log marginal likelihood of the fitted data (normalised y) at log-parameters `theta`, and its
  // gradient with respect to them in `gradient` when not null. Needs a prior fit.
  double log_marginal_likelihood(const Eigen::VectorXd& theta, Eigen::VectorXd* gradient) const;

 private:
  struct HyperBox;  // bounds of the log-parameters and the squashing into them

  // Normalises y and keeps the rows the hyper-parameters are fitted on (x_, y_); returns every
  // normalised y.
  Vector set_fit_rows(const Matrix& x, const Vector& y, std::mt19937_64& rng);
  // The negative log posterior (marginal likelihood and length-scale prior) at squashed
  // parameters `z`, and its gradient; +inf where the likelihood is not finite.
  double negative_log_posterior(const HyperBox& box, const Eigen::VectorXd& z,
                                Eigen::VectorXd& grad) const;
  // One length scale shared by every dimension: the best value and, in `theta`, its parameters.
  double fit_isotropic(const HyperBox& box, const Eigen::VectorXd& start,
                       Eigen::VectorXd& theta) const;
  void pair_distances();
  void factorise();

  std::vector<int> categories_;
  GaussianProcessOptions options_;
  Matrix x_;
  Vector y_;       // normalised
  Matrix pair_d_;  // one row per pair j < k: per-dimension squared distance
  double y_mean_ = 0, y_scale_ = 1;
  Eigen::VectorXd theta_;
  Eigen::LLT<Eigen::MatrixXd> llt_;
  Vector alpha_;
  Eigen::MatrixXd k_inverse_;
  bool fitted_ = false;
};

}  // namespace autoaug::search
