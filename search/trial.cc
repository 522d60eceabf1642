#include "search/trial.h"

namespace autoaug::search {

const char* trial_state_name(TrialState state) {
  switch (state) {
    case TrialState::kPending:
      return "pending";
    case TrialState::kComplete:
      return "complete";
    case TrialState::kFailed:
      return "failed";
  }
  return "unknown";
}

}  // namespace autoaug::search
