// `autoaug train` and `autoaug evaluate` end to end, on a small IDX data set the test writes.

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

namespace {

struct CliRun {
  int rc = -1;
  std::string out;
};

// Runs `autoaug ARGS` (AUTOAUG_BIN) and returns the exit code and stdout; stderr goes to
// `err_path` when given.
CliRun autoaug(const std::string& args, const std::string& err_path = "/dev/null") {
  const char* bin = std::getenv("AUTOAUG_BIN");
  EXPECT_NE(bin, nullptr) << "AUTOAUG_BIN is not set";
  CliRun run;
  if (!bin) return run;
  const std::string cmd = std::string(bin) + " " + args + " 2>" + err_path;
  FILE* pipe = popen(cmd.c_str(), "r");
  char buffer[4096];
  std::size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) run.out.append(buffer, n);
  const int status = pclose(pipe);
  run.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

void write_idx_gz(const std::string& path, const std::vector<std::uint32_t>& dims,
                  const std::vector<std::uint8_t>& data) {
  std::vector<std::uint8_t> bytes = {0, 0, 0x08, static_cast<std::uint8_t>(dims.size())};
  for (std::uint32_t d : dims) {
    for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back((d >> shift) & 0xFF);
  }
  bytes.insert(bytes.end(), data.begin(), data.end());
  gzFile f = gzopen(path.c_str(), "wb");
  gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(f);
}

// 2 classes of 12x12 images: a bright left half or a bright right half, over noise.
void write_halves(const std::string& dir, const std::string& prefix, std::size_t n,
                  std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::uint8_t> pixels(n * 144), labels(n);
  for (std::size_t i = 0; i < n; ++i) {
    labels[i] = static_cast<std::uint8_t>(i % 2);
    for (int y = 0; y < 12; ++y) {
      for (int x = 0; x < 12; ++x) {
        const bool bright = (x < 6) == (labels[i] == 0);
        pixels[i * 144 + y * 12 + x] = static_cast<std::uint8_t>((bright ? 160 : 0) + rng() % 80);
      }
    }
  }
  write_idx_gz(dir + "/" + prefix + "-images-idx3-ubyte.gz",
               {static_cast<std::uint32_t>(n), 12, 12}, pixels);
  write_idx_gz(dir + "/" + prefix + "-labels-idx1-ubyte.gz", {static_cast<std::uint32_t>(n)},
               labels);
}

class TrainCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (std::filesystem::temp_directory_path() /
            ("autoaug_train_cli_" + std::to_string(getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name()))
               .string();
    std::filesystem::create_directories(dir_);
    write_halves(dir_, "train", 200, 1);
    write_halves(dir_, "t10k", 60, 2);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(TrainCli, TrainPrintsJsonWithAccuracyAndSavesTheModel) {
  const std::string model = dir_ + "/model.pt";
  const CliRun run = autoaug("train --data idx:" + dir_ +
                             " --model tinycnn --epochs 2 --batch-size 32 --policy randaugment"
                             " --seed 4 --json --save " +
                             model);
  ASSERT_EQ(run.rc, 0) << run.out;
  const auto out = nlohmann::json::parse(run.out);
  EXPECT_EQ(out["epochs"], 2);
  EXPECT_EQ(out["train_examples"], 200);
  EXPECT_EQ(out["scored_on"], "test");
  EXPECT_GT(out["test_accuracy"].get<double>(), 0.8);  // chance is 0.5
  EXPECT_GT(out["seconds"].get<double>(), 0.0);
  EXPECT_EQ(out["history"].size(), 2u);
  EXPECT_TRUE(std::filesystem::exists(model));
  // Same seed, same thread count: the same numbers.
  const CliRun again = autoaug("train --data idx:" + dir_ +
                               " --model tinycnn --epochs 2 --batch-size 32 --policy randaugment"
                               " --seed 4 --json");
  ASSERT_EQ(again.rc, 0);
  const auto out2 = nlohmann::json::parse(again.out);
  EXPECT_EQ(out2["test_accuracy"], out["test_accuracy"]);
  EXPECT_EQ(out2["history"][1]["train_loss"], out["history"][1]["train_loss"]);
}

TEST_F(TrainCli, EvaluatePrintsOneRowPerPolicy) {
  const CliRun run = autoaug("evaluate --data idx:" + dir_ +
                             " --model tinycnn --epochs 1 --batch-size 50 --proxy --train-size 100"
                             " --val-size 50 --seeds 2 --policies none,trivialaugment --json");
  ASSERT_EQ(run.rc, 0) << run.out;
  const auto out = nlohmann::json::parse(run.out);
  ASSERT_EQ(out["results"].size(), 2u);
  EXPECT_EQ(out["results"][1]["policy"], "trivialaugment");
  EXPECT_EQ(out["results"][1]["runs"], 2);
  EXPECT_EQ(out["results"][0]["accuracies"].size(), 2u);
  EXPECT_EQ(out["scored_on"], "proxy-val");
}

// Trainings side by side in child processes give the table of one after the other.
TEST_F(TrainCli, EvaluateJobsGiveTheSameTableAsOneJob) {
  const std::string args = "evaluate --data idx:" + dir_ +
                           " --model tinycnn --epochs 1 --batch-size 50 --proxy --train-size 100"
                           " --val-size 50 --seeds 3 --policies none,trivialaugment --json";
  const CliRun one = autoaug(args + " --jobs 1");
  const CliRun two = autoaug(args + " --jobs 2");
  ASSERT_EQ(one.rc, 0) << one.out;
  ASSERT_EQ(two.rc, 0) << two.out;
  auto accuracies = [](const std::string& out) {
    const nlohmann::json parsed = nlohmann::json::parse(out);
    std::vector<nlohmann::json> a;
    for (const auto& r : parsed["results"]) a.push_back(r["accuracies"]);
    return a;
  };
  ASSERT_EQ(accuracies(one.out).size(), 2u);
  EXPECT_EQ(accuracies(two.out), accuracies(one.out));
}

TEST_F(TrainCli, BadInputExitsWithTwoAndOneLine) {
  const std::string err = dir_ + "/err.txt";
  for (const std::string& args :
       {std::string("train --data nope --epochs 1"), "train --data idx:" + dir_ + " --width 2",
        "train --data idx:" + dir_ + " --policy no-such-policy",
        "evaluate --data idx:" + dir_ + " --seeds 0"}) {
    const CliRun run = autoaug(args, err);
    EXPECT_EQ(run.rc, 2) << args;
    std::FILE* f = std::fopen(err.c_str(), "r");
    ASSERT_NE(f, nullptr);
    std::string text;
    int c;
    while ((c = std::fgetc(f)) != EOF) text += static_cast<char>(c);
    std::fclose(f);
    EXPECT_EQ(text.rfind("autoaug: error: ", 0), 0u) << args << ": " << text;
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << args << ": " << text;
  }
}

TEST_F(TrainCli, BenchTrainJsonShape) {
  const CliRun run = autoaug(
      "bench train --json --widths 0.25 --shapes 16x16x1 --threads 1 --phases train,eval,loader"
      " --steps 1 --warmup 0 --batch-size 8");
  ASSERT_EQ(run.rc, 0) << run.out;
  const auto out = nlohmann::json::parse(run.out);
  ASSERT_EQ(out["results"].size(), 3u);
  for (const auto& r : out["results"]) {
    EXPECT_EQ(r["shape"], "16x16x1");
    EXPECT_EQ(r["threads"], 1);
    EXPECT_GT(r["images_per_second"].get<double>(), 0.0);
  }
  EXPECT_EQ(out["results"][1]["model"], "mobilenetv2");
  EXPECT_EQ(out["results"][1]["width"], 0.25);
  EXPECT_EQ(out["results"][1]["phase"], "train");
}

}  // namespace
