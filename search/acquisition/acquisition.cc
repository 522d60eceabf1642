#include "search/acquisition/acquisition.h"

#include <cmath>
#include <stdexcept>

namespace autoaug::search {

AcquisitionKind parse_acquisition(const std::string& name, const std::string& field) {
  if (name == "ei") return AcquisitionKind::kExpectedImprovement;
  if (name == "pi") return AcquisitionKind::kProbabilityOfImprovement;
  if (name == "lcb") return AcquisitionKind::kLowerConfidenceBound;
  if (name == "hedge") return AcquisitionKind::kHedge;
  throw std::invalid_argument(field + ": \"" + name + "\" is not one of ei, pi, lcb, hedge");
}

const char* acquisition_name(AcquisitionKind kind) {
  switch (kind) {
    case AcquisitionKind::kExpectedImprovement:
      return "ei";
    case AcquisitionKind::kProbabilityOfImprovement:
      return "pi";
    case AcquisitionKind::kLowerConfidenceBound:
      return "lcb";
    case AcquisitionKind::kHedge:
      return "hedge";
  }
  return "?";
}

namespace {

constexpr double kInvSqrt2 = 0.7071067811865476;
constexpr double kLogSqrt2Pi = 0.9189385332046727;

// log(phi(z) + z Phi(z)), the EI of a unit normal, without underflow for very negative z
// (asymptotic series phi(z) / z^2 (1 - 3/z^2 + 15/z^4) below -20, where it is exact to 1e-6;
// above, erfc keeps the direct form accurate).
double log_ei_unit(double z) {
  if (z > -20)
    return std::log(std::exp(-0.5 * z * z - kLogSqrt2Pi) + z * 0.5 * std::erfc(-z * kInvSqrt2));
  const double z2 = z * z;
  return -0.5 * z2 - kLogSqrt2Pi - std::log(z2) + std::log1p(-3 / z2 + 15 / (z2 * z2));
}

// log Phi(z) without underflow (Mills ratio series below -20).
double log_cdf(double z) {
  if (z > -20) return std::log(0.5 * std::erfc(-z * kInvSqrt2));
  const double z2 = z * z;
  return -0.5 * z2 - kLogSqrt2Pi - std::log(-z) + std::log1p(-1 / z2 + 3 / (z2 * z2));
}

}  // namespace

void acquisition_scores(AcquisitionKind kind, const Vector& mean, const Vector& variance,
                        double best, double xi, double kappa, Vector& scores) {
  scores.resize(mean.size());
  for (Eigen::Index i = 0; i < mean.size(); ++i) {
    const double sd = std::sqrt(std::max(variance[i], 1e-300));
    const double improvement = best - mean[i] - xi;
    const double z = improvement / sd;
    switch (kind) {
      case AcquisitionKind::kExpectedImprovement:
        scores[i] = std::log(sd) + log_ei_unit(z);
        break;
      case AcquisitionKind::kProbabilityOfImprovement:
        scores[i] = log_cdf(z);
        break;
      case AcquisitionKind::kLowerConfidenceBound:
        scores[i] = -(mean[i] - kappa * sd);
        break;
      case AcquisitionKind::kHedge:
        throw std::invalid_argument("acquisition: hedge has no score of its own");
    }
  }
}

}  // namespace autoaug::search
