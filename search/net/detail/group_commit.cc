#include "search/net/detail/group_commit.h"

#include <spdlog/spdlog.h>

namespace autoaug::net::detail {

GroupCommit::GroupCommit(asio::io_context& io, search::StudyStore& store, Deliver deliver,
                         OnFailure on_failure)
    : io_(io), store_(store), deliver_(std::move(deliver)), on_failure_(std::move(on_failure)) {}

void GroupCommit::mutate(StoreOp op) {
  next_.ops.push_back(std::move(op));
  schedule_flush();
}

void GroupCommit::after_commit(Action action) {
  next_.actions.push_back(std::move(action));
  schedule_flush();
}

void GroupCommit::schedule_flush() {
  if (flush_scheduled_ || committing_) return;
  flush_scheduled_ = true;
  asio::post(io_, [this] { flush(); });
}

void GroupCommit::flush() {
  flush_scheduled_ = false;
  if (committing_ || (next_.ops.empty() && next_.actions.empty())) return;
  Batch batch = std::exchange(next_, Batch{});
  if (batch.ops.empty()) {  // nothing to make durable, nothing ahead of it
    deliver_(batch.actions);
    return;
  }
  committing_ = true;
  ++commits_;
  asio::post(writer_, [this, batch = std::move(batch)]() mutable {
    std::string error = apply(batch.ops);
    asio::post(io_, [this, batch = std::move(batch), error = std::move(error)]() mutable {
      committing_ = false;
      if (!error.empty()) {
        failed_ = true;
        on_failure_(error);
        return;
      }
      deliver_(batch.actions);
      flush();
    });
  });
}

std::string GroupCommit::apply(const std::vector<StoreOp>& ops) {
  try {
    search::StoreBatch batch(store_);
    for (const StoreOp& op : ops) {
      try {
        op(store_);
      } catch (const std::invalid_argument& e) {
        spdlog::error("study store refused a change: {}", e.what());
      }
    }
    batch.commit();
    return {};
  } catch (const std::exception& e) {
    return e.what();
  }
}

void GroupCommit::drain() {
  writer_.join();  // the batch in flight, if any, is committed
  if (next_.ops.empty() || failed_) return;
  const std::string error = apply(next_.ops);
  if (!error.empty()) spdlog::critical("the study store failed: {}", error);
}

}  // namespace autoaug::net::detail
