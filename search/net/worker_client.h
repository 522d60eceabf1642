#pragma once

// The C++ worker: connects to a coordinator, authenticates both ways (the coordinator must prove
// it knows the token before the worker answers; every later frame is sealed, auth.h), and loops
// on leases until the coordinator says `done`. While a trial runs it heartbeats every
// `heartbeat_seconds` (from the welcome); a `cancel` reply sets the trial's cancel flag. A lost
// connection cancels the running trial (the coordinator re-queues it) and reconnects with
// exponential backoff; after `give_up_after_seconds` without a coordinator the worker ends.
// Over TLS (WorkerOptions::tls) it first verifies the coordinator's certificate and name.

#include <atomic>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "search/trial.h"

namespace autoaug::net {

struct WorkerOptions {
  std::string host;
  int port = 0;
  std::string token;
  std::string name;  // shown in the coordinator's log and store
  double give_up_after_seconds = 60;
  // A coordinator that does not accept the connection, or leaves a handshake step, a heartbeat
  // or a result unanswered (or does not take a frame) for this long is treated as gone: the
  // worker reconnects. 0: wait forever. Never longer than give_up_after_seconds when that is
  // positive (0 then means give_up_after_seconds), so a silent coordinator cannot keep the worker
  // past it. A parked request always waits as long as the coordinator holds it.
  double reply_timeout_seconds = 30;
  std::uint32_t max_frame = 1u << 20;
  // TLS (search/net/tls.h): the coordinator must present a certificate that the PEM
  // certificates in tls_ca_file (CA certificates or the coordinator's own; empty: the system's
  // CAs) vouch for and that names tls_name (empty: `host`). One it fails, or a coordinator that
  // does not speak TLS, ends the worker (exit code 2) before anything runs.
  bool tls = false;
  std::string tls_ca_file;
  std::string tls_name;
  // When not null and set (e.g. by SIGTERM), the running trial is cancelled and the worker says
  // bye and returns. Not owned.
  const std::atomic<bool>* stop = nullptr;
};

struct Lease {
  int trial = -1;
  nlohmann::json params;
  std::uint64_t seed = 0;
  int attempt = 1;
};

// What one trial gave: the value (or failure) and metrics stored with it (any JSON object).
struct TrialOutcome {
  search::TrialResult result;
  nlohmann::json metrics = nlohmann::json::object();
};

// Runs one trial. Must return soon after `cancel` becomes true (its result is then discarded).
using WorkerObjective =
    std::function<TrialOutcome(const Lease& lease, const std::atomic<bool>& cancel)>;
// Builds the objective described by the welcome's `objective` object; throws
// std::invalid_argument for one this worker cannot or will not run (the worker then ends with
// exit code 2 before it runs anything). Called again only when the objective
// changes (a different study behind the same address).
using ObjectiveFactory = std::function<WorkerObjective(const nlohmann::json& objective)>;

struct WorkerSummary {
  int completed = 0;
  int failed = 0;
  // 0: the coordinator said done; 2: refused, by the coordinator (wrong token, protocol) or by
  // this worker (a coordinator that does not prove it knows the token, another protocol, an
  // objective the factory refuses); 3: no coordinator for give_up_after_seconds; 130: stopped.
  int exit_code = 0;
  std::string reason;
  // Seconds from sending each result or heartbeat to the coordinator's answer (`ack`, or `cancel`
  // for a heartbeat), in order: how long the coordinator kept this worker waiting
  // on messages it should answer at once. Requests, which wait for a trial, are not counted.
  std::vector<double> reply_seconds;
};

WorkerSummary run_worker(const WorkerOptions& options, const ObjectiveFactory& factory);

}  // namespace autoaug::net
