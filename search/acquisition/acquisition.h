#pragma once

#include <string>

#include "search/surrogate/surrogate.h"

namespace autoaug::search {

// Chosen by name in a study's strategy (strategy_factory.h); the values are not stored.
enum class AcquisitionKind : int {
  kExpectedImprovement = 0,
  kProbabilityOfImprovement = 1,
  kLowerConfidenceBound = 2,
  kHedge = 3,  // GP-hedge: each proposal picks one of EI, PI, LCB (see ModelStrategy)
};

// "ei", "pi", "lcb", "hedge"; throws std::invalid_argument naming `field` for anything else.
AcquisitionKind parse_acquisition(const std::string& name, const std::string& field);
const char* acquisition_name(AcquisitionKind kind);

// Scores predictions for minimisation (higher is better) against the best observed value
// `best`: log EI, log PI (logarithms, so that far-off candidates still rank instead of all
// underflowing to 0), or -(mean - kappa * sd) for LCB. `xi` is the improvement margin of EI and
// PI in units of the objective. Not kHedge.
void acquisition_scores(AcquisitionKind kind, const Vector& mean, const Vector& variance,
                        double best, double xi, double kappa, Vector& scores);

}  // namespace autoaug::search
