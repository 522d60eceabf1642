#include "tools/study_runner.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "search/net/auth.h"
#include "search/store/study_store.h"
#include "search/strategy/strategy_factory.h"
#include "tools/interrupt_handler.h"

extern char** environ;

namespace autoaug::tools {
namespace {

std::atomic<net::Coordinator*> g_coordinator{nullptr};
std::atomic<int> g_signals{0};

extern "C" void on_coordinator_signal(int) {
  if (g_signals.fetch_add(1) >= 1) _exit(130);  // a second Ctrl-C: leave at once
  if (net::Coordinator* c = g_coordinator.load()) c->stop();
}

std::string self_executable() {
  char buf[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) throw std::runtime_error("cannot find the autoaug executable (/proc/self/exe)");
  return std::string(buf, static_cast<size_t>(n));
}

// Where a local worker dials a coordinator listening on `host`: the host itself, or the
// loopback address for a wildcard ("0.0.0.0", "::").
std::string local_dial_address(const std::string& host, int port) {
  const std::string dial = host == "0.0.0.0" ? "127.0.0.1" : host == "::" ? "::1" : host;
  const bool v6 = dial.find(':') != std::string::npos;
  return (v6 ? "[" + dial + "]" : dial) + ":" + std::to_string(port);
}

// Local worker processes: each slot's thread starts its worker, waits for it and starts it again
// if it dies before the study is done (a bounded number of times). A worker gets SIGTERM when
// the thread that started it ends (PR_SET_PDEATHSIG), so none outlives this process.
class LocalWorkers {
 public:
  // `address` is the coordinator's HOST:PORT as a worker dials it.
  LocalWorkers(int n, const std::string& address, const std::string& token, int threads) {
    const std::string exe = self_executable();
    for (int i = 0; i < n; ++i) {
      // --allow-command: these workers connect to this process's own coordinator, whose
      // objective (a shell command included) is this user's own choice.
      std::vector<std::string> argv = {exe,
                                       "worker",
                                       "--connect",
                                       address,
                                       "--name",
                                       "local-" + std::to_string(i),
                                       "--give-up-after",
                                       "10",
                                       "--allow-command",
                                       "--quiet"};
      if (threads > 0) {
        argv.push_back("--threads");
        argv.push_back(std::to_string(threads));
      }
      slots_.emplace_back([this, argv, token] { supervise(argv, token); });
    }
  }

  // Stops every worker (SIGTERM) and waits for them.
  ~LocalWorkers() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
      for (pid_t pid : pids_) kill(pid, SIGTERM);
    }
    for (auto& t : slots_) t.join();
  }

 private:
  void supervise(const std::vector<std::string>& args, const std::string& token) {
    std::vector<std::string> env_strings;
    for (char** e = environ; *e != nullptr; ++e) {
      if (std::string(*e).rfind("AUTOAUG_TOKEN=", 0) != 0) env_strings.emplace_back(*e);
    }
    env_strings.push_back("AUTOAUG_TOKEN=" + token);
    std::vector<char*> argv, envp;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    for (const auto& e : env_strings) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    const pid_t parent = getpid();
    for (int restarts = 0;; ++restarts) {
      pid_t pid;
      {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
        pid = fork();
        if (pid == 0) {
          prctl(PR_SET_PDEATHSIG, SIGTERM);
          if (getppid() != parent) _exit(1);
          execve(argv[0], argv.data(), envp.data());
          _exit(127);
        }
        if (pid < 0) {
          std::fprintf(stderr, "autoaug: cannot start a local worker\n");
          return;
        }
        pids_.push_back(pid);
      }
      int status = 0;
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      std::lock_guard lock(mutex_);
      pids_.erase(std::find(pids_.begin(), pids_.end(), pid));
      if (stopping_ || (WIFEXITED(status) && WEXITSTATUS(status) == 0)) return;
      const std::string how = WIFSIGNALED(status)
                                  ? "was killed by signal " + std::to_string(WTERMSIG(status))
                                  : "exited with status " + std::to_string(WEXITSTATUS(status));
      if (restarts >= 3) {
        std::fprintf(stderr, "autoaug: local worker %s %s; not restarting it again\n", argv[5],
                     how.c_str());
        return;
      }
      std::fprintf(stderr, "autoaug: local worker %s %s; restarting it\n", argv[5], how.c_str());
    }
  }

  std::mutex mutex_;
  bool stopping_ = false;
  std::vector<pid_t> pids_;
  std::vector<std::thread> slots_;
};

}  // namespace

std::pair<std::string, int> parse_host_port(const std::string& text, const std::string& option) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    throw std::invalid_argument(option + ": expected HOST:PORT, got '" + text + "'");
  }
  std::string host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  int port = -1;
  try {
    size_t used = 0;
    port = std::stoi(text.substr(colon + 1), &used);
    if (used != text.size() - colon - 1) port = -1;
  } catch (const std::exception&) {
  }
  if (port < 0 || port > 65535) {
    throw std::invalid_argument(option + ": '" + text.substr(colon + 1) + "' is not a port");
  }
  return {host, port};
}

std::unique_ptr<search::Study> study_from_config(const nlohmann::json& config,
                                                 const std::string& origin) {
  try {
    search::Space space = search::Space::from_json(config.at("search_space"));
    const std::string direction = config.at("direction");
    if (direction != "minimize" && direction != "maximize") {
      throw std::invalid_argument("direction: '" + direction + "'");
    }
    return std::make_unique<search::Study>(
        std::move(space),
        search::make_strategy(config.at("strategy"), config.at("seed").get<std::uint64_t>(),
                              config.at("interleave"), "strategy"),
        search::StudyOptions{direction == "maximize" ? search::Direction::kMaximize
                                                     : search::Direction::kMinimize});
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(origin + ": " + e.what());
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(origin + ": " + e.what());
  }
}

void add_listen_options(CLI::App& cmd, CoordinateArgs& a) {
  cmd.add_option("--listen", a.listen,
                 "HOST:PORT where remote `autoaug worker`s connect (default: loopback only)");
  cmd.add_option("--token-file", a.token_file,
                 "File holding the shared token of remote workers (else AUTOAUG_TOKEN)");
}

void add_coordinate_options(CLI::App& cmd, CoordinateArgs& a, int default_workers) {
  a.workers = default_workers;
  cmd.add_option("--workers", a.workers, "Local worker processes started and supervised here")
      ->capture_default_str();
  add_listen_options(cmd, a);
  cmd.add_option("--lease-seconds", a.lease_seconds,
                 "A trial without heartbeats for this long is queued again")
      ->capture_default_str();
  cmd.add_option("--heartbeat-seconds", a.heartbeat_seconds, "Heartbeat interval of workers")
      ->capture_default_str();
  cmd.add_option("--max-attempts", a.max_attempts, "Lost leases before a trial is marked failed")
      ->capture_default_str();
}

net::CoordinatorSummary run_coordinated(search::Study& study, search::StudyStore& store,
                                        const nlohmann::json& objective, int target,
                                        const CoordinateArgs& args,
                                        const net::Coordinator::TrialCallback& progress) {
  if (args.workers < 0) throw std::invalid_argument("--workers: must be >= 0");
  net::CoordinatorOptions o;
  if (!args.listen.empty()) std::tie(o.host, o.port) = parse_host_port(args.listen, "--listen");
  if (!args.token_file.empty() || std::getenv("AUTOAUG_TOKEN") != nullptr) {
    o.token = net::load_token(args.token_file);
  } else if (args.listen.empty()) {
    o.token = net::random_token_hex();  // loopback and local workers only
  } else {
    throw std::invalid_argument(
        "--listen: remote workers need a shared token: --token-file F "
        "(chmod 600) or the environment variable AUTOAUG_TOKEN");
  }
  if (args.workers == 0 && args.listen.empty()) {
    throw std::invalid_argument("--workers 0 needs --listen HOST:PORT for remote workers");
  }
  o.target_complete = target;
  o.lease_seconds = args.lease_seconds;
  o.heartbeat_seconds = args.heartbeat_seconds;
  o.max_attempts = args.max_attempts;
  o.seed = store.config().value("seed", std::uint64_t{0});
  net::Coordinator coordinator(study, store, objective, o);
  if (progress) coordinator.on_trial_finished(progress);
  if (!args.listen.empty()) {
    std::printf("coordinator listening on %s:%d\n", o.host.c_str(), coordinator.port());
    std::fflush(stdout);
  }

  g_signals = 0;
  g_coordinator = &coordinator;
  net::CoordinatorSummary summary;
  {
    const ScopedInterruptHandler interrupts(on_coordinator_signal);
    LocalWorkers workers(args.workers, local_dial_address(o.host, coordinator.port()), o.token,
                         args.worker_threads);
    summary = coordinator.run();
  }
  g_coordinator = nullptr;
  return summary;
}

}  // namespace autoaug::tools
