#include "search/objective/command_objective.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <vector>

extern char** environ;

namespace autoaug::search {
namespace {

struct Pipe {
  int fd[2] = {-1, -1};
  Pipe() {
    if (pipe2(fd, O_CLOEXEC) != 0)
      throw std::runtime_error(std::string("pipe: ") + strerror(errno));
  }
  ~Pipe() {
    close_read();
    close_write();
  }
  void close_read() {
    if (fd[0] >= 0) close(fd[0]);
    fd[0] = -1;
  }
  void close_write() {
    if (fd[1] >= 0) close(fd[1]);
    fd[1] = -1;
  }
};

// Writes to a pipe whose reader may be gone without the process dying of SIGPIPE: the signal
// is blocked in this thread and a pending one is consumed.
ssize_t write_no_sigpipe(int fd, const char* data, size_t size) {
  sigset_t pipe_set, old;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
  const ssize_t n = write(fd, data, size);
  const int saved = errno;
  if (n < 0 && saved == EPIPE) {
    const timespec zero{0, 0};
    sigtimedwait(&pipe_set, nullptr, &zero);
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  errno = saved;
  return n;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  const auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::string last_line(const std::string& out) {
  size_t end = out.size();
  while (end > 0) {
    const size_t start = out.rfind('\n', end - 1);
    const size_t from = start == std::string::npos ? 0 : start + 1;
    std::string line = trim(out.substr(from, end - from));
    if (!line.empty()) return line;
    if (start == std::string::npos) break;
    end = start;
  }
  return {};
}

// What a finished command left: its output, how it ended, and how long it ran.
struct Finished {
  std::string out, err;  // stderr: at most a few times the tail kept
  int status = 0;
  bool timed_out = false, cancelled = false;
  double seconds = 0;
};

// Feeds `input` to the child `pid` (its own process group), collects its stdout and stderr and
// waits for it; kills the group on the timeout, on cancel, and once the child has exited (so
// that leftovers cannot hold the pipes open).
Finished supervise(pid_t pid, const std::string& input, Pipe& in, Pipe& out, Pipe& err,
                   const CommandObjectiveOptions& options) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const bool has_deadline = options.timeout_seconds > 0;
  const auto deadline =
      start + std::chrono::duration_cast<Clock::duration>(
                  std::chrono::duration<double>(has_deadline ? options.timeout_seconds : 0));
  Finished f;
  size_t written = 0;
  bool exited = false;
  char buf[4096];
  while (out.fd[0] >= 0 || err.fd[0] >= 0 || !exited) {
    if (!exited) {
      const pid_t r = waitpid(pid, &f.status, WNOHANG);
      if (r == pid) {
        exited = true;
        kill(-pid, SIGKILL);  // leftovers of the group must not keep our pipes open
      }
    }
    if (has_deadline && !f.timed_out && Clock::now() >= deadline) {
      f.timed_out = true;
      kill(-pid, SIGKILL);
    }
    if (!f.cancelled && options.cancel && options.cancel->load()) {
      f.cancelled = true;
      kill(-pid, SIGKILL);
    }
    pollfd fds[3];
    int nfds = 0;
    if (in.fd[1] >= 0) fds[nfds++] = {in.fd[1], POLLOUT, 0};
    if (out.fd[0] >= 0) fds[nfds++] = {out.fd[0], POLLIN, 0};
    if (err.fd[0] >= 0) fds[nfds++] = {err.fd[0], POLLIN, 0};
    const int ready = nfds > 0 ? poll(fds, nfds, 50) : (usleep(10000), 0);
    if (ready < 0 && errno != EINTR) break;
    for (int k = 0; k < nfds && ready > 0; ++k) {
      if (!fds[k].revents) continue;
      if (fds[k].fd == in.fd[1]) {
        const ssize_t n =
            write_no_sigpipe(in.fd[1], input.data() + written, input.size() - written);
        if (n > 0) written += static_cast<size_t>(n);
        if ((n < 0 && errno != EAGAIN) || written == input.size()) in.close_write();
        continue;
      }
      const bool is_out = fds[k].fd == out.fd[0];
      const ssize_t n = read(fds[k].fd, buf, sizeof(buf));
      if (n > 0) {
        (is_out ? f.out : f.err).append(buf, static_cast<size_t>(n));
        if (!is_out && f.err.size() > 4 * options.stderr_tail_bytes + 4096) {
          f.err.erase(0, f.err.size() - options.stderr_tail_bytes);
        }
      } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        (is_out ? out : err).close_read();
      }
    }
    if (exited && (f.timed_out || f.cancelled)) break;
  }
  if (!exited) waitpid(pid, &f.status, 0);
  f.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return f;
}

// The trial's result from how the command ended: the number on its last stdout line, or why
// there is none, with the end of its stderr.
TrialResult judge(const Finished& f, const CommandObjectiveOptions& options) {
  std::string tail = trim(f.err);
  if (tail.size() > options.stderr_tail_bytes) {
    tail = "..." + tail.substr(tail.size() - options.stderr_tail_bytes);
  }
  auto fail = [&](std::string why) {
    if (!tail.empty()) why += "; stderr: " + tail;
    return TrialResult::failed(std::move(why));
  };
  if (f.cancelled) return fail("cancelled (process group killed)");
  if (f.timed_out) {
    char msg[96];
    std::snprintf(msg, sizeof(msg), "timed out after %.3g s (process group killed)", f.seconds);
    return fail(msg);
  }
  if (WIFSIGNALED(f.status)) {
    return fail("killed by signal " + std::to_string(WTERMSIG(f.status)) + " (" +
                strsignal(WTERMSIG(f.status)) + ")");
  }
  if (WIFEXITED(f.status) && WEXITSTATUS(f.status) != 0) {
    return fail("exit status " + std::to_string(WEXITSTATUS(f.status)));
  }
  const std::string line = last_line(f.out);
  if (line.empty()) return fail("printed nothing on stdout (expected a number on the last line)");
  errno = 0;
  char* end = nullptr;
  const double value = std::strtod(line.c_str(), &end);
  if (end == line.c_str() || *end != '\0' || errno == ERANGE || !std::isfinite(value)) {
    std::string shown = line.size() > 80 ? line.substr(0, 80) + "..." : line;
    return fail("last line of stdout is not a finite number: \"" + shown + "\"");
  }
  return TrialResult::complete(value);
}

}  // namespace

CommandObjective::CommandObjective(std::string command, Space space,
                                   CommandObjectiveOptions options)
    : command_(std::move(command)), space_(std::move(space)), options_(options) {
  if (trim(command_).empty()) throw std::invalid_argument("objective-cmd: must not be empty");
  if (!(options_.timeout_seconds >= 0)) throw std::invalid_argument("timeout: must be >= 0");
}

TrialResult CommandObjective::operator()(const Trial& trial) const {
  const std::string params = space_.to_params(trial.params).dump();
  // Everything the child needs is built before fork: only async-signal-safe calls follow it.
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) {
    if (std::strncmp(*e, "AUTOAUG_PARAMS=", 15) != 0 &&
        std::strncmp(*e, "AUTOAUG_TRIAL=", 14) != 0) {
      env_strings.emplace_back(*e);
    }
  }
  env_strings.push_back("AUTOAUG_PARAMS=" + params);
  env_strings.push_back("AUTOAUG_TRIAL=" + std::to_string(trial.number));
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string sh = "sh", dash_c = "-c", cmd = command_;
  char* argv[] = {sh.data(), dash_c.data(), cmd.data(), nullptr};

  Pipe in, out, err;
  const pid_t pid = fork();
  if (pid < 0) return TrialResult::failed(std::string("fork failed: ") + strerror(errno));
  if (pid == 0) {
    setpgid(0, 0);
    dup2(in.fd[0], 0);
    dup2(out.fd[1], 1);
    dup2(err.fd[1], 2);
    execve("/bin/sh", argv, envp.data());
    _exit(127);
  }
  setpgid(pid, pid);
  in.close_read();
  out.close_write();
  err.close_write();
  fcntl(in.fd[1], F_SETFL, O_NONBLOCK);
  return judge(supervise(pid, params + "\n", in, out, err, options_), options_);
}

}  // namespace autoaug::search
