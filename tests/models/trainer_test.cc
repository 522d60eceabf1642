#include "models/trainer.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <atomic>
#include <random>

#include "augment/presets.h"
#include "data/in_memory_dataset.h"
#include "models/experiment.h"

namespace autoaug::models {
namespace {

// An easy 3-class problem: a bright square in one of three places on noise, 16x16 grey.
std::shared_ptr<data::InMemoryDataset> squares(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  const int size = 16;
  std::vector<std::uint8_t> pixels(n * size * size);
  std::vector<int> labels(n);
  for (std::size_t i = 0; i < n; ++i) {
    const int label = static_cast<int>(i % 3);
    labels[i] = label;
    std::uint8_t* img = pixels.data() + i * size * size;
    for (int p = 0; p < size * size; ++p) img[p] = static_cast<std::uint8_t>(rng() % 60);
    const int y0 = 2 + 5 * label, x0 = 2 + 5 * static_cast<int>(rng() % 3);
    for (int y = y0; y < y0 + 4; ++y) {
      for (int x = x0; x < x0 + 4; ++x) img[y * size + x] = 250;
    }
  }
  return std::make_shared<data::InMemoryDataset>(
      "squares", size, size, 1, std::move(pixels), std::move(labels),
      std::vector<std::string>{"top", "middle", "bottom"});
}

data::DataSource squares_source() {
  data::DataSource source;
  source.spec = "squares";
  source.train = squares(300, 1);
  source.test = squares(90, 2);
  source.height = source.width = 16;
  source.channels = 1;
  source.mean = {0.2f};
  source.std = {0.3f};
  return source;
}

ExperimentOptions tiny_options(const std::string& model) {
  ExperimentOptions options;
  options.model.name = model;
  options.model.width = 0.25;
  options.trainer.epochs = 3;
  options.trainer.lr = 0.05;
  options.trainer.threads = 1;
  options.trainer.progress = false;
  options.batch_size = 32;
  options.loader_workers = 1;
  options.pad = 2;
  return options;
}

TEST(Trainer, LearnsAnEasyProblemWithAPolicy) {
  Experiment experiment(squares_source(), tiny_options("tinycnn"));
  const ExperimentResult result =
      experiment.run(augment::load_policy("autoaugment-cifar10"), /*seed=*/3);
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(result.scored_on, "test");
  EXPECT_EQ(result.scored_examples, 90u);
  ASSERT_EQ(result.train.epochs.size(), 3u);
  EXPECT_LT(result.train.epochs.back().train_loss, result.train.epochs.front().train_loss);
  EXPECT_GT(result.accuracy, 0.6);  // chance is 1/3
  EXPECT_GT(result.train.train_images_per_second, 0.0);
  EXPECT_EQ(result.train.train_images, 900u);
}

TEST(Trainer, SameSeedSameResultOtherSeedOtherResult) {
  Experiment experiment(squares_source(), tiny_options("mobilenetv2"));
  const augment::Policy policy = augment::load_policy("trivialaugment");
  const ExperimentResult a = experiment.run(policy, 11);
  const ExperimentResult b = experiment.run(policy, 11);
  const ExperimentResult c = experiment.run(policy, 12);
  ASSERT_TRUE(a.ok && b.ok && c.ok) << a.error << b.error << c.error;
  for (std::size_t e = 0; e < a.train.epochs.size(); ++e) {
    EXPECT_EQ(a.train.epochs[e].train_loss, b.train.epochs[e].train_loss) << "epoch " << e;
  }
  EXPECT_EQ(a.accuracy, b.accuracy);
  EXPECT_EQ(a.train.eval.loss, b.train.eval.loss);
  EXPECT_NE(a.train.epochs[0].train_loss, c.train.epochs[0].train_loss);
}

TEST(Trainer, ProxyModeScoresOnHeldOutTrainingExamples) {
  ExperimentOptions options = tiny_options("tinycnn");
  options.proxy = true;
  options.train_size = 120;
  options.val_size = 60;
  options.trainer.epochs = 1;
  Experiment experiment(squares_source(), options);
  const ExperimentResult result = experiment.run(augment::load_policy("none"), 1);
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(result.scored_on, "proxy-val");
  EXPECT_EQ(result.train_examples, 120u);
  EXPECT_EQ(result.scored_examples, 60u);
  options.train_size = 250;
  EXPECT_THROW(Experiment(squares_source(), options), std::invalid_argument);
}

TEST(Trainer, DivergingLossFailsTheRunWithAMessage) {
  ExperimentOptions options = tiny_options("tinycnn");
  options.trainer.lr = 1e30;
  options.trainer.warmup_epochs = 0;
  Experiment experiment(squares_source(), options);
  const ExperimentResult result = experiment.run(augment::load_policy("none"), 1);
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.error.find("the loss is"), std::string::npos) << result.error;
  EXPECT_NE(result.error.find("epoch 1"), std::string::npos) << result.error;
}

// A stop flag ends the training before its next step: the hook a cancelled lease and Ctrl-C use.
TEST(Trainer, StopFlagEndsTheRunBeforeTheNextStep) {
  Experiment experiment(squares_source(), tiny_options("tinycnn"));
  std::atomic<bool> stop{true};
  const ExperimentResult stopped = experiment.run(augment::load_policy("none"), 1, {}, &stop);
  EXPECT_FALSE(stopped.ok);
  EXPECT_EQ(stopped.error.rfind("stopped at epoch 1, step 1", 0), 0u) << stopped.error;
  EXPECT_EQ(stopped.train.train_images, 0u);
  stop = false;
  EXPECT_TRUE(experiment.run(augment::load_policy("none"), 1, {}, &stop).ok);
}

TEST(Trainer, BadOptionsNameTheField) {
  TrainerOptions options;
  options.label_smoothing = 1.5;
  ModelOptions model;
  model.name = "tinycnn";
  try {
    Trainer trainer(make_model(model), options);
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("trainer.label_smoothing"), std::string::npos);
  }
}

}  // namespace
}  // namespace autoaug::models
