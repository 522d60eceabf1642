#pragma once

// Internal to search/: unconstrained L-BFGS minimiser with a backtracking (Armijo) line search.

#include <Eigen/Core>
#include <functional>

namespace autoaug::search::detail {

// f(x, grad) returns the value at x and writes the gradient. Minimises from `x` in place and
// returns the best value found. Non-finite values are treated as +infinity (the step shrinks).
double lbfgs_minimize(const std::function<double(const Eigen::VectorXd&, Eigen::VectorXd&)>& f,
                      Eigen::VectorXd& x, int max_iterations, int memory = 8,
                      double gradient_tolerance = 1e-5);

}  // namespace autoaug::search::detail
