#pragma once

#include <optional>
#include <string>
#include <vector>

#include "search/space.h"
#include "search/trial.h"

namespace autoaug::search {

// Proposes the next point to evaluate. A strategy always minimises: a maximising study hands it
// negated values. It holds no state beyond its options and seed: the proposal is a function of
// (seed, space, history) only, so replaying a history resumes a search exactly.
//
// `history` is every trial of the study in number order, pending ones included (model-based
// strategies treat them with a constant liar). The proposal never has the key (`Space::key`) of
// any trial in `history`. Returns nullopt when no new point is left (a finite space exhausted).
// `propose` is const and safe to call from several threads at once.
class Strategy {
 public:
  virtual ~Strategy() = default;
  virtual std::optional<Point> propose(const Space& space,
                                       const std::vector<Trial>& history) const = 0;
  virtual std::string name() const = 0;
};

}  // namespace autoaug::search
