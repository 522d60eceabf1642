#pragma once

// Runs a stored study through the coordinator, with local worker processes started and
// supervised here (`--workers N`) and, with `--listen`, remote ones (`autoaug worker`). Shared by
// `optimize --study`, `search` and `serve`.

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "search/net/coordinator.h"

namespace CLI {
class App;
}

namespace autoaug::tools {

struct CoordinateArgs {
  int workers = 1;         // local worker processes
  std::string listen;      // HOST:PORT for remote workers; empty: loopback, any port
  std::string token_file;  // shared token (else AUTOAUG_TOKEN; local-only runs make one)
  std::string tls_cert;    // TLS certificate chain and key (PEM); empty: plain TCP
  std::string tls_key;
  double lease_seconds = 60;
  double heartbeat_seconds = 5;
  int max_attempts = 3;
  int worker_threads = 0;  // training threads of each local worker (0: the study's)
};

// Adds --listen, --token-file, --tls-cert and --tls-key.
void add_listen_options(CLI::App& cmd, CoordinateArgs& a);

// Adds --workers, --listen, --token-file, --tls-cert, --tls-key, --lease-seconds,
// --heartbeat-seconds, --max-attempts.
void add_coordinate_options(CLI::App& cmd, CoordinateArgs& a, int default_workers);

// Serves `study` (restored from `store`) until `target` trials are complete, Ctrl-C or SIGTERM.
// `progress` runs after each finished trial. Prints, on an interrupt, `resume_command`.
net::CoordinatorSummary run_coordinated(search::Study& study, search::StudyStore& store,
                                        const nlohmann::json& objective, int target,
                                        const CoordinateArgs& args,
                                        const net::Coordinator::TrialCallback& progress);

}  // namespace autoaug::tools
