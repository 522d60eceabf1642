#include "tools/study_runner.h"

#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <stdexcept>
#include <vector>

#include "search/net/address.h"
#include "search/net/auth.h"
#include "search/net/local_workers.h"
#include "search/net/tls.h"
#include "search/store/study_store.h"
#include "tools/interrupt_handler.h"

namespace autoaug::tools {
namespace {

std::atomic<net::Coordinator*> g_coordinator{nullptr};
std::atomic<int> g_signals{0};

extern "C" void on_coordinator_signal(int) {
  if (g_signals.fetch_add(1) >= 1) _exit(130);  // a second Ctrl-C: leave at once
  if (net::Coordinator* c = g_coordinator.load()) c->stop();
}

// The `autoaug worker` command lines of the local workers, dialling the coordinator on `host`.
// They run /proc/self/exe, this very binary even when its file has been replaced or deleted
// since (a rebuild or an upgrade during a long search), so workers started late (restarts, the
// re-scoring) match the coordinator. --allow-command: they connect to this process's own
// coordinator, whose objective (a shell command included) is this user's own choice. Under TLS
// they trust exactly the coordinator's certificate and check it for the name it carries (they
// dial loopback, which the certificate need not name).
std::vector<std::vector<std::string>> local_worker_commands(const CoordinateArgs& args,
                                                            const std::string& host, int port) {
  std::vector<std::string> tls;
  if (!args.tls_cert.empty()) {
    tls = {"--tls-ca", args.tls_cert, "--tls-name", net::tls_certificate_name(args.tls_cert)};
  }
  const std::string exe = "/proc/self/exe";
  std::vector<std::vector<std::string>> commands;
  for (int i = 0; i < args.workers; ++i) {
    std::vector<std::string> argv = {exe,
                                     "worker",
                                     "--connect",
                                     net::local_dial_address(host, port),
                                     "--name",
                                     "local-" + std::to_string(i),
                                     "--give-up-after",
                                     "10",
                                     "--allow-command",
                                     "--quiet"};
    if (args.worker_threads > 0) {
      argv.push_back("--threads");
      argv.push_back(std::to_string(args.worker_threads));
    }
    argv.insert(argv.end(), tls.begin(), tls.end());
    commands.push_back(std::move(argv));
  }
  return commands;
}

}  // namespace

void add_listen_options(CLI::App& cmd, CoordinateArgs& a) {
  cmd.add_option("--listen", a.listen,
                 "HOST:PORT where remote `autoaug worker`s connect (default: loopback only)");
  cmd.add_option("--token-file", a.token_file,
                 "File holding the shared token of remote workers (else AUTOAUG_TOKEN)");
  cmd.add_option("--tls-cert", a.tls_cert,
                 "Serve over TLS with this PEM certificate chain (workers then need --tls)")
      ->check(CLI::ExistingFile);
  cmd.add_option("--tls-key", a.tls_key, "The PEM private key of --tls-cert (chmod 600)")
      ->check(CLI::ExistingFile);
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
  if (!args.listen.empty())
    std::tie(o.host, o.port) = net::parse_host_port(args.listen, "--listen");
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
  o.tls_cert_file = args.tls_cert;
  o.tls_key_file = args.tls_key;
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
    // With no remote workers to wait for, a study whose local workers all failed stops.
    std::function<void()> all_failed;
    if (args.listen.empty()) {
      all_failed = [&coordinator] {
        std::fprintf(stderr, "autoaug: every local worker failed; stopping the study\n");
        coordinator.stop();
      };
    }
    net::LocalWorkers workers(local_worker_commands(args, o.host, coordinator.port()), o.token, 3,
                              all_failed);
    summary = coordinator.run();
  }
  g_coordinator = nullptr;
  return summary;
}

}  // namespace autoaug::tools
