#pragma once

#include <limits>
#include <string>

#include "search/space.h"

namespace autoaug::search {

// A trial as the strategies see it. The database stores search::StoredState (queued, running,
// complete, failed) instead; these values are never written.
enum class TrialState : int { kPending = 0, kComplete = 1, kFailed = 2 };

// "pending", "complete" or "failed".
const char* trial_state_name(TrialState state);

// One evaluation of the objective. `value` is in the user's direction (a maximised study stores
// what the objective returned); it is NaN unless the trial is complete.
struct Trial {
  int number = -1;
  Point params;
  TrialState state = TrialState::kPending;
  double value = std::numeric_limits<double>::quiet_NaN();
  std::string message;  // why a failed trial failed
};

// What an objective returns for one trial: a value, or a failure with a message. A failure is
// data (the study records it and goes on), never an exception through the study.
struct TrialResult {
  bool ok = false;
  double value = std::numeric_limits<double>::quiet_NaN();
  std::string message;

  static TrialResult complete(double v) { return {true, v, {}}; }
  static TrialResult failed(std::string why) {
    return {false, std::numeric_limits<double>::quiet_NaN(), std::move(why)};
  }
};

}  // namespace autoaug::search
