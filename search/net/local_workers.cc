#include "search/net/local_workers.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <utility>

extern char** environ;

namespace autoaug::net {

LocalWorkers::LocalWorkers(std::vector<std::vector<std::string>> commands, std::string token,
                           int max_restarts, std::function<void()> on_all_failed)
    : token_(std::move(token)),
      max_restarts_(max_restarts),
      on_all_failed_(std::move(on_all_failed)),
      slot_count_(commands.size()) {
  for (std::size_t i = 0; i < commands.size(); ++i) {
    slots_.emplace_back(
        [this, i, command = std::move(commands[i])] { supervise(static_cast<int>(i), command); });
  }
}

LocalWorkers::~LocalWorkers() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    for (pid_t pid : pids_) kill(pid, SIGTERM);
  }
  wait();
}

void LocalWorkers::wait() {
  for (auto& t : slots_) {
    if (t.joinable()) t.join();
  }
}

void LocalWorkers::supervise(int slot, const std::vector<std::string>& command) {
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::string(*e).rfind("AUTOAUG_TOKEN=", 0) != 0) env_strings.emplace_back(*e);
  }
  env_strings.push_back("AUTOAUG_TOKEN=" + token_);
  std::vector<char*> argv, envp;
  for (const auto& a : command) argv.push_back(const_cast<char*>(a.c_str()));
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
        std::fprintf(stderr, "autoaug: cannot start local worker %d\n", slot);
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
    if (restarts >= max_restarts_) {
      std::fprintf(stderr, "autoaug: local worker %d %s; not restarting it again\n", slot,
                   how.c_str());
      if (++failed_slots_ == slot_count_ && on_all_failed_) on_all_failed_();
      return;
    }
    std::fprintf(stderr, "autoaug: local worker %d %s; restarting it\n", slot, how.c_str());
  }
}

}  // namespace autoaug::net
