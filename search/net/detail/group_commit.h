#pragma once

// Group commit for the coordinator (internal to search/net).
//
// Store changes and the actions that depend on them (replies to workers, trial callbacks)
// collect in the next batch. A flush hands the batch to the writer thread, which applies it in
// one transaction (one fsync); the actions run on the io thread once it is durable. While the
// writer commits, the next batch fills, so batches grow with the load. Only one batch is with
// the writer at a time, which keeps every connection's replies in order.

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "search/net/asio.h"  // first: Boost 1.74's awaitable.hpp needs <utility>
#include "search/store/study_store.h"

namespace autoaug::net::detail {

class GroupCommit {
 public:
  using StoreOp = std::function<void(search::StudyStore&)>;
  using Action = std::function<void()>;
  // Runs a committed batch's actions, in order, on the io thread.
  using Deliver = std::function<void(std::vector<Action>&)>;
  // Called on the io thread when a commit failed (the batch's actions never run).
  using OnFailure = std::function<void(const std::string& error)>;

  // `io` runs the flushes and the actions; `store` is written only by the writer thread (and by
  // drain(), after it has stopped).
  GroupCommit(asio::io_context& io, search::StudyStore& store, Deliver deliver,
              OnFailure on_failure);

  // `op` joins the next batch.
  void mutate(StoreOp op);
  // `action` runs once everything queued before it is committed.
  void after_commit(Action action);
  // Transactions committed (or handed to the writer) so far.
  std::uint64_t commits() const { return commits_; }

  // After the io loop has stopped: waits for the batch with the writer, then commits what is
  // left of the next batch's store changes (their actions are dropped) unless a commit failed.
  void drain();

 private:
  struct Batch {
    std::vector<StoreOp> ops;
    std::vector<Action> actions;
  };

  void schedule_flush();
  void flush();
  // Applies `ops` in one transaction. A rejected transition is a bug in the coordinator:
  // logged, and the rest of the batch goes on. Returns why the commit failed, or "".
  std::string apply(const std::vector<StoreOp>& ops);

  asio::io_context& io_;
  search::StudyStore& store_;
  Deliver deliver_;
  OnFailure on_failure_;
  Batch next_;
  bool flush_scheduled_ = false;
  bool committing_ = false;
  bool failed_ = false;
  std::uint64_t commits_ = 0;
  asio::thread_pool writer_{1};
};

}  // namespace autoaug::net::detail
