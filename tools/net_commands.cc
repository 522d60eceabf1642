// `autoaug worker`, `autoaug serve` and `autoaug study show`: the distributed side of a study.
// `study show` also prints the re-scoring of a policy search (tools/rescore.h) when it has one.

#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <tuple>

#include "search/net/address.h"
#include "search/net/auth.h"
#include "search/net/worker_client.h"
#include "search/store/study_store.h"
#include "search/strategy/strategy_factory.h"
#include "tools/commands.h"
#include "tools/policy_study.h"
#include "tools/rescore.h"
#include "tools/study_runner.h"
#include "tools/worker_objectives.h"

namespace autoaug::tools {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

std::atomic<bool> g_worker_stop{false};
extern "C" void on_worker_signal(int) { g_worker_stop = true; }

struct WorkerArgs {
  std::string connect;
  std::string token_file;
  std::string name;
  int threads = 0;
  double give_up_after = 60;
  bool allow_command = false;
  bool quiet = false;
  bool tls = false;
  std::string tls_ca;
  std::string tls_name;
};

void run_worker_command(const WorkerArgs& a) {
  net::WorkerOptions o;
  std::tie(o.host, o.port) = net::parse_host_port(a.connect, "--connect");
  o.token = net::load_token(a.token_file);
  char host[256] = "worker";
  gethostname(host, sizeof host - 1);
  o.name = a.name.empty() ? std::string(host) + ":" + std::to_string(getpid()) : a.name;
  o.give_up_after_seconds = a.give_up_after;
  o.tls = a.tls || !a.tls_ca.empty() || !a.tls_name.empty();
  o.tls_ca_file = a.tls_ca;
  o.tls_name = a.tls_name;
  o.stop = &g_worker_stop;
  if (a.quiet) spdlog::set_level(spdlog::level::warn);
  struct sigaction action {};
  action.sa_handler = on_worker_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  const net::WorkerSummary s =
      net::run_worker(o, worker_objective_factory(a.threads, a.allow_command));
  if (!a.quiet || (s.exit_code != 0 && s.exit_code != 130)) {
    std::fprintf(stderr, "autoaug worker %s: %d trials complete, %d failed; %s\n", o.name.c_str(),
                 s.completed, s.failed, s.reason.c_str());
  }
  if (s.exit_code == 2) throw std::invalid_argument(s.reason);
  if (s.exit_code != 0) throw ExitStatus{s.exit_code};
}

struct ServeArgs {
  std::string study;
  int trials = 0;
  CoordinateArgs coordinate;
};

void run_serve(const ServeArgs& a, bool trials_given) {
  const fs::path db = fs::path(a.study) / kStudyDatabase;
  search::StudyStore store = search::StudyStore::open(db.string());
  if (trials_given) store.update_config({{"trials", a.trials}});
  const json config = store.config();
  auto study = search::study_from_config(config, db.string());
  const int total = config.at("trials");
  auto progress = [&](const search::Study& s, const search::Trial& t, const json&) {
    const auto best = s.best();
    if (t.state == search::TrialState::kComplete) {
      std::printf("trial %d: %.10g  (best %.10g, trial %d)\n", t.number, t.value, best->value,
                  best->number);
    } else {
      std::printf("trial %d: failed: %s\n", t.number, t.message.c_str());
    }
    std::fflush(stdout);
  };
  const net::CoordinatorSummary summary =
      run_coordinated(*study, store, config.at("objective"), total, a.coordinate, progress);
  std::printf("%d complete, %d failed, %d queued, %d running: %s\n", summary.complete,
              summary.failed, summary.queued, summary.running, summary.reason.c_str());
  if (!summary.finished) {
    std::printf("Resume with:\n  autoaug serve --study %s --listen %s ...\n", a.study.c_str(),
                a.coordinate.listen.c_str());
    throw ExitStatus{130};
  }
}

std::string format_time(double unix_seconds) {
  if (unix_seconds <= 0) return "-";
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", std::gmtime(&t));
  return buf;
}

void run_study_show(const std::string& dir, bool as_json, int events) {
  const fs::path db = fs::path(dir) / kStudyDatabase;
  if (!fs::exists(db)) throw std::invalid_argument(db.string() + ": no such file (not a study?)");
  const search::StudyStore store = search::StudyStore::open(db.string(), /*read_only=*/true);
  const json config = store.config();
  const bool maximize = config.value("direction", "minimize") == "maximize";
  const auto trials = store.trials();
  const search::StoredTrial* best = nullptr;
  for (const auto& t : trials) {
    if (t.state != search::StoredState::kComplete) continue;
    if (!best || (maximize ? t.value > best->value : t.value < best->value)) best = &t;
  }
  const auto counts = store.counts();
  const std::optional<RescoreSummary> rescore = read_rescore(dir);
  const int target = config.value("trials", 0);
  const int complete = counts.at(search::StoredState::kComplete);
  const std::string status = complete >= target ? "finished" : "unfinished";
  if (as_json) {
    json out = {{"study", dir},
                {"kind", config.value("kind", "")},
                {"status", status},
                {"trials", target},
                {"direction", config.value("direction", "minimize")},
                {"counts", json::object()},
                {"best", nullptr},
                {"events", json::array()}};
    for (const auto& [state, n] : counts) out["counts"][search::stored_state_name(state)] = n;
    if (best) out["best"] = trial_json(*best);
    if (rescore) out["rescore"] = rescore_json(*rescore);
    for (const auto& e : store.events(events)) {
      out["events"].push_back({{"id", e.id},
                               {"time", e.time},
                               {"kind", e.kind},
                               {"trial", e.trial < 0 ? json() : json(e.trial)},
                               {"detail", e.detail}});
    }
    std::cout << out.dump(2) << "\n";
    return;
  }
  std::printf("study %s (%s, %s)\n", dir.c_str(), config.value("kind", "?").c_str(),
              config.value("direction", "minimize").c_str());
  std::printf("status: %s, %d of %d trials complete\n", status.c_str(), complete, target);
  std::printf("trials:");
  for (const auto& [state, n] : counts) std::printf(" %s %d", search::stored_state_name(state), n);
  std::printf("\n");
  if (best) {
    std::printf("best: trial %d, value %.10g, params %s\n", best->number, best->value,
                best->params.dump().c_str());
  }
  std::printf("recent events:\n");
  for (const auto& e : store.events(events)) {
    std::printf("  %s  %-11s %-6s %s\n", format_time(e.time).c_str(), e.kind.c_str(),
                e.trial < 0 ? "" : ("#" + std::to_string(e.trial)).c_str(),
                e.detail.dump().c_str());
  }
  if (rescore) std::printf("%s", rescore_text(*rescore).c_str());
}

}  // namespace

void add_net_commands(CLI::App& app, CLI::App& bench) {
  add_bench_coordinator_command(bench);
  auto w = std::make_shared<WorkerArgs>();
  CLI::App* worker = app.add_subcommand(
      "worker", "Run trials leased by a coordinator (`autoaug serve`, or a search with --listen)");
  worker->add_option("--connect", w->connect, "Coordinator address HOST:PORT")->required();
  worker->add_option("--token-file", w->token_file,
                     "File holding the shared token (chmod 600); else AUTOAUG_TOKEN");
  worker->add_option("--name", w->name, "Name in the coordinator's log (default HOST:PID)");
  worker->add_option("--threads", w->threads, "Training threads (0: the study's)")
      ->capture_default_str();
  worker
      ->add_option("--give-up-after", w->give_up_after,
                   "Seconds without a coordinator before the worker exits")
      ->capture_default_str();
  worker->add_flag("--allow-command", w->allow_command,
                   "Run `command` objectives (the coordinator's shell command) on this machine");
  worker->add_flag("--quiet", w->quiet, "Only warnings and errors on stderr");
  worker->add_flag("--tls", w->tls,
                   "Connect over TLS; the coordinator's certificate must be signed by a CA this "
                   "system trusts and name the --connect host");
  worker
      ->add_option("--tls-ca", w->tls_ca,
                   "Trust the PEM certificates in this file instead (CAs, or the coordinator's "
                   "own certificate); implies --tls")
      ->check(CLI::ExistingFile);
  worker->add_option("--tls-name", w->tls_name,
                     "The name the certificate must carry (default: the --connect host); implies "
                     "--tls");
  worker->callback([w] { run_worker_command(*w); });

  auto s = std::make_shared<ServeArgs>();
  CLI::App* serve = app.add_subcommand(
      "serve",
      "Coordinate an existing study (made by `search` or `optimize --study`) for remote "
      "workers; resumes it");
  serve->add_option("--study", s->study, "Study directory")->required();
  CLI::Option* trials =
      serve->add_option("--trials", s->trials, "Raise the number of complete trials to reach");
  add_coordinate_options(*serve, s->coordinate, 0);
  serve->callback([s, trials] { run_serve(*s, trials->count() > 0); });

  CLI::App* study = app.add_subcommand("study", "Inspect a study");
  study->require_subcommand(1);
  auto show_dir = std::make_shared<std::string>();
  auto show_json = std::make_shared<bool>(false);
  auto show_events = std::make_shared<int>(10);
  CLI::App* show = study->add_subcommand("show", "Status, best trial, counts by state, events");
  show->add_option("dir", *show_dir, "Study directory")->required();
  show->add_flag("--json", *show_json, "One JSON object");
  show->add_option("--events", *show_events, "Recent events to list")->capture_default_str();
  show->callback([=] { run_study_show(*show_dir, *show_json, *show_events); });
}

}  // namespace autoaug::tools
