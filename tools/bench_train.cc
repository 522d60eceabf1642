// autoaug bench train: training and evaluation throughput of MobileNetV2, and the loader's.

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "augment/presets.h"
#include "data/batch_loader.h"
#include "data/in_memory_dataset.h"
#include "models/batch_tensor.h"
#include "models/trainer.h"
#include "tools/commands.h"

namespace autoaug::tools {
namespace {

using Clock = std::chrono::steady_clock;

struct Shape {
  int height, width, channels;
  std::string name() const {
    return std::to_string(height) + "x" + std::to_string(width) + "x" + std::to_string(channels);
  }
};

struct BenchArgs {
  bool json = false;
  std::string widths = "0.25,0.5,1.0";
  std::string shapes = "28x28x1,32x32x3";
  std::string threads = "1,2";
  std::string phases = "train,eval,loader";
  int steps = 5;
  int warmup = 2;
  int batch_size = 128;
  int loader_threads = 1;
  std::string policy = "autoaugment-cifar10";
  bool channels_last = false;
};

std::vector<std::string> items(const std::string& text, const char* option) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  if (out.empty())
    throw std::invalid_argument(std::string(option) + ": no items in '" + text + "'");
  return out;
}

Shape parse_shape(const std::string& text) {
  Shape s{};
  char x1 = 0, x2 = 0;
  std::stringstream in(text);
  if (!(in >> s.height >> x1 >> s.width >> x2 >> s.channels) || x1 != 'x' || x2 != 'x' ||
      !in.eof() || s.height < 8 || s.width < 8 || (s.channels != 1 && s.channels != 3)) {
    throw std::invalid_argument("--shapes: '" + text + "' is not HxWxC (C 1 or 3, sides >= 8)");
  }
  return s;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// `n` images of uniform noise (seeded), labels i % 10.
std::shared_ptr<data::InMemoryDataset> noise_dataset(std::size_t n, const Shape& s) {
  std::mt19937_64 rng(12345);
  std::vector<std::uint8_t> pixels(n * s.height * s.width * s.channels);
  for (auto& p : pixels) p = static_cast<std::uint8_t>(rng() >> 56);
  std::vector<int> labels(n);
  std::vector<std::string> classes;
  for (int c = 0; c < 10; ++c) classes.push_back(std::to_string(c));
  for (std::size_t i = 0; i < n; ++i) labels[i] = static_cast<int>(i % 10);
  return std::make_shared<data::InMemoryDataset>("noise " + s.name(), s.height, s.width, s.channels,
                                                 std::move(pixels), std::move(labels),
                                                 std::move(classes));
}

data::LoaderOptions loader_options(const BenchArgs& a, int workers) {
  data::LoaderOptions o;
  o.batch_size = a.batch_size;
  o.workers = workers;
  o.pad = 4;
  o.flip = true;
  o.mean = {0.5f};
  o.std = {0.25f};
  o.seed = 1;
  return o;
}

models::Trainer make_trainer(const BenchArgs& a, double width, const Shape& s, int threads) {
  models::ModelOptions m;
  m.name = "mobilenetv2";
  m.width = width;
  m.in_channels = s.channels;
  m.input_size = std::max(s.height, s.width);
  models::TrainerOptions t;
  t.threads = threads;
  t.progress = false;
  t.channels_last = a.channels_last;
  return models::Trainer(models::make_model(m), t);
}

double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// Images per second of the median step (wall clock), and per second of process CPU time (all
// threads; less disturbed than the wall clock when other programs share the cores).
struct Rate {
  double wall = 0.0;
  double cpu = 0.0;
};

template <typename Step>
Rate images_per_second(const BenchArgs& a, Step step) {
  for (int i = 0; i < a.warmup; ++i) step();
  std::vector<double> times, cpu_times;
  for (int i = 0; i < a.steps; ++i) {
    const auto start = Clock::now();
    const double cpu_start = process_cpu_seconds();
    step();
    cpu_times.push_back(process_cpu_seconds() - cpu_start);
    times.push_back(std::chrono::duration<double>(Clock::now() - start).count());
  }
  return {a.batch_size / median(times), a.batch_size / std::max(median(cpu_times), 1e-9)};
}

// What to measure, parsed from the comma-separated options.
struct Plan {
  std::vector<double> widths;
  std::vector<Shape> shapes;
  std::vector<int> thread_counts;
  std::vector<std::string> phases;
  bool wants(const char* phase) const {
    return std::find(phases.begin(), phases.end(), phase) != phases.end();
  }
};

Plan parse_plan(const BenchArgs& a) {
  if (a.steps < 1 || a.warmup < 0 || a.batch_size < 1 || a.loader_threads < 0) {
    throw std::invalid_argument("--steps, --warmup, --batch-size, --loader-threads: out of range");
  }
  Plan plan;
  for (const std::string& w : items(a.widths, "--widths")) {
    try {
      plan.widths.push_back(std::stod(w));
    } catch (const std::exception&) {
      throw std::invalid_argument("--widths: '" + w + "' is not a number");
    }
  }
  for (const std::string& s : items(a.shapes, "--shapes")) plan.shapes.push_back(parse_shape(s));
  for (const std::string& t : items(a.threads, "--threads")) {
    const int n = std::atoi(t.c_str());
    if (n < 1 || n > 1024) throw std::invalid_argument("--threads: '" + t + "' is outside 1..1024");
    plan.thread_counts.push_back(n);
  }
  plan.phases = items(a.phases, "--phases");
  for (const std::string& p : plan.phases) {
    if (p != "train" && p != "eval" && p != "loader" && p != "train_loader") {
      throw std::invalid_argument("--phases: '" + p +
                                  "' is not train, eval, loader or train_loader");
    }
  }
  return plan;
}

using Report = std::function<void(const std::string& model, double width, const Shape& s,
                                  int threads, const std::string& phase, Rate rate)>;

// Whole epochs of 20 batches with `threads` workers: the rate at which batches are made, not the
// rate at which prefetched ones are handed over.
Rate loader_rate(const BenchArgs& a, const Shape& s, int threads,
                 const std::shared_ptr<augment::Augmenter>& augmenter) {
  const int batches = 20;
  data::BatchLoader loader(noise_dataset(static_cast<std::size_t>(a.batch_size) * batches, s),
                           augmenter, loader_options(a, threads));
  int epoch = 0;
  Rate rate = images_per_second(a, [&] {
    loader.start_epoch(epoch++);
    while (loader.next()) {
    }
  });
  rate.wall *= batches;
  rate.cpu *= batches;
  return rate;
}

// The network's phases (train step, train step fed by the loader, eval) at one width.
void bench_network(const BenchArgs& a, const Plan& plan, double width, const Shape& s, int threads,
                   const std::shared_ptr<augment::Augmenter>& augmenter, const Report& report) {
  models::Trainer trainer = make_trainer(a, width, s, threads);
  torch::Tensor x = torch::randn({a.batch_size, s.channels, s.height, s.width},
                                 at::detail::createCPUGenerator(7));
  torch::Tensor y = torch::arange(a.batch_size, torch::kLong).remainder(10);
  if (plan.wants("train")) {
    trainer.model().ptr->train();
    report("mobilenetv2", width, s, threads, "train",
           images_per_second(a, [&] { trainer.train_step(x, y, 0.01); }));
  }
  if (plan.wants("train_loader")) {
    const std::size_t n = static_cast<std::size_t>(a.batch_size) * (a.steps + a.warmup);
    data::BatchLoader loader(noise_dataset(n, s), augmenter, loader_options(a, a.loader_threads));
    loader.start_epoch(0);
    trainer.model().ptr->train();
    report("mobilenetv2", width, s, threads, "train_loader", images_per_second(a, [&] {
             models::BatchTensors t = models::to_tensors(std::move(*loader.next()));
             trainer.train_step(t.images, t.labels, 0.01);
           }));
  }
  if (plan.wants("eval")) {
    report("mobilenetv2", width, s, threads, "eval",
           images_per_second(a, [&] { trainer.predict(x); }));
  }
}

void run_bench(const BenchArgs& a) {
  const Plan plan = parse_plan(a);
  auto augmenter = std::make_shared<augment::Augmenter>(augment::load_policy(a.policy));
  nlohmann::json results = nlohmann::json::array();
  const Report report = [&](const std::string& model, double width, const Shape& s, int threads,
                            const std::string& phase, Rate rate) {
    nlohmann::json item = {{"model", model},
                           {"width", width},
                           {"shape", s.name()},
                           {"threads", threads},
                           {"phase", phase},
                           {"images_per_second", rate.wall},
                           {"cpu_images_per_second", rate.cpu}};
    if (phase == "loader" || phase == "train_loader") item["policy"] = a.policy;
    if (a.json) {
      results.push_back(item);
    } else {
      std::printf("%-12s %5.2f %-8s %2d %-13s %10.1f images/s %10.1f per CPU second\n",
                  model.c_str(), width, s.name().c_str(), threads, phase.c_str(), rate.wall,
                  rate.cpu);
      std::fflush(stdout);
    }
  };
  for (const Shape& s : plan.shapes) {
    for (int threads : plan.thread_counts) {
      if (plan.wants("loader")) {
        report("loader", 0.0, s, threads, "loader", loader_rate(a, s, threads, augmenter));
      }
      for (double width : plan.widths) bench_network(a, plan, width, s, threads, augmenter, report);
    }
  }
  if (a.json) {
    nlohmann::json out = {{"batch_size", a.batch_size},
                          {"steps", a.steps},
                          {"warmup", a.warmup},
                          {"statistic", "median step (wall clock; process CPU time)"},
                          {"channels_last", a.channels_last},
                          {"results", results}};
    std::printf("%s\n", out.dump().c_str());
  }
}

}  // namespace

void add_bench_train_command(CLI::App& bench) {
  auto a = std::make_shared<BenchArgs>();
  CLI::App* cmd = bench.add_subcommand(
      "train", "Training/evaluation images/s of MobileNetV2 (batch 128) and the loader's images/s");
  cmd->add_flag("--json", a->json, "Print one JSON object");
  cmd->add_option("--widths", a->widths, "Width multipliers")->capture_default_str();
  cmd->add_option("--shapes", a->shapes, "Input shapes HxWxC")->capture_default_str();
  cmd->add_option("--threads", a->threads, "LibTorch threads (loader: worker threads)")
      ->capture_default_str();
  cmd->add_option("--phases", a->phases,
                  "train, eval, loader (the loader alone), train_loader (training fed by the "
                  "loader with --policy)")
      ->capture_default_str();
  cmd->add_option("--steps", a->steps, "Timed steps; the median is reported")
      ->capture_default_str();
  cmd->add_option("--warmup", a->warmup, "Untimed steps first")->capture_default_str();
  cmd->add_option("--batch-size", a->batch_size, "Batch size")->capture_default_str();
  cmd->add_option("--loader-threads", a->loader_threads, "Loader workers for train_loader")
      ->capture_default_str();
  cmd->add_option("--policy", a->policy, "Policy applied by the loader")->capture_default_str();
  cmd->add_flag("--channels-last", a->channels_last, "Channels-last memory format");
  cmd->callback([a] { run_bench(*a); });
}

}  // namespace autoaug::tools
