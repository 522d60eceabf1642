// End-to-end tests of `autoaug optimize`: the real binary (AUTOAUG_BIN) with real objective
// commands.

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "tests/search/test_certificate.h"

namespace {

struct Result {
  int exit_code = -1;
  std::string out, err;
};

// Per process: CTest runs the cases of this file as parallel processes sharing TempDir.
std::string temp_path(const std::string& name) {
  return ::testing::TempDir() + "/optimize_cli_" + std::to_string(::getpid()) + "_" + name;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

Result autoaug(const std::string& args) {
  const char* bin = std::getenv("AUTOAUG_BIN");
  EXPECT_NE(bin, nullptr) << "AUTOAUG_BIN is not set";
  if (!bin) return {};
  const std::string out = temp_path("cli.out"), err = temp_path("cli.err");
  const std::string cmd = std::string(bin) + " " + args + " >" + out + " 2>" + err;
  const int status = std::system(cmd.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out), slurp(err)};
}

std::string write_space(const std::string& name, const std::string& text) {
  const std::string path = temp_path(name);
  std::ofstream(path) << text;
  return path;
}

const char* kSpace = R"({"dimensions": [
  {"name": "x", "type": "real", "low": -5, "high": 5},
  {"name": "k", "type": "integer", "low": 0, "high": 9},
  {"name": "op", "type": "categorical", "choices": ["a", "b", "c"]}]})";

// (x - 1)^2 + (k - 3)^2 / 4 + [op != b], minimum 0, read from the JSON on stdin (awk starts in
// milliseconds, where an interpreter would dominate the test's time).
const char* kObjectiveScript = R"AWK(awk '
function num(key) {
  if (match($0, "\"" key "\":[-0-9.eE+]+")) return substr($0, RSTART + length(key) + 3) + 0
}
{ print (num("x") - 1) ^ 2 + (num("k") - 3) ^ 2 / 4 + (index($0, "\"op\":\"b\"") ? 0 : 1) }'
)AWK";

std::string objective() {
  const std::string path = temp_path("objective.sh");
  std::ofstream(path) << kObjectiveScript;
  return "'sh " + path + "'";
}

TEST(OptimizeCliTest, RunsASearchAndPrintsTheDocumentedJson) {
  const std::string space = write_space("space.json", kSpace);
  const Result r = autoaug("optimize --space " + space + " --objective-cmd " + objective() +
                           " --trials 30 --strategy rf-random --seed 1 --json --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j.at("trials").size(), 30u);
  std::set<int> numbers;
  for (const auto& t : j.at("trials")) {
    numbers.insert(t.at("number").get<int>());
    EXPECT_EQ(t.at("state"), "complete");
    EXPECT_TRUE(t.at("params").contains("op"));
  }
  EXPECT_EQ(numbers.size(), 30u);
  const auto& best = j.at("best");
  const double x = best.at("params").at("x"), k = best.at("params").at("k");
  const double expected =
      (x - 1) * (x - 1) + (k - 3) * (k - 3) / 4 + (best.at("params").at("op") != "b" ? 1 : 0);
  EXPECT_NEAR(best.at("value").get<double>(), expected, 1e-5);  // awk prints 6 digits
  for (const auto& t : j.at("trials")) EXPECT_GE(t.at("value").get<double>(), best.at("value"));
}

TEST(OptimizeCliTest, GpFindsTheMinimumAndMaximizeFlipsTheDirection) {
  const std::string space = write_space("space1.json",
                                        R"({"dimensions": [{"name": "x", "type": "real",
                                           "low": -5, "high": 5}]})");
  const std::string script = temp_path("peak.sh");
  std::ofstream(script) << "awk -v p=\"$AUTOAUG_PARAMS\" 'BEGIN { match(p, /\"x\":[-0-9.eE+]+/); "
                           "x = substr(p, RSTART + 4, RLENGTH - 4); print -(x - 1.5) ^ 2 }'\n";
  const std::string obj = "'sh " + script + "'";
  const Result r = autoaug("optimize --space " + space + " --objective-cmd " + obj +
                           " --trials 20 --strategy gp --maximize --json --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_NEAR(j.at("best").at("params").at("x").get<double>(), 1.5, 0.05);
}

TEST(OptimizeCliTest, MalformedSpaceFileExitsTwoNamingTheField) {
  const std::string space = write_space(
      "bad.json", R"({"dimensions": [{"name": "x", "type": "real", "low": 2, "high": 1}]})");
  const Result r = autoaug("optimize --space " + space + " --objective-cmd 'echo 1' --trials 3");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("autoaug: error:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("dimensions[0].high"), std::string::npos) << r.err;
  const Result missing =
      autoaug("optimize --space /nonexistent.json --objective-cmd 'echo 1' --trials 3");
  EXPECT_EQ(missing.exit_code, 2);
  const Result strategy = autoaug("optimize --space " + write_space("ok.json", kSpace) +
                                  " --objective-cmd 'echo 1' --trials 3 --strategy nope");
  EXPECT_EQ(strategy.exit_code, 2);
  EXPECT_NE(strategy.err.find("--strategy"), std::string::npos) << strategy.err;
}

// Trial 1 prints garbage, trial 2 crashes, trial 3 hangs past the timeout: each is a failed
// trial with its reason, and the search goes on to the end.
TEST(OptimizeCliTest, BadObjectivesFailTheirTrialsAndTheSearchGoesOn) {
  const std::string space = write_space("space2.json", kSpace);
  const std::string obj =
      "'case $AUTOAUG_TRIAL in 1) echo not-a-number;; 2) echo dying >&2; kill -KILL $$;; "
      "3) sleep 60;; *) echo $AUTOAUG_TRIAL;; esac'";
  const Result r = autoaug("optimize --space " + space + " --objective-cmd " + obj +
                           " --trials 8 --strategy random --timeout 0.5 --json --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  const auto& t = j.at("trials");
  ASSERT_EQ(t.size(), 8u);
  EXPECT_EQ(t[0].at("state"), "complete");
  for (int i = 1; i <= 3; ++i) {
    EXPECT_EQ(t[i].at("state"), "failed") << i;
    EXPECT_TRUE(t[i].at("value").is_null());
  }
  EXPECT_NE(t[1].at("message").get<std::string>().find("not a finite number"), std::string::npos);
  EXPECT_NE(t[2].at("message").get<std::string>().find("signal 9"), std::string::npos);
  EXPECT_NE(t[2].at("message").get<std::string>().find("dying"), std::string::npos);
  EXPECT_NE(t[3].at("message").get<std::string>().find("timed out"), std::string::npos);
  for (int i = 4; i < 8; ++i) EXPECT_EQ(t[i].at("state"), "complete") << i;
  EXPECT_EQ(j.at("best").at("value"), 0);
}

TEST(OptimizeCliTest, AllTrialsFailingIsAnErrorWithTheLastReason) {
  const std::string space = write_space("space3.json", kSpace);
  const Result r = autoaug("optimize --space " + space +
                           " --objective-cmd 'echo broken >&2; exit 4' --trials 3 --quiet");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("all 3 trials failed"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("broken"), std::string::npos) << r.err;
}

TEST(OptimizeCliTest, ParallelBatchRunsEveryTrialOnce) {
  const std::string space = write_space("space4.json", kSpace);
  const Result r = autoaug("optimize --space " + space + " --objective-cmd " + objective() +
                           " --trials 12 --batch 3 --strategy rf-random --json --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  std::set<std::string> params;
  for (const auto& t : j.at("trials")) params.insert(t.at("params").dump());
  EXPECT_EQ(params.size(), 12u);
}

// `bench search --plot` writes one PNG per 2-D problem and strategy (a small run).
// A stored study: run through worker processes, resumed to a larger total (the JSON then lists
// every trial of the study), served again by `serve` with a local worker, and shown.
TEST(OptimizeCliTest, StudiesResumeServeAndShow) {
  const std::string space = write_space("space_study.json", kSpace);
  const std::string dir = temp_path("optimize_study");
  std::filesystem::remove_all(dir);
  Result r = autoaug("optimize --study " + dir + " --space " + space + " --objective-cmd " +
                     objective() + " --trials 6 --workers 2 --seed 3 --json --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto first = nlohmann::json::parse(r.out);
  ASSERT_EQ(first.at("trials").size(), 6u);
  EXPECT_EQ(autoaug("optimize --study " + dir + " --space " + space + " --objective-cmd " +
                    objective() + " --trials 6")
                .exit_code,
            2);  // already a study: --resume or another directory

  r = autoaug("optimize --study " + dir + " --resume --trials 9 --workers 2 --json --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto resumed = nlohmann::json::parse(r.out);
  ASSERT_EQ(resumed.at("trials").size(), 9u);
  for (size_t i = 0; i < 6; ++i) EXPECT_EQ(resumed["trials"][i], first["trials"][i]);

  r = autoaug("serve --study " + dir + " --trials 11 --workers 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = autoaug("study show " + dir + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto shown = nlohmann::json::parse(r.out);
  EXPECT_EQ(shown.at("status"), "finished");
  EXPECT_EQ(shown.at("counts").at("complete"), 11);
  EXPECT_EQ(shown.at("kind"), "optimize");
  std::filesystem::remove_all(dir);
}

// Local workers dial the address the coordinator listens on, here a loopback address other
// than 127.0.0.1 (which a socket bound to 127.0.0.2 does not answer).
TEST(OptimizeCliTest, LocalWorkersDialTheListenAddress) {
  const std::string space = write_space("space_listen.json", kSpace);
  const std::string dir = temp_path("optimize_listen");
  const std::string token = temp_path("token");
  std::filesystem::remove_all(dir);
  std::ofstream(token) << "listen-test-token-0123456789abcdef\n";
  std::filesystem::permissions(
      token, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  const Result r = autoaug("optimize --study " + dir + " --space " + space + " --objective-cmd " +
                           objective() + " --trials 3 --workers 1 --listen 127.0.0.2:0" +
                           " --token-file " + token + " --json --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out.substr(r.out.find('{'))).at("trials").size(), 3u);
  std::filesystem::remove_all(dir);
}

// Under TLS the local workers trust exactly the coordinator's certificate and check it for the
// name it carries: here one that does not name the loopback address they dial.
TEST(OptimizeCliTest, LocalWorkersServeOverTls) {
  const std::string space = write_space("space_tls.json", kSpace);
  const std::string dir = temp_path("optimize_tls");
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir + "_certs");
  const auto cert =
      autoaug::testing::make_certificate(dir + "_certs", "head", "head-node", "DNS:head-node");
  const Result r =
      autoaug("optimize --study " + dir + " --space " + space + " --objective-cmd " + objective() +
              " --trials 4 --workers 2" + " --tls-cert " + cert.cert.string() + " --tls-key " +
              cert.key.string() + " --json --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out.substr(r.out.find('{'))).at("trials").size(), 4u);
  std::filesystem::remove_all(dir);
  std::filesystem::remove_all(dir + "_certs");
}

// Resume is replay: with one worker (so every ask sees the same history), a study stopped after
// 4 trials and resumed to 8 proposes exactly what an uninterrupted study of 8 proposed.
TEST(OptimizeCliTest, ResumedStudyProposesWhatAnUninterruptedOneDid) {
  const std::string space = write_space("space_replay.json", kSpace);
  const std::string whole = temp_path("replay_whole"), split = temp_path("replay_split");
  const std::string common = " --space " + space + " --objective-cmd " + objective() +
                             " --strategy rf-random --seed 5 --workers 1 --json --quiet";
  Result r = autoaug("optimize --study " + whole + " --trials 8" + common);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto expected = nlohmann::json::parse(r.out);
  ASSERT_EQ(autoaug("optimize --study " + split + " --trials 4" + common).exit_code, 0);
  r = autoaug("optimize --study " + split + " --resume --trials 8 --workers 1 --json --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto resumed = nlohmann::json::parse(r.out);
  ASSERT_EQ(resumed.at("trials").size(), 8u);
  for (size_t i = 0; i < 8; ++i) {
    EXPECT_EQ(resumed["trials"][i]["params"], expected["trials"][i]["params"]) << "trial " << i;
  }
  std::filesystem::remove_all(whole);
  std::filesystem::remove_all(split);
}

TEST(OptimizeCliTest, TruncatedOrForeignStudyIsAClearError) {
  const std::string space = write_space("space_trunc.json", kSpace);
  const std::string dir = temp_path("optimize_truncated");
  std::filesystem::remove_all(dir);
  ASSERT_EQ(autoaug("optimize --study " + dir + " --space " + space + " --objective-cmd " +
                    objective() + " --trials 3 --quiet")
                .exit_code,
            0);
  const std::string db = dir + "/study.db";
  std::filesystem::resize_file(db, std::filesystem::file_size(db) / 2);
  for (const std::string& args :
       {"optimize --study " + dir + " --resume", "study show " + dir, "serve --study " + dir}) {
    const Result r = autoaug(args);
    EXPECT_EQ(r.exit_code, 2) << args;
    EXPECT_NE(r.err.find(db), std::string::npos) << args << ": " << r.err;
  }
  std::ofstream(temp_path("junk.db")) << "not a database at all, just some bytes";
  std::filesystem::create_directories(temp_path("junk_study"));
  std::filesystem::copy_file(temp_path("junk.db"), temp_path("junk_study") + "/study.db",
                             std::filesystem::copy_options::overwrite_existing);
  EXPECT_EQ(autoaug("study show " + temp_path("junk_study")).exit_code, 2);
  std::filesystem::remove_all(dir);
  std::filesystem::remove_all(temp_path("junk_study"));
}

TEST(BenchSearchCliTest, PlotWritesPngsForTheTwoDimensionalProblems) {
  const std::string dir = temp_path("plots");
  const Result r = autoaug("bench search --plot " + dir +
                           " --problems peaks,hartmann6 --strategies random,rf-random"
                           " --evaluations 12 --no-regret --no-latency --no-experiment");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* name : {"peaks_random.png", "peaks_rf-random.png"}) {
    const std::string png = slurp(dir + "/" + name);
    ASSERT_GT(png.size(), 8u) << name;
    EXPECT_EQ(png.substr(1, 3), "PNG") << name;
  }
  EXPECT_TRUE(slurp(dir + "/hartmann6_random.png").empty());  // 6-D: no picture
}

TEST(BenchSearchCliTest, JsonHasTheDocumentedKeys) {
  const Result r = autoaug(
      "bench search --json --seeds 2 --evaluations 25 --problems branin --strategies "
      "random,rf-random"
      " --no-experiment");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j.at("regret").size(), 2u);  // one checkpoint (25) per strategy
  const auto& cell = j.at("regret")[0];
  for (const char* key : {"problem", "strategy", "evaluations", "median", "q25", "q75"}) {
    EXPECT_TRUE(cell.contains(key)) << key;
  }
  EXPECT_EQ(cell.at("problem"), "branin");
  ASSERT_EQ(j.at("latency").size(), 8u);  // 2 strategies x 10/50/100/200 observations
  for (const char* key : {"problem", "strategy", "observations", "suggest_ms"}) {
    EXPECT_TRUE(j.at("latency")[0].contains(key)) << key;
  }
}

}  // namespace
