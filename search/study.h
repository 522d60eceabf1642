#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <vector>

#include "search/space.h"
#include "search/strategy/strategy.h"
#include "search/trial.h"

namespace autoaug::search {

enum class Direction : int { kMinimize = 0, kMaximize = 1 };

struct StudyOptions {
  Direction direction = Direction::kMinimize;
};

// Thrown by Study::ask when the strategy has no new point left (a finite space exhausted).
class SearchExhausted : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What a callback asks the loop to do after a trial finished.
enum class CallbackAction { kContinue, kStop };

// One search: a space, a strategy and the history of trials. Every method is thread-safe.
// Proposals are made one at a time, so concurrent asks never get the same point, and outside
// the lock of the trials: a tell or a read does not wait for a model fit.
// Callbacks run outside that lock (one at a time) and may call any method of the study.
class Study {
 public:
  using Objective = std::function<TrialResult(const Trial&)>;
  using Callback = std::function<CallbackAction(const Study&, const Trial&)>;

  // Takes ownership of the strategy (not null).
  Study(Space space, std::unique_ptr<Strategy> strategy, StudyOptions options = {});

  // A new pending trial with the strategy's next point. Throws SearchExhausted when no new point
  // is left.
  Trial ask();
  // Completes pending trial `number` with `value` (in the study's direction). A non-finite value
  // marks it failed instead. Throws std::invalid_argument for an unknown or finished trial.
  void tell(int number, double value);
  // Marks pending trial `number` failed with `message`; the search goes on without its value.
  // Throws std::invalid_argument for an unknown or finished trial.
  void tell_failed(int number, const std::string& message);

  // Replaces an empty study's history with `trials` (numbers 0..n-1 in order, as a store holds
  // them): the strategy is a function of its seed and the history, so the next ask() is the one
  // the original run would have made with this history. Throws std::invalid_argument when the
  // study already has trials, a number is out of order or a point is outside the space.
  void restore(std::vector<Trial> trials);

  // The completed trial with the best value, if any.
  std::optional<Trial> best() const;
  // Every trial, in number order.
  std::vector<Trial> trials() const;
  const Space& space() const { return space_; }
  Direction direction() const { return options_.direction; }

  // Called after every tell and tell_failed, with the finished trial. kStop (or `stop()`) ends
  // `optimize` once the trials in flight finish. Callbacks run outside the study's lock, one
  // finished trial at a time; one may call tell, tell_failed or add_callback (a callback added
  // from a callback runs from the next finished trial on). A stop is never undone: `optimize` on
  // a stopped study returns at once.
  void add_callback(Callback callback);
  void stop() { stop_ = true; }
  bool stopped() const { return stop_; }

  // Runs up to `n_trials` trials with `n_jobs` concurrent evaluations (ask, evaluate, tell).
  // An exception from the objective fails that trial with its message. Stops early on a
  // callback's kStop, `stop()` or an exhausted space. Returns the number of trials finished.
  int optimize(const Objective& objective, int n_trials, int n_jobs = 1);

 private:
  Trial& pending_trial(int number);
  void finish(int number, TrialState state, double value, const std::string& message);

  const Space space_;
  const std::unique_ptr<Strategy> strategy_;
  const StudyOptions options_;
  std::mutex propose_mutex_;        // held by ask() while the strategy proposes
  mutable std::mutex mutex_;        // guards trials_
  std::mutex callback_mutex_;       // guards callbacks_
  std::recursive_mutex run_mutex_;  // held while callbacks run
  std::vector<Trial> trials_;
  std::vector<Callback> callbacks_;
  std::atomic<bool> stop_{false};
};

}  // namespace autoaug::search
