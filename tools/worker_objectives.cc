#include "tools/worker_objectives.h"

#include <memory>
#include <random>
#include <stdexcept>
#include <string>

#include "augment/policy_space.h"
#include "data/data_source.h"
#include "models/experiment.h"
#include "search/benchmark/problems.h"
#include "search/objective/command_objective.h"
#include "tools/policy_study.h"
#include "tools/rescore.h"
#include "tools/train_options.h"

namespace autoaug::tools {
namespace {

using nlohmann::json;

search::Trial trial_of(const search::Space& space, const net::Lease& lease) {
  search::Trial t;
  t.number = lease.trial;
  t.params = space.from_params(lease.params);
  return t;
}

net::WorkerObjective command_objective(const json& spec) {
  auto space = std::make_shared<search::Space>(search::Space::from_json(spec.at("space")));
  const std::string command = spec.at("command");
  const double timeout = spec.value("timeout_seconds", 0.0);
  return [space, command, timeout](const net::Lease& lease, const std::atomic<bool>& cancel) {
    search::CommandObjectiveOptions o;
    o.timeout_seconds = timeout;
    o.cancel = &cancel;
    const search::CommandObjective objective(command, *space, o);
    return net::TrialOutcome{objective(trial_of(*space, lease))};
  };
}

net::WorkerObjective problem_objective(const json& spec) {
  auto problem = std::make_shared<search::BenchmarkProblem>(
      search::benchmark_problem(spec.at("name").get<std::string>(), "objective.name"));
  return [problem](const net::Lease& lease, const std::atomic<bool>&) {
    std::mt19937_64 rng(lease.seed);
    const search::Point p = problem->space.from_params(lease.params);
    return net::TrialOutcome{search::TrialResult::complete(problem->observe(p, rng))};
  };
}

net::WorkerObjective policy_objective(const json& spec, int threads) {
  TrainArgs train = train_args_from_json(spec.at("train"), "objective.train");
  if (threads > 0) train.threads = threads;
  train.proxy = true;
  auto policy_space =
      std::make_shared<augment::PolicySpace>(policy_space_options(spec.at("space")));
  auto space = std::make_shared<search::Space>(to_search_space(*policy_space));
  auto experiment = std::make_shared<models::Experiment>(data::open_data_source(train.data),
                                                         experiment_options(train));
  const std::uint64_t seed = train.seed;
  return [=](const net::Lease& lease, const std::atomic<bool>& cancel) {
    // Every trial trains from the same seed, so scores differ by their policies alone. A
    // cancelled lease (or a stopping worker) stops the training before its next step.
    const augment::Policy policy = policy_space->decode(space->from_params(lease.params));
    const models::ExperimentResult r = experiment->run(policy, seed, {}, &cancel);
    net::TrialOutcome out;
    out.result =
        r.ok ? search::TrialResult::complete(r.accuracy) : search::TrialResult::failed(r.error);
    out.metrics = {{"seconds", r.train.seconds},
                   {"images_per_second", r.train.train_images_per_second},
                   {"history", epochs_json(r.train)}};
    return out;
  };
}

}  // namespace

net::ObjectiveFactory worker_objective_factory(int threads, bool allow_command) {
  return [threads, allow_command](const json& spec) -> net::WorkerObjective {
    const std::string kind = spec.value("kind", "");
    if (kind == "command" && !allow_command) {
      const json command = spec.value("command", json());
      throw std::invalid_argument("the coordinator asks this worker to run the shell command " +
                                  (command.is_string() ? command.dump() : std::string("(none)")) +
                                  "; command objectives run only with --allow-command");
    }
    try {
      if (kind == "command") return command_objective(spec);
      if (kind == "problem") return problem_objective(spec);
      if (kind == "policy") return policy_objective(spec, threads);
      if (kind == "rescore") return rescore_objective(spec, threads);
    } catch (const json::exception& e) {
      throw std::invalid_argument(std::string("objective: ") + e.what());
    }
    throw std::invalid_argument(
        "objective.kind: '" + kind +
        "' is not one this worker runs (command, problem, policy, rescore)");
  };
}

}  // namespace autoaug::tools
