// autoaug search, export and report through the real binary (AUTOAUG_BIN), on a budget of
// seconds: a tiny CNN, one epoch, a few hundred Fashion-MNIST images.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "augment/policy_json.h"
#include "tests/run_autoaug.h"

namespace autoaug::tools {
namespace {

namespace fs = std::filesystem;

using autoaug::testing::run_autoaug;
using Result = autoaug::testing::RunResult;

std::vector<nlohmann::json> trial_lines(const fs::path& dir) {
  std::vector<nlohmann::json> out;
  std::ifstream in(dir / "trials.jsonl");
  std::string line;
  while (std::getline(in, line)) out.push_back(nlohmann::json::parse(line));
  return out;
}

const char* kBudget =
    " --data fashion-mnist --model tinycnn --epochs 1 --train-size 300 --val-size 200"
    " --batch-size 50 --threads 1 --subpolicies 2";

TEST(PolicySearch, SearchesResumesExportsAndReports) {
  const fs::path dir = fs::path(::testing::TempDir()) / "policy_search_study";
  fs::remove_all(dir);
  Result r = run_autoaug("search --study " + dir.string() + " --trials 3" + kBudget);
  ASSERT_EQ(r.code, 0) << r.output;
  std::vector<nlohmann::json> first = trial_lines(dir);
  ASSERT_EQ(first.size(), 3u) << r.output;
  EXPECT_NE(r.output.find("baseline"), std::string::npos);

  // A second run on the same directory must say --resume; with it, the study grows to 5 trials
  // and the stored ones are untouched.
  EXPECT_EQ(run_autoaug("search --study " + dir.string() + " --trials 3" + kBudget).code, 2);
  r = run_autoaug("search --study " + dir.string() + " --resume --trials 5");
  ASSERT_EQ(r.code, 0) << r.output;
  const std::vector<nlohmann::json> all = trial_lines(dir);
  ASSERT_EQ(all.size(), 5u);
  for (size_t i = 0; i < first.size(); ++i) EXPECT_EQ(all[i], first[i]);
  EXPECT_NE(r.output.find("3 trials replayed"), std::string::npos) << r.output;

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
