#include "search/benchmark/runner.h"

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>
#include <utility>

#include "search/strategy/strategy_factory.h"
#include "search/study.h"

namespace autoaug::search {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// CPU time of the calling thread: the suggestion's own cost, unaffected by other processes
// competing for the cores (suggestions are single-threaded).
double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

}  // namespace

std::mt19937_64 observation_noise(std::uint64_t seed) {
  return std::mt19937_64(seed * 0x9e3779b97f4a7c15ULL + 0x5eed);
}

BenchmarkRun run_benchmark(const BenchmarkProblem& problem, std::unique_ptr<Strategy> strategy,
                           int evaluations, int batch, std::uint64_t seed) {
  Study study(problem.space, std::move(strategy));
  std::mt19937_64 noise = observation_noise(seed);
  BenchmarkRun run;
  double best_obs = INFINITY, best_obs_true = INFINITY, best_true = INFINITY;
  const auto start = std::chrono::steady_clock::now();
  double objective_seconds = 0;
  while (static_cast<int>(run.points.size()) < evaluations) {
    std::vector<Trial> round;
    for (int b = 0; b < batch && static_cast<int>(run.points.size() + round.size()) < evaluations;
         ++b) {
      round.push_back(study.ask());
    }
    for (const Trial& t : round) {
      const auto o = std::chrono::steady_clock::now();
      const double y = problem.observe(t.params, noise);
      const double f = problem.value(t.params);
      objective_seconds += seconds_since(o);
      study.tell(t.number, y);
      if (y < best_obs) {
        best_obs = y;
        best_obs_true = f;
      }
      best_true = std::min(best_true, f);
      run.obs.push_back(best_obs_true - problem.f_star);
      run.oracle.push_back(best_true - problem.f_star);
      run.points.push_back(t.params);
      run.observed.push_back(y);
    }
  }
  run.seconds = seconds_since(start) - objective_seconds;
  return run;
}

double suggestion_seconds(const BenchmarkProblem& problem, const std::string& strategy, int n,
                          std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Trial> history;
  for (int i = 0; i < n; ++i) {
    Trial t;
    t.number = i;
    t.params = problem.space.sample(rng);
    t.state = TrialState::kComplete;
    t.value = problem.observe(t.params, rng);
    history.push_back(t);
  }
  const auto s = make_strategy(strategy, seed);
  const int round = strategy.ends_with("-random") ? 3 : 1;
  double slowest = 0;
  for (int k = 0; k < round; ++k) {
    const double start = thread_cpu_seconds();
    const auto p = s->propose(problem.space, history);
    slowest = std::max(slowest, thread_cpu_seconds() - start);
    Trial t;
    t.number = static_cast<int>(history.size());
    t.params = *p;
    history.push_back(t);
  }
  return slowest;
}

double percentile(std::vector<double> sample, double q) {
  std::sort(sample.begin(), sample.end());
  const double pos = q * static_cast<double>(sample.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, sample.size() - 1);
  return sample[lo] + (pos - static_cast<double>(lo)) * (sample[hi] - sample[lo]);
}

}  // namespace autoaug::search
