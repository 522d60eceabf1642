// autoaug search, export and report through the real binary (AUTOAUG_BIN), on a budget of
// seconds: a tiny CNN, three epochs, a few hundred Fashion-MNIST images.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>

#include "augment/policy_json.h"
#include "search/store/study_store.h"
#include "tests/run_autoaug.h"

namespace autoaug::tools {
namespace {

namespace fs = std::filesystem;

using autoaug::testing::run_autoaug;
using Result = autoaug::testing::RunResult;

// The study's trials as stored, read-only (as `study show` reads them while a search runs).
std::vector<search::StoredTrial> stored_trials(const fs::path& dir) {
  return search::StudyStore::open((dir / "study.db").string(), /*read_only=*/true).trials();
}

int complete_trials(const fs::path& dir) {
  if (!fs::exists(dir / "study.db")) return 0;
  int n = 0;
  for (const auto& t : stored_trials(dir)) n += t.state == search::StoredState::kComplete;
  return n;
}

// Starts `autoaug ARGS` (AUTOAUG_BIN, or the binary `bin`) with its output in `log`; returns the
// pid.
pid_t spawn_autoaug(const std::vector<std::string>& args, const fs::path& log,
                    const char* bin = std::getenv("AUTOAUG_BIN")) {
  const pid_t pid = fork();
  if (pid == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    std::vector<char*> argv = {const_cast<char*>(bin)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(bin, argv.data());
    _exit(127);
  }
  return pid;
}

// Waits (up to two minutes) until the study at `dir` has `n` complete trials.
bool wait_for_complete(const fs::path& dir, int n, pid_t pid) {
  for (int i = 0; i < 1200; ++i) {
    try {
      if (complete_trials(dir) >= n) return true;
    } catch (const std::invalid_argument&) {  // being created
    }
    if (waitpid(pid, nullptr, WNOHANG) == pid) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

const char* kBudget =
    " --data fashion-mnist --model tinycnn --epochs 3 --train-size 300 --val-size 200"
    " --batch-size 50 --threads 1 --subpolicies 2";

TEST(PolicySearch, SearchesResumesExportsAndReports) {
  const fs::path dir = fs::path(::testing::TempDir()) / "policy_search_study";
  fs::remove_all(dir);
  Result r = run_autoaug("search --study " + dir.string() + " --trials 3" + kBudget);
  ASSERT_EQ(r.code, 0) << r.output;
  const std::vector<search::StoredTrial> first = stored_trials(dir);
  ASSERT_EQ(first.size(), 3u) << r.output;
  EXPECT_NE(r.output.find("baseline"), std::string::npos);

  // A second run on the same directory must say --resume; with it, the study grows to 5 trials
  // and the stored ones are untouched.
  EXPECT_EQ(run_autoaug("search --study " + dir.string() + " --trials 3" + kBudget).code, 2);
  r = run_autoaug("search --study " + dir.string() +
                  " --resume --trials 5 --workers 2 --threads 2");
  ASSERT_EQ(r.code, 0) << r.output;
  // The objective, which carries the budget to remote workers, has the new thread count.
  EXPECT_EQ(search::StudyStore::open((dir / "study.db").string(), true)
                .config()["objective"]["train"]["threads"],
            2);
  const std::vector<search::StoredTrial> all = stored_trials(dir);
  ASSERT_EQ(all.size(), 5u);
  for (size_t i = 0; i < first.size(); ++i) {
    EXPECT_EQ(all[i].params, first[i].params);
    EXPECT_EQ(all[i].value, first[i].value);
  }
  EXPECT_NE(r.output.find("resumed: 3 trials already finished"), std::string::npos) << r.output;
  // The grown search is re-scored anew; the re-scoring of its first 3 trials is kept beside it.
  EXPECT_TRUE(fs::exists(dir / "rescore-after-3" / "study.db"));
  EXPECT_EQ(search::StudyStore::open((dir / "rescore" / "study.db").string(), true)
                .config()["after_trials"],
            5);
  // The same study asked with another budget is refused, naming the difference.
  r = run_autoaug("search --study " + dir.string() + " --resume --epochs 2");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find("training.epochs: 3 in the study, 2 requested"), std::string::npos)
      << r.output;

  const augment::Policy best = augment::read_policy_file((dir / "best_policy.json").string());
  EXPECT_EQ(best.subpolicies.size(), 2u);
  ASSERT_TRUE(best.provenance.score.has_value());

  const fs::path exported = dir / "exported.json";
  ASSERT_EQ(run_autoaug("export --study " + dir.string() + " --top 2 -o " + exported.string()).code,
            0);
  EXPECT_EQ(augment::read_policy_file(exported.string()).subpolicies.size(), 4u);
  ASSERT_EQ(
      run_autoaug("export --study " + dir.string() + " --format cpp -o " + (dir / "p.h").string())
          .code,
      0);

  r = run_autoaug("report --study " + dir.string());
  ASSERT_EQ(r.code, 0) << r.output;
  std::ifstream html(dir / "report.html");
  std::stringstream text;
  text << html.rdbuf();
  EXPECT_NE(text.str().find("<svg"), std::string::npos);
  EXPECT_NE(text.str().find("data:image/png;base64,"), std::string::npos);
}

// The RandAugment space: each trial is a number of ops and a bin; the best policy file is that
// RandAugment policy and the report names it by its numbers. The first trials of search seed 0
// apply 3 ops (2,744 sub-policies, about 0.4 MB as JSON): their re-scoring jobs must not carry
// four copies of them to the workers in one frame.
TEST(PolicySearch, SearchesTheRandAugmentSpace) {
  const fs::path dir = fs::path(::testing::TempDir()) / "policy_search_randaugment";
  fs::remove_all(dir);
  Result r =
      run_autoaug("search --study " + dir.string() +
                  " --space randaugment --trials 3 --rescore-top 2 --rescore-seeds 2" + kBudget);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("(6 of 6 trainings done)"), std::string::npos) << r.output;
  const augment::Policy best = augment::read_policy_file((dir / "best_policy.json").string());
  const int best_trial = best.provenance.trial.value_or(-1);
  ASSERT_GE(best_trial, 0);
  const nlohmann::json params = stored_trials(dir).at(best_trial).params;
  const int num_ops = params.at("num_ops");
  const int bin = params.at("magnitude");
  std::size_t expected = 1;
  for (int i = 0; i < num_ops; ++i) expected *= 14;
  ASSERT_EQ(best.subpolicies.size(), expected);
  for (const augment::SubPolicy& sub : best.subpolicies) {
    ASSERT_EQ(sub.size(), static_cast<std::size_t>(num_ops));
    for (const augment::Step& s : sub) EXPECT_EQ(s.prob, 1.0);
  }
  EXPECT_EQ(best.subpolicies.back().front().op, "Equalize");  // RandAugment's last op
  EXPECT_EQ(best.subpolicies[1].front(), (augment::Step{"ShearX", 1.0, bin}));

  ASSERT_EQ(run_autoaug("report --study " + dir.string()).code, 0);
  std::ifstream html(dir / "report.html");
  std::stringstream text;
  text << html.rdbuf();
  EXPECT_NE(text.str().find("RandAugment: "), std::string::npos);
  EXPECT_EQ(text.str().find("<th>sub-policy</th>"), std::string::npos);
}

// Ctrl-C, then SIGKILL, in the middle of a search with two workers: each time --resume finishes
// the study, and what was complete before is still there, unchanged.
TEST(PolicySearch, InterruptedSearchesResumeWithNothingLost) {
  const fs::path dir = fs::path(::testing::TempDir()) / "interrupted_study";
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::vector<std::string> args = {"search",    "--study", (dir / "s").string(), "--trials", "8",
                                   "--workers", "2"};
  std::istringstream budget(kBudget);
  for (std::string word; budget >> word;) args.push_back(word);
  for (const int signal : {SIGINT, SIGKILL}) {
    const int before = complete_trials(dir / "s");
    const pid_t pid = spawn_autoaug(args, dir / "log");
    ASSERT_TRUE(wait_for_complete(dir / "s", before + 1, pid));
    const std::vector<search::StoredTrial> stored = stored_trials(dir / "s");
    kill(pid, signal);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    if (signal == SIGINT) {
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 130) << status;
      std::ifstream log(dir / "log");
      std::stringstream text;
      text << log.rdbuf();
      EXPECT_NE(text.str().find("--resume"), std::string::npos) << text.str();
    }
    args = {"search", "--study", (dir / "s").string(), "--resume", "--workers", "2"};
    const std::vector<search::StoredTrial> after = stored_trials(dir / "s");
    for (const auto& t : stored) {
      if (t.state == search::StoredState::kComplete) {
        EXPECT_EQ(after[t.number].value, t.value);
        EXPECT_EQ(after[t.number].params, t.params);
      }
    }
  }
  const Result r = run_autoaug("search --study " + (dir / "s").string() + " --resume");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(complete_trials(dir / "s"), 8);
}

// SIGKILL while the top trials are re-scored: --resume finishes the re-scoring with the trainings
// done before the kill unchanged, and export and best_policy.json take the candidate with the
// best re-scored mean, not the best single-seed score.
TEST(PolicySearch, RescoringResumesAfterAKillAndExportTakesItsChoice) {
  const fs::path dir = fs::path(::testing::TempDir()) / "rescored_study";
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::vector<std::string> args = {
      "search", (dir / "s").string(), "--trials", "3",         "--rescore-top",
      "2",      "--rescore-seeds",    "3",        "--workers", "2"};
  args.insert(args.begin() + 1, "--study");
  std::istringstream budget(kBudget);
  for (std::string word; budget >> word;) args.push_back(word);
  const pid_t pid = spawn_autoaug(args, dir / "log");
  ASSERT_TRUE(wait_for_complete(dir / "s" / "rescore", 1, pid));
  kill(pid, SIGKILL);
  ASSERT_EQ(waitpid(pid, nullptr, 0), pid);
  const std::vector<search::StoredTrial> before = stored_trials(dir / "s" / "rescore");
  ASSERT_LT(complete_trials(dir / "s" / "rescore"), 9);

  const Result r = run_autoaug("search --study " + (dir / "s").string() + " --resume");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("Re-scored with 3 fresh seeds (9 of 9 trainings done)"),
            std::string::npos)
      << r.output;
  const std::vector<search::StoredTrial> after = stored_trials(dir / "s" / "rescore");
  ASSERT_EQ(after.size(), 9u);
  for (const auto& t : before) {
    if (t.state != search::StoredState::kComplete) continue;
    EXPECT_EQ(after[t.number].value, t.value);
    EXPECT_EQ(after[t.number].params, t.params);
  }
  // The choice by hand: the non-baseline candidate with the best mean over its three seeds.
  const nlohmann::json config =
      search::StudyStore::open((dir / "s" / "rescore" / "study.db").string(), true).config();
  std::vector<double> sums(config["candidates"].size(), 0.0);
  for (const auto& t : after) {
    ASSERT_EQ(t.state, search::StoredState::kComplete);
    const auto& job = config["jobs"][std::stoul(t.params["job"].get<std::string>())];
    sums[job["candidate"].get<std::size_t>()] += t.value;
  }
  std::size_t chosen = 1;
  for (std::size_t c = 2; c < sums.size(); ++c) chosen = sums[c] > sums[chosen] ? c : chosen;
  const int trial = config["candidates"][chosen]["trial"];
  const fs::path exported = dir / "exported.json";
  ASSERT_EQ(run_autoaug("export --study " + (dir / "s").string() + " -o " + exported.string()).code,
            0);
  for (const fs::path& file : {exported, dir / "s" / "best_policy.json"}) {
    const augment::Policy p = augment::read_policy_file(file.string());
    EXPECT_EQ(p.provenance.trial, trial) << file;
    ASSERT_TRUE(p.provenance.score.has_value());
    EXPECT_NEAR(*p.provenance.score, sums[chosen] / 3, 1e-9) << file;
  }
}

// The binary is deleted (a rebuild, an upgrade) while the search runs: the re-scoring's local
// workers, started after that, still run, from the coordinator's own binary.
TEST(PolicySearch, WorkersStartedAfterTheBinaryIsReplacedStillRun) {
  const fs::path dir = fs::path(::testing::TempDir()) / "replaced_binary";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path bin = dir / "autoaug";
  fs::copy_file(std::getenv("AUTOAUG_BIN"), bin);
  std::vector<std::string> args = {
      "search",          "--study", (dir / "s").string(), "--trials", "2", "--rescore-top", "1",
      "--rescore-seeds", "1",       "--workers",          "1"};
  std::istringstream budget(kBudget);
  for (std::string word; budget >> word;) args.push_back(word);
  const pid_t pid = spawn_autoaug(args, dir / "log", bin.c_str());
  ASSERT_TRUE(wait_for_complete(dir / "s", 1, pid));
  fs::remove(bin);
  int status = -1;
  for (int i = 0; i < 1200 && waitpid(pid, &status, WNOHANG) == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (status == -1) kill(pid, SIGKILL);
  std::ifstream log(dir / "log");
  std::stringstream text;
  text << log.rdbuf();
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << "\n" << text.str();
  EXPECT_EQ(complete_trials(dir / "s" / "rescore"), 2) << text.str();
}

// Ctrl-C while the baseline trains (in the search process itself) stops it at the next step:
// exit 130 and no study written. Before, the baseline and then every trial ran to the end.
TEST(PolicySearch, InterruptDuringTheBaselineStopsIt) {
  const fs::path dir = fs::path(::testing::TempDir()) / "baseline_interrupt";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const pid_t pid =
      spawn_autoaug({"search", "--study", (dir / "s").string(), "--model", "mobilenetv2",
                     "--epochs", "1000", "--train-size", "500", "--threads", "1", "--trials", "2"},
                    dir / "log");
  bool started = false;
  for (int i = 0; i < 1200 && !started; ++i) {
    std::ifstream log(dir / "log");
    std::stringstream text;
    text << log.rdbuf();
    started = text.str().find("trial baseline") != std::string::npos;
    if (!started) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(started);
  kill(pid, SIGINT);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 130) << status;
  EXPECT_FALSE(fs::exists(dir / "s" / "study.db"));
}

// A budget that trains nothing (the baseline near chance) is refused before anything is written.
TEST(PolicySearch, BaselineNearChanceIsRefused) {
  const fs::path dir = fs::path(::testing::TempDir()) / "chance_study";
  fs::remove_all(dir);
  const Result r = run_autoaug("search --study " + dir.string() +
                               " --model tinycnn --epochs 1 --train-size 100 --val-size 200"
                               " --batch-size 100 --threads 1 --lr 1e-6");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("chance level for 10 classes"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir / "study.db"));
}

TEST(PolicySearch, BadConfigsAreInputErrors) {
  const fs::path dir = fs::path(::testing::TempDir()) / "bad_config";
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "search.yaml") << "training:\n  epoch: 3\n";
  Result r = run_autoaug("search --study " + (dir / "s").string() + " --config " +
                         (dir / "search.yaml").string());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find("unknown key 'training.epoch'"), std::string::npos) << r.output;
  r = run_autoaug("search --study " + (dir / "s").string() + " --data no-such-data");
  EXPECT_EQ(r.code, 2);
  // The command line's worker settings are checked together as the file's are.
  r = run_autoaug("search --study " + (dir / "s").string() + " --heartbeat-seconds 90");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find("is not less than workers.lease_seconds"), std::string::npos) << r.output;
  r = run_autoaug("search --study " + (dir / "s").string() + " --strategy annealing");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find("--strategy"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir / "s" / "study.db"));
}

TEST(PolicySearch, BadStudiesAreInputErrors) {
  const fs::path dir = fs::path(::testing::TempDir()) / "not_a_study";
  fs::create_directories(dir);
  EXPECT_EQ(run_autoaug("search --study " + dir.string() + " --resume").code, 2);
  EXPECT_EQ(run_autoaug("report --study " + dir.string()).code, 2);
  EXPECT_EQ(run_autoaug("export --study " + dir.string() + " -o x.json").code, 2);
  EXPECT_EQ(run_autoaug("search --study " + (dir / "s").string() + " --ops Rotate,Blur").code, 2);
}

}  // namespace
}  // namespace autoaug::tools
