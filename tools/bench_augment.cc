// autoaug bench augment: images per second on one thread, per op and per policy.

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <random>
#include <string>
#include <vector>

#include "augment/op.h"
#include "augment/policy.h"
#include "augment/presets.h"
#include "search/random.h"
#include "tools/commands.h"

namespace autoaug::tools {
namespace {

namespace aug = autoaug::augment;
using Clock = std::chrono::steady_clock;

struct Shape {
  int height, width, channels;
  std::string name() const {
    return std::to_string(height) + "x" + std::to_string(width) + "x" + std::to_string(channels);
  }
};

// A pool of smooth, noisy images: ops like Equalize and AutoContrast cost what they cost on photos.
std::vector<cv::Mat> image_pool(const Shape& s, int count, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<cv::Mat> pool;
  for (int i = 0; i < count; ++i) {
    cv::Mat img(s.height, s.width, CV_8UC(s.channels));
    random::Normal noise(0.0, 8.0);
    const double a = random::uniform_real(rng, 0.0, 6.28);
    const double b = random::uniform_real(rng, 0.0, 6.28);
    for (int y = 0; y < s.height; ++y) {
      auto* row = img.ptr<uint8_t>(y);
      for (int x = 0; x < s.width; ++x) {
        for (int c = 0; c < s.channels; ++c) {
          const double v =
              128 + 80 * std::sin(a + (c + 1) * 3.0 * x / s.width + b * y / s.height) + noise(rng);
          row[x * s.channels + c] = cv::saturate_cast<uint8_t>(v);
        }
      }
    }
    pool.push_back(img);
  }
  return pool;
}

// Runs `fn(image)` over the pool for at least `seconds`, `repeats` times; the median rate.
template <typename Fn>
double images_per_second(const std::vector<cv::Mat>& pool, double seconds, int repeats, Fn&& fn) {
  std::vector<double> rates;
  for (int r = 0; r < repeats; ++r) {
    size_t done = 0;
    const auto start = Clock::now();
    double elapsed = 0.0;
    do {
      for (const cv::Mat& img : pool) {
        cv::Mat out = fn(img);
        done += out.empty() ? 0 : 1;
      }
      elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    } while (elapsed < seconds);
    rates.push_back(static_cast<double>(done) / elapsed);
  }
  std::sort(rates.begin(), rates.end());
  return rates[rates.size() / 2];
}

struct BenchArgs {
  bool json = false;
  double seconds = 0.2;
  int repeats = 3;
  std::vector<std::string> only;
  std::vector<std::string> shapes;
};

void run_bench(const BenchArgs& args) {
  cv::setNumThreads(1);
  const std::vector<Shape> shapes = {{28, 28, 1}, {32, 32, 3}, {224, 224, 3}};
  const std::vector<std::pair<std::string, aug::Policy>> policies = {
      {"policy:autoaugment-cifar10", aug::autoaugment_cifar10()},
      {"policy:randaugment-2-9", aug::randaugment(2, 9, 31)},
      {"policy:trivialaugment", aug::trivialaugment_wide(31)},
  };
  auto wanted = [&](const std::string& name) {
    return args.only.empty() ||
           std::find(args.only.begin(), args.only.end(), name) != args.only.end();
  };
  nlohmann::json results = nlohmann::json::array();
  auto report = [&](const std::string& name, const Shape& s, double rate) {
    results.push_back(
        {{"name", name}, {"shape", s.name()}, {"images_per_second", rate}, {"threads", 1}});
    if (!args.json)
      std::printf("%-28s %-12s %12.0f images/s\n", name.c_str(), s.name().c_str(), rate);
  };
  for (const Shape& s : shapes) {
    if (!args.shapes.empty() &&
        std::find(args.shapes.begin(), args.shapes.end(), s.name()) == args.shapes.end()) {
      continue;
    }
    const std::vector<cv::Mat> pool = image_pool(s, 32, 7);
    for (const auto& [name, policy] : policies) {
      if (!wanted(name)) continue;
      const aug::Augmenter augmenter(policy);
      std::mt19937_64 rng(1);
      report(name, s, images_per_second(pool, args.seconds, args.repeats, [&](const cv::Mat& img) {
               return augmenter.apply(img, rng);
             }));
    }
    for (const aug::Op& op : aug::builtin_ops().ops()) {
      const std::string name = "op:" + op.name();
      if (!wanted(name)) continue;
      // The strongest standard bin, where geometry moves the most pixels.
      const double value = aug::signed_bin_value(op, 9, 10, aug::MagnitudeSpace::kStandard, false,
                                                 s.height, s.width);
      std::mt19937_64 rng(1);
      aug::OpContext ctx;
      ctx.rng = &rng;
      report(name, s, images_per_second(pool, args.seconds, args.repeats, [&](const cv::Mat& img) {
               return op.apply(img, value, ctx);
             }));
    }
  }
  if (args.json) std::printf("%s\n", nlohmann::json{{"results", results}}.dump(1).c_str());
}

}  // namespace

void add_bench_augment_command(CLI::App& bench) {
  auto args = std::make_shared<BenchArgs>();
  auto* cmd =
      bench.add_subcommand("augment", "Augmentation images/s on one thread, per op and policy");
  cmd->add_flag("--json", args->json, "Print one JSON object");
  cmd->add_option("--seconds", args->seconds, "Minimum seconds per measurement (default 0.2)");
  cmd->add_option("--repeats", args->repeats,
                  "Measurements per item; the median is kept (default 3)");
  cmd->add_option("--only", args->only,
                  "Only these names, e.g. policy:autoaugment-cifar10 op:Rotate");
  cmd->add_option("--shapes", args->shapes, "Only these shapes, e.g. 32x32x3 224x224x3");
  cmd->callback([args] { run_bench(*args); });
}

}  // namespace autoaug::tools
