// Local worker processes (search/net/local_workers.h) and the addresses they dial
// (search/net/address.h), with real processes: /bin/sh scripts that record their runs.

#include "search/net/local_workers.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include "search/net/address.h"

namespace autoaug::net {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

fs::path fresh_dir(const std::string& name) {
  const fs::path dir = fs::path(::testing::TempDir()) / (name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

TEST(Address, ParsesHostsPortsAndBracketedIpv6) {
  EXPECT_EQ(parse_host_port("10.0.0.5:7300", "--listen"),
            (std::pair<std::string, int>{"10.0.0.5", 7300}));
  EXPECT_EQ(parse_host_port("[::1]:0", "--listen"), (std::pair<std::string, int>{"::1", 0}));
  EXPECT_EQ(parse_host_port("node-3:65535", "--connect"),
            (std::pair<std::string, int>{"node-3", 65535}));
  for (const char* bad : {"7300", ":7300", "host:", "host:70000", "host:12x", "host:-1"}) {
    try {
      parse_host_port(bad, "--connect");
      ADD_FAILURE() << bad << " was accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_EQ(std::string(e.what()).rfind("--connect: ", 0), 0u) << e.what();
    }
  }
}

TEST(Address, LocalProcessesDialTheHostOrLoopbackForAWildcard) {
  EXPECT_EQ(local_dial_address("10.0.0.5", 7300), "10.0.0.5:7300");
  EXPECT_EQ(local_dial_address("127.0.0.2", 1), "127.0.0.2:1");
  EXPECT_EQ(local_dial_address("0.0.0.0", 7300), "127.0.0.1:7300");
  EXPECT_EQ(local_dial_address("::", 7300), "[::1]:7300");
  EXPECT_EQ(local_dial_address("fe80::1", 7300), "[fe80::1]:7300");
  // What it prints, parse_host_port reads back.
  EXPECT_EQ(parse_host_port(local_dial_address("::", 9), "x"),
            (std::pair<std::string, int>{"::1", 9}));
}

// A worker that fails is started again up to the limit; one that exits 0 is not. Each gets the
// token in its environment.
TEST(LocalWorkers, RestartFailuresUpToTheLimitPassTheTokenAndSayWhenAllFailed) {
  const fs::path dir = fresh_dir("local_workers");
  const std::string failing =
      "echo \"$AUTOAUG_TOKEN\" >> " + (dir / "failing").string() + "; exit 3";
  const std::string done = "echo \"$AUTOAUG_TOKEN\" >> " + (dir / "done").string();
  int all_failed = 0;
  {
    LocalWorkers workers({{"/bin/sh", "-c", failing}, {"/bin/sh", "-c", done}}, "secret-1", 2,
                         [&] { ++all_failed; });
    workers.wait();
  }
  EXPECT_EQ(slurp(dir / "failing"), "secret-1\nsecret-1\nsecret-1\n");  // 1 run + 2 restarts
  EXPECT_EQ(slurp(dir / "done"), "secret-1\n");
  EXPECT_EQ(all_failed, 0);  // one slot finished its work
  {
    LocalWorkers workers({{"/bin/sh", "-c", "exit 1"}, {"/bin/false"}}, "t", 1,
                         [&] { ++all_failed; });
    workers.wait();
  }
  EXPECT_EQ(all_failed, 1);  // once, when the last slot gave up
  fs::remove_all(dir);
}

// The destructor stops workers that are still running (SIGTERM) instead of waiting for them:
// the worker reports its pid through a FIFO, then sleeps far past the test's timeout.
TEST(LocalWorkers, DestructorStopsRunningWorkers) {
  const fs::path dir = fresh_dir("local_workers_stop");
  const fs::path fifo = dir / "pid";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  pid_t pid = 0;
  {
    LocalWorkers workers({{"/bin/sh", "-c", "echo $$ > " + fifo.string() + "; exec sleep 600"}},
                         "t", 3);
    std::ifstream(fifo) >> pid;  // blocks until the worker has started
    ASSERT_GT(pid, 0);
    EXPECT_EQ(kill(pid, 0), 0);
  }
  EXPECT_EQ(kill(pid, 0), -1);  // reaped: no such process
  EXPECT_EQ(errno, ESRCH);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace autoaug::net
