#include "search/objective/command_objective.h"

#include <gtest/gtest.h>

#include <chrono>

namespace autoaug::search {
namespace {

Space space() {
  return Space({Dimension::real("x", -1, 1), Dimension::categorical("op", {"a", "b"})});
}

Trial trial(double x, double op) {
  Trial t;
  t.number = 3;
  t.params = {x, op};
  return t;
}

TrialResult run(const std::string& cmd, double timeout = 0) {
  CommandObjectiveOptions o;
  o.timeout_seconds = timeout;
  return CommandObjective(cmd, space(), o)(trial(0.25, 1));
}

TEST(CommandObjectiveTest, ReadsParamsFromStdinAndPrintsTheValueLast) {
  // stdin is {"op":"b","x":0.25}: print a log line, then 2x + [op == b].
  const auto r =
      run("awk '{ print \"log line\"; match($0, /\"x\":[-0-9.eE+]+/); "
          "print 2 * substr($0, RSTART + 4, RLENGTH - 4) + (index($0, \"\\\"op\\\":\\\"b\\\"\") > "
          "0) }'");
  ASSERT_TRUE(r.ok) << r.message;
  EXPECT_DOUBLE_EQ(r.value, 1.5);
}

TEST(CommandObjectiveTest, ParamsAndTrialNumberAreInTheEnvironment) {
  const auto r = run("echo \"$AUTOAUG_PARAMS\" >&2; test \"$AUTOAUG_TRIAL\" = 3 && echo 7");
  ASSERT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.value, 7);
  const auto env = run("case \"$AUTOAUG_PARAMS\" in *'\"op\":\"b\"'*) echo 1;; *) echo 0;; esac");
  EXPECT_EQ(env.value, 1);
}

TEST(CommandObjectiveTest, GarbageOnTheLastLineFailsTheTrial) {
  const auto r = run("echo 0.5; echo 'loss: nan-ish'");
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.message.find("not a finite number"), std::string::npos) << r.message;
  EXPECT_FALSE(run("echo nan").ok);
  EXPECT_FALSE(run("true").ok);
}

TEST(CommandObjectiveTest, NonZeroExitFailsWithTheStderrTail) {
  const auto r = run("echo 1.0; echo 'CUDA out of memory' >&2; exit 3");
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.message.find("exit status 3"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("CUDA out of memory"), std::string::npos) << r.message;
}

TEST(CommandObjectiveTest, CrashBySignalFailsTheTrial) {
  const auto r = run("kill -SEGV $$");
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.message.find("signal 11"), std::string::npos) << r.message;
}

TEST(CommandObjectiveTest, HangingCommandIsKilledWithItsProcessGroup) {
  const auto start = std::chrono::steady_clock::now();
  // The background child keeps stdout open: only killing the whole group ends the trial.
  const auto r = run("sleep 30 & sleep 30; echo 1", 0.3);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.message.find("timed out"), std::string::npos) << r.message;
  EXPECT_LT(seconds, 10.0);
}

TEST(CommandObjectiveTest, LeftoverBackgroundProcessDoesNotBlockTheResult) {
  const auto start = std::chrono::steady_clock::now();
  const auto r = run("sleep 30 & echo 2.5");
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.value, 2.5);
  EXPECT_LT(seconds, 10.0);
}

TEST(CommandObjectiveTest, CommandThatIgnoresStdinStillWorks) {
  const auto r = run("exec 0<&-; echo 4");
  ASSERT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.value, 4);
}

TEST(CommandObjectiveTest, CancelKillsTheRunningCommand) {
  std::atomic<bool> cancel{true};
  CommandObjectiveOptions o;
  o.cancel = &cancel;
  const auto start = std::chrono::steady_clock::now();
  const auto r = CommandObjective("sleep 30; echo 1", space(), o)(trial(0.25, 1));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.message.find("cancelled"), std::string::npos) << r.message;
  EXPECT_LT(seconds, 10.0);
}

TEST(CommandObjectiveTest, EmptyCommandIsRejected) {
  EXPECT_THROW(CommandObjective(" ", space()), std::invalid_argument);
}

}  // namespace
}  // namespace autoaug::search
