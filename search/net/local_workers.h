#pragma once

// Worker processes on this machine, supervised: each slot's thread starts its process, waits for
// it and starts it again if it dies before the work is done, a bounded number of times. A process
// gets SIGTERM when the thread that started it ends (PR_SET_PDEATHSIG), so none outlives this
// one. The coordinator's local workers (`--workers N`) run this way.

#include <sys/types.h>

#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace autoaug::net {

class LocalWorkers {
 public:
  // Starts one process per entry of `commands` (an argv whose first element is the executable's
  // path), each with this process's environment and AUTOAUG_TOKEN=`token`, so the token never
  // shows on a command line. A process that exits 0 is done; one that fails or is killed is
  // started again up to `max_restarts` times, each logged on stderr. `on_all_failed`, when
  // given, is called once every slot has failed past its restarts (nobody is left to do the
  // work), from a supervising thread holding this object's lock: it must not call back into it.
  LocalWorkers(std::vector<std::vector<std::string>> commands, std::string token,
               int max_restarts = 3, std::function<void()> on_all_failed = {});
  // Stops every process still running (SIGTERM) and waits for them.
  ~LocalWorkers();
  LocalWorkers(const LocalWorkers&) = delete;
  LocalWorkers& operator=(const LocalWorkers&) = delete;

  // Waits until every slot is done: its process exited 0, or failed past its restarts.
  void wait();

 private:
  void supervise(int slot, const std::vector<std::string>& command);

  std::string token_;
  int max_restarts_;
  std::function<void()> on_all_failed_;
  const std::size_t slot_count_;
  std::size_t failed_slots_ = 0;  // guarded by mutex_
  std::mutex mutex_;
  bool stopping_ = false;
  std::vector<pid_t> pids_;
  std::vector<std::thread> slots_;
};

}  // namespace autoaug::net
