#pragma once

// The coordinator: one study, one SQLite store, many asynchronous workers over TCP.
//
// It owns the study's lifecycle on one thread (one io_context): workers connect, authenticate
// mutually with it (challenge-response HMAC-SHA256 over a shared token, both ways; every later
// frame in either direction is sealed with a per-connection key, auth.h), ask for trials,
// heartbeat while they run them and report results. The strategy proposes each new trial with
// every leased trial pending (constant liar), so workers never duplicate each other. Every state
// change goes to the store; changes made in one turn of the event loop share one transaction
// (group commit) and every reply that depends on them (a lease, an acknowledged result) is sent
// only after that commit, so whatever a worker was told is durable.
//
// Leases: a lease lasts `lease_seconds` from the last heartbeat. A lease that expires, or whose
// connection closes, re-queues the trial with the same parameters; after `max_attempts` lost
// leases the trial is marked failed. A result for a trial whose lease was lost is still accepted
// while the trial is not finished (the work is valid); any newer lease of it is cancelled. When
// the study finishes, the trials still leased are queued again and every later result or
// failure is acknowledged as ignored.
//
// Hostile clients: frames over `max_frame` bytes, malformed JSON, unknown messages, anything
// before authentication, a wrong HMAC, or a frame after it whose seal does not open (forged,
// replayed or reordered) closes that connection (with an `error` frame where possible) and
// nothing else. Unauthenticated connections get `auth_timeout_seconds`; idle authenticated ones
// (no lease, no parked request) `idle_timeout_seconds`; a client that stops reading is dropped
// once `max_pending_write` bytes wait for it; beyond `max_connections` new connections are closed
// at once. Each rejection is logged once, per connection.
//
// TLS (optional, tls_cert_file and tls_key_file): every connection is TLS from its first byte; a
// handshake that fails or does not end within `auth_timeout_seconds` closes the connection.
//
// Resume: constructing a coordinator over a store that already holds trials restores the study
// from them (the strategy is a function of seed and history) and re-queues the trials that were
// running when the previous process stopped.

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "search/study.h"

namespace autoaug::search {
class StudyStore;
}

namespace autoaug::net {

struct CoordinatorOptions {
  std::string host = "127.0.0.1";  // address to listen on
  int port = 0;                    // 0: any free port (see Coordinator::port())
  std::string token;               // the shared secret; at least 16 characters
  int target_complete = 0;         // the study ends when this many trials are complete
  int max_failed = -1;             // ... or when this many have failed (-1: target_complete)
  double lease_seconds = 60;       // a lease without heartbeats for this long is re-queued
  double heartbeat_seconds = 5;    // how often workers heartbeat (sent in the welcome)
  int max_attempts = 3;            // lost leases before a trial is marked failed
  double auth_timeout_seconds = 5;
  double idle_timeout_seconds = 300;
  std::uint32_t max_frame = 1u << 20;
  std::size_t max_pending_write = 4u << 20;
  int max_connections = 256;
  std::uint64_t seed = 0;  // leases carry seed ^ random::mix64(trial number)
  // TLS (search/net/tls.h): the PEM certificate chain and private key presented to workers;
  // both empty: plain TCP.
  std::string tls_cert_file;
  std::string tls_key_file;
};

// What the study looks like after a finished or stopped run.
struct CoordinatorSummary {
  int complete = 0;
  int failed = 0;
  int queued = 0;             // never leased, or re-queued (a lost lease, the study finished)
  int running = 0;            // leased when stopped; re-queued by the next resume
  bool finished = false;      // the target was reached (or the space exhausted, or too many failed)
  std::uint64_t commits = 0;  // store transactions (group commits) this run made
  std::uint64_t refused = 0;  // connections closed at once: over max_connections (or its quarter
                              // for unauthenticated ones)
  std::string reason;         // why it ended
};

class Coordinator {
 public:
  // Called on the coordinator's thread after each trial's final state is committed.
  using TrialCallback = std::function<void(const search::Study&, const search::Trial&,
                                           const nlohmann::json& metrics)>;

  // `study` must be empty; it is restored from `store`. `objective` is sent to every worker in
  // the welcome (see search/net/PROTOCOL.md). Binds the listening socket (throws
  // std::runtime_error naming the address when it cannot).
  Coordinator(search::Study& study, search::StudyStore& store, nlohmann::json objective,
              CoordinatorOptions options);
  ~Coordinator();
  Coordinator(const Coordinator&) = delete;
  Coordinator& operator=(const Coordinator&) = delete;

  // The bound port (useful with port 0).
  int port() const;
  void on_trial_finished(TrialCallback callback);
  // Serves until the study is finished or stop() is called; then says `done` to the workers,
  // commits and returns.
  CoordinatorSummary run();
  // Thread- and signal-handler-safe request to stop run() soon; running trials stay `running` in
  // the store and are re-queued by the next resume.
  void stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace autoaug::net
