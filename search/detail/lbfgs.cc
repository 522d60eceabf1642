#include "search/detail/lbfgs.h"

#include <cmath>
#include <deque>
#include <limits>

namespace autoaug::search::detail {

double lbfgs_minimize(const std::function<double(const Eigen::VectorXd&, Eigen::VectorXd&)>& f,
                      Eigen::VectorXd& x, int max_iterations, int memory,
                      double gradient_tolerance) {
  const auto n = x.size();
  Eigen::VectorXd g(n), g_new(n), x_new(n), d(n);
  double fx = f(x, g);
  if (!std::isfinite(fx)) return std::numeric_limits<double>::infinity();
  std::deque<Eigen::VectorXd> s_hist, y_hist;
  std::deque<double> rho_hist;
  for (int it = 0; it < max_iterations; ++it) {
    if (g.lpNorm<Eigen::Infinity>() < gradient_tolerance) break;
    // Two-loop recursion.
    d = -g;
    const int k = static_cast<int>(s_hist.size());
    std::vector<double> alpha(k);
    for (int i = k - 1; i >= 0; --i) {
      alpha[i] = rho_hist[i] * s_hist[i].dot(d);
      d -= alpha[i] * y_hist[i];
    }
    if (k > 0) d *= s_hist.back().dot(y_hist.back()) / y_hist.back().squaredNorm();
    for (int i = 0; i < k; ++i) {
      const double beta = rho_hist[i] * y_hist[i].dot(d);
      d += (alpha[i] - beta) * s_hist[i];
    }
    double slope = g.dot(d);
    if (!(slope < 0)) {
      d = -g;
      slope = -g.squaredNorm();
      s_hist.clear();
      y_hist.clear();
      rho_hist.clear();
    }
    double step =
        (k == 0) ? std::min(1.0, 1.0 / std::max(1e-12, g.lpNorm<Eigen::Infinity>())) : 1.0;
    double f_new = std::numeric_limits<double>::infinity();
    bool accepted = false;
    for (int ls = 0; ls < 30; ++ls) {
      x_new = x + step * d;
      f_new = f(x_new, g_new);
      if (std::isfinite(f_new) && f_new <= fx + 1e-4 * step * slope) {
        accepted = true;
        break;
      }
      step *= 0.5;
    }
    if (!accepted) break;
    const Eigen::VectorXd s = x_new - x;
    const Eigen::VectorXd y = g_new - g;
    const double sy = s.dot(y);
    const double decrease = fx - f_new;
    x = x_new;
    g = g_new;
    fx = f_new;
    if (sy > 1e-12) {
      s_hist.push_back(s);
      y_hist.push_back(y);
      rho_hist.push_back(1.0 / sy);
      if (static_cast<int>(s_hist.size()) > memory) {
        s_hist.pop_front();
        y_hist.pop_front();
        rho_hist.pop_front();
      }
    }
    if (decrease < 1e-10 * (1 + std::fabs(fx))) break;
  }
  return fx;
}

}  // namespace autoaug::search::detail
