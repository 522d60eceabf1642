#pragma once

#include <Eigen/Core>
#include <random>
#include <string>
#include <vector>

namespace autoaug::search {

// Points as rows, features as columns (unit coordinates, see space.h).
using Matrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Vector = Eigen::VectorXd;

// A regression model of the objective over unit coordinates. Column j of the inputs is
// continuous in [0, 1] when `categories[j] == 0`, else a category index in 0..categories[j]-1.
//
// `fit` replaces any previous fit; it draws randomness only from `rng`. `predict` gives the
// predictive mean and the variance of the latent function (no observation noise) for each row;
// it is const and safe to call from several threads once `fit` has returned. Calling `predict`
// before `fit` throws std::logic_error.
class Surrogate {
 public:
  virtual ~Surrogate() = default;
  virtual void fit(const Matrix& x, const Vector& y, std::mt19937_64& rng) = 0;
  virtual void predict(const Matrix& x, Vector& mean, Vector& variance) const = 0;
  virtual std::string name() const = 0;
};

}  // namespace autoaug::search
