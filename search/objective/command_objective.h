#pragma once

#include <atomic>
#include <string>

#include "search/space.h"
#include "search/trial.h"

namespace autoaug::search {

struct CommandObjectiveOptions {
  // Seconds before the command's process group is killed and the trial fails; 0: no limit.
  double timeout_seconds = 0;
  // Bytes of the end of the command's stderr kept in a failed trial's message; >= 0.
  size_t stderr_tail_bytes = 2000;
  // When not null and set to true (e.g. from a SIGINT handler), running commands have their
  // process group killed within about 50 ms and their trials fail as "cancelled". Not owned.
  const std::atomic<bool>* cancel = nullptr;
};

// An objective that runs a shell command per trial (`/bin/sh -c COMMAND`).
//
// Contract with the command: the trial's parameters, one JSON object by name (Space::to_params),
// arrive on stdin (followed by a newline, then end of file) and in the environment variable
// AUTOAUG_PARAMS; AUTOAUG_TRIAL holds the trial number. The command runs in its own process
// group, killed as a whole on timeout and after the command exits. The value is the last
// non-empty line of stdout, which must be a finite number. A non-zero exit, death by a signal,
// a timeout or a last line that is not a number fails the trial with a message that ends with
// the tail of the command's stderr.
//
// Thread-safe: concurrent calls run concurrent commands. Does not change process-wide signal
// dispositions (SIGPIPE from a command that closes stdin early is absorbed in the caller's
// thread).
class CommandObjective {
 public:
  // Throws std::invalid_argument for an empty command or a negative timeout.
  CommandObjective(std::string command, Space space, CommandObjectiveOptions options = {});
  TrialResult operator()(const Trial& trial) const;

 private:
  std::string command_;
  Space space_;
  CommandObjectiveOptions options_;
};

}  // namespace autoaug::search
