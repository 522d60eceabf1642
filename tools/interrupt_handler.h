#pragma once

// SIGINT and SIGTERM routed to one handler for a scope: the commands that stop cleanly on Ctrl-C
// (search, optimize, the coordinator) install theirs around the work and restore the previous
// ones after it.

#include <signal.h>

namespace autoaug::tools {

// Installs `handler` (which must be async-signal-safe) for SIGINT and SIGTERM; the destructor
// restores the handlers that were there before. Not copyable.
class ScopedInterruptHandler {
 public:
  explicit ScopedInterruptHandler(void (*handler)(int)) {
    struct sigaction action {};
    action.sa_handler = handler;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &old_int_);
    sigaction(SIGTERM, &action, &old_term_);
  }
  ~ScopedInterruptHandler() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }
  ScopedInterruptHandler(const ScopedInterruptHandler&) = delete;
  ScopedInterruptHandler& operator=(const ScopedInterruptHandler&) = delete;

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

}  // namespace autoaug::tools
