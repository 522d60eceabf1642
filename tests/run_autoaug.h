#pragma once

// Runs the `autoaug` binary under test (path in AUTOAUG_BIN, set by CTest) for command-line
// tests.

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace autoaug::testing {

struct RunResult {
  int code = -1;       // exit status, -1 when killed by a signal
  std::string output;  // stdout and stderr, interleaved
};

// `args` is appended to the binary's path and run by the shell.
inline RunResult run_autoaug(const std::string& args) {
  const char* bin = std::getenv("AUTOAUG_BIN");
  if (bin == nullptr) throw std::runtime_error("AUTOAUG_BIN is not set");
  RunResult r;
  FILE* p = popen((std::string(bin) + " " + args + " 2>&1").c_str(), "r");
  if (p == nullptr) throw std::runtime_error("popen failed");
  std::array<char, 4096> buf;
  size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
  const int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace autoaug::testing
