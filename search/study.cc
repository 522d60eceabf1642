#include "search/study.h"

#include <cmath>
#include <thread>

namespace autoaug::search {

Study::Study(Space space, std::unique_ptr<Strategy> strategy, StudyOptions options)
    : space_(std::move(space)), strategy_(std::move(strategy)), options_(options) {
  if (!strategy_) throw std::invalid_argument("study.strategy: must not be null");
}

Trial Study::ask() {
  // One proposal at a time (the strategy is not thread-safe, and concurrent asks must not get
  // the same point), computed on a copy of the history outside the trials' lock, so that tells
  // and reads go on while a model is fitted.
  std::lock_guard proposing(propose_mutex_);
  std::vector<Trial> history = trials();
  if (options_.direction == Direction::kMaximize) {
    for (Trial& t : history) t.value = -t.value;
  }
  std::optional<Point> p = strategy_->propose(space_, history);
  if (!p) throw SearchExhausted("the strategy has no new point left in the space");
  std::lock_guard lock(mutex_);
  Trial t;
  t.number = static_cast<int>(trials_.size());
  t.params = std::move(*p);
  trials_.push_back(t);
  return t;
}

Trial& Study::pending_trial(int number) {
  if (number < 0 || number >= static_cast<int>(trials_.size())) {
    throw std::invalid_argument("trial " + std::to_string(number) + ": no such trial");
  }
  Trial& t = trials_[number];
  if (t.state != TrialState::kPending) {
    throw std::invalid_argument("trial " + std::to_string(number) + ": already " +
                                trial_state_name(t.state));
  }
  return t;
}

void Study::finish(int number, TrialState state, double value, const std::string& message) {
  Trial done;
  {
    std::lock_guard lock(mutex_);
    Trial& t = pending_trial(number);
    t.state = state;
    t.value = value;
    t.message = message;
    done = t;
  }
  std::vector<Callback> callbacks;
  {
    std::lock_guard lock(callback_mutex_);
    callbacks = callbacks_;
  }
  // One finished trial's callbacks at a time; a callback may tell or add callbacks itself (the
  // lock is recursive and the list was copied).
  std::lock_guard run(run_mutex_);
  for (const Callback& cb : callbacks) {
    if (cb(*this, done) == CallbackAction::kStop) stop_ = true;
  }
}

void Study::tell(int number, double value) {
  if (!std::isfinite(value)) {
    finish(number, TrialState::kFailed, std::nan(""), "objective value is not finite");
    return;
  }
  finish(number, TrialState::kComplete, value, {});
}

void Study::tell_failed(int number, const std::string& message) {
  finish(number, TrialState::kFailed, std::nan(""), message);
}

void Study::restore(std::vector<Trial> trials) {
  std::lock_guard lock(mutex_);
  if (!trials_.empty()) throw std::invalid_argument("study.restore: the study already has trials");
  for (size_t i = 0; i < trials.size(); ++i) {
    const Trial& t = trials[i];
    if (t.number != static_cast<int>(i)) {
      throw std::invalid_argument("study.restore: trial " + std::to_string(t.number) +
                                  " is at position " + std::to_string(i));
    }
    if (!space_.contains(t.params)) {
      throw std::invalid_argument("study.restore: trial " + std::to_string(t.number) +
                                  ": parameters outside the space");
    }
  }
  trials_ = std::move(trials);
}

std::optional<Trial> Study::best() const {
  std::lock_guard lock(mutex_);
  const Trial* best = nullptr;
  for (const Trial& t : trials_) {
    if (t.state != TrialState::kComplete) continue;
    const bool better =
        !best || (options_.direction == Direction::kMinimize ? t.value < best->value
                                                             : t.value > best->value);
    if (better) best = &t;
  }
  if (!best) return std::nullopt;
  return *best;
}

std::vector<Trial> Study::trials() const {
  std::lock_guard lock(mutex_);
  return trials_;
}

void Study::add_callback(Callback callback) {
  std::lock_guard lock(callback_mutex_);
  callbacks_.push_back(std::move(callback));
}

int Study::optimize(const Objective& objective, int n_trials, int n_jobs) {
  if (n_trials < 0) throw std::invalid_argument("optimize.n_trials: must be >= 0");
  if (n_jobs < 1) throw std::invalid_argument("optimize.n_jobs: must be >= 1");
  std::atomic<int> started{0}, finished{0};
  std::atomic<bool> halt{false};
  std::mutex error_mutex;
  std::exception_ptr error;
  auto worker = [&] {
    while (!stop_ && !halt && started.fetch_add(1) < n_trials) {
      Trial t;
      try {
        t = ask();
      } catch (const SearchExhausted&) {
        halt = true;
        break;
      } catch (...) {
        std::lock_guard lock(error_mutex);
        if (!error) error = std::current_exception();
        halt = true;
        break;
      }
      TrialResult r;
      try {
        r = objective(t);
      } catch (const std::exception& e) {
        r = TrialResult::failed(std::string("objective threw: ") + e.what());
      } catch (...) {
        r = TrialResult::failed("objective threw a non-standard exception");
      }
      ++finished;
      try {
        if (r.ok) {
          tell(t.number, r.value);
        } else {
          tell_failed(t.number, r.message);
        }
      } catch (...) {  // a throwing callback ends the loop and reaches the caller
        std::lock_guard lock(error_mutex);
        if (!error) error = std::current_exception();
        halt = true;
      }
    }
  };
  if (n_jobs == 1) {
    worker();
  } else {
    std::vector<std::jthread> threads;
    for (int j = 0; j < n_jobs; ++j) threads.emplace_back(worker);
  }
  if (error) std::rethrow_exception(error);
  return finished;
}

}  // namespace autoaug::search
