#include "data/batch_loader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <stdexcept>

#include "augment/presets.h"
#include "data/in_memory_dataset.h"
#include "tests/data/test_files.h"

namespace autoaug::data {
namespace {

// `n` random h x w x c images; label i % classes.
std::shared_ptr<InMemoryDataset> random_dataset(std::size_t n, int h, int w, int c, int classes,
                                                std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::uint8_t> pixels(n * h * w * c);
  for (auto& p : pixels) p = static_cast<std::uint8_t>(rng());
  std::vector<int> labels(n);
  std::vector<std::string> names;
  for (int k = 0; k < classes; ++k) names.push_back(std::to_string(k));
  for (std::size_t i = 0; i < n; ++i) labels[i] = static_cast<int>(i % classes);
  return std::make_shared<InMemoryDataset>("random", h, w, c, std::move(pixels), std::move(labels),
                                           std::move(names));
}

std::vector<Batch> whole_epoch(BatchLoader& loader, int epoch) {
  loader.start_epoch(epoch);
  std::vector<Batch> batches;
  while (auto batch = loader.next()) batches.push_back(std::move(*batch));
  return batches;
}

LoaderOptions train_options(int workers) {
  LoaderOptions options;
  options.batch_size = 16;
  options.workers = workers;
  options.prefetch = 2;
  options.pad = 4;
  options.flip = true;
  options.mean = {0.5f, 0.4f, 0.3f};
  options.std = {0.25f, 0.2f, 0.3f};
  options.seed = 99;
  return options;
}

TEST(BatchLoader, SameBatchesWhateverTheNumberOfWorkers) {
  auto ds = random_dataset(70, 12, 10, 3, 5, 1);
  auto augmenter =
      std::make_shared<augment::Augmenter>(augment::load_policy("autoaugment-cifar10"));
  std::vector<std::vector<Batch>> runs;
  for (int workers : {0, 1, 3}) {
    BatchLoader loader(ds, augmenter, train_options(workers));
    EXPECT_EQ(loader.batches_per_epoch(), 5u);
    std::vector<Batch> both = whole_epoch(loader, 0);
    for (Batch& b : whole_epoch(loader, 1)) both.push_back(std::move(b));
    runs.push_back(std::move(both));
  }
  for (std::size_t r = 1; r < runs.size(); ++r) {
    ASSERT_EQ(runs[r].size(), runs[0].size());
    for (std::size_t b = 0; b < runs[0].size(); ++b) {
      EXPECT_EQ(runs[r][b].labels, runs[0][b].labels) << "run " << r << " batch " << b;
      EXPECT_EQ(runs[r][b].pixels, runs[0][b].pixels) << "run " << r << " batch " << b;
    }
  }
  // Epochs 0 and 1 differ (order and augmentation); the last batch holds the remainder.
  EXPECT_NE(runs[0][0].pixels, runs[0][5].pixels);
  EXPECT_EQ(runs[0][4].size, 70 - 4 * 16);
  BatchLoader loader(ds, augmenter, train_options(2));
  const Batch direct = loader.make_batch(1, 2);
  EXPECT_EQ(direct.pixels, runs[0][7].pixels);
}

TEST(BatchLoader, EveryExampleOncePerEpochInANewOrder) {
  const std::size_t n = 50;
  auto ds = random_dataset(n, 4, 4, 1, static_cast<int>(n), 2);
  LoaderOptions options = train_options(2);
  options.mean = {0.0f};
  options.std = {1.0f};
  BatchLoader loader(ds, nullptr, options);
  std::vector<std::vector<std::int64_t>> orders;
  for (int epoch = 0; epoch < 3; ++epoch) {
    std::vector<std::int64_t> seen;
    for (const Batch& b : whole_epoch(loader, epoch)) {
      seen.insert(seen.end(), b.labels.begin(), b.labels.end());
    }
    orders.push_back(seen);
    std::sort(seen.begin(), seen.end());
    for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(seen[i], static_cast<std::int64_t>(i));
  }
  EXPECT_NE(orders[0], orders[1]);
  EXPECT_NE(orders[1], orders[2]);
}

TEST(BatchLoader, PadAndCropShiftsTheImage) {
  auto ds = random_dataset(20, 9, 8, 1, 2, 3);
  LoaderOptions options = train_options(1);
  options.mean = {0.0f};
  options.std = {1.0f};
  options.flip = false;
  options.batch_size = 20;
  options.train = false;  // dataset order, to find each image's source
  BatchLoader plain(ds, nullptr, options);
  options.train = true;
  BatchLoader shifted(ds, nullptr, options);
  const Batch a = plain.make_batch(0, 0);
  const Batch b = shifted.make_batch(0, 0);
  // In training order, find for every output image a source image and a shift within +-4 that
  // reproduces it (zeros where it moved in from outside).
  int nonzero_shifts = 0;
  for (int k = 0; k < 20; ++k) {
    const float* out = b.pixels.data() + k * 72;
    bool found = false;
    for (int src = 0; src < 20 && !found; ++src) {
      const float* in = a.pixels.data() + src * 72;
      for (int sy = -4; sy <= 4 && !found; ++sy) {
        for (int sx = -4; sx <= 4 && !found; ++sx) {
          bool match = true;
          for (int y = 0; y < 9 && match; ++y) {
            for (int x = 0; x < 8 && match; ++x) {
              const int yy = y + sy, xx = x + sx;
              const float expected = (yy >= 0 && yy < 9 && xx >= 0 && xx < 8) ? in[yy * 8 + xx] : 0;
              match = out[y * 8 + x] == expected;
            }
          }
          if (match) {
            found = true;
            nonzero_shifts += (sy != 0 || sx != 0);
          }
        }
      }
    }
    EXPECT_TRUE(found) << "output image " << k;
  }
  EXPECT_GT(nonzero_shifts, 10);
}

TEST(BatchLoader, EvaluationIsPlainNormalisedPixelsInOrder) {
  auto ds = random_dataset(10, 3, 2, 3, 2, 4);
  LoaderOptions options = train_options(2);
  options.train = false;
  options.batch_size = 4;
  BatchLoader loader(ds, nullptr, options);
  const std::vector<Batch> batches = whole_epoch(loader, 0);
  ASSERT_EQ(batches.size(), 3u);
  const Batch& b = batches[1];
  ASSERT_EQ(b.size, 4);
  const cv::Mat image = ds->get(5).image;  // index 1 of batch 1
  const float* px = b.pixels.data() + 1 * 18;
  for (int c = 0; c < 3; ++c) {
    for (int y = 0; y < 3; ++y) {
      for (int x = 0; x < 2; ++x) {
        const float v = image.at<cv::Vec3b>(y, x)[c] / 255.0f;
        EXPECT_FLOAT_EQ(px[c * 6 + y * 2 + x], (v - options.mean[c]) / options.std[c]);
      }
    }
  }
  EXPECT_EQ(b.labels, (std::vector<std::int64_t>{0, 1, 0, 1}));
}

// A data set whose example `bad_` cannot be read.
class FaultyDataset : public Dataset {
 public:
  FaultyDataset(std::shared_ptr<const Dataset> base, std::size_t bad) : base_(base), bad_(bad) {}
  std::size_t size() const override { return base_->size(); }
  Example get(std::size_t i) const override {
    if (i == bad_) throw std::invalid_argument("faulty: image " + std::to_string(i) + ": corrupt");
    return base_->get(i);
  }
  int label(std::size_t i) const override { return base_->label(i); }
  const std::vector<std::string>& classes() const override { return base_->classes(); }
  const std::string& name() const override { return base_->name(); }

 private:
  std::shared_ptr<const Dataset> base_;
  std::size_t bad_;
};

TEST(BatchLoader, WorkerErrorsReachTheConsumer) {
  auto ds = std::make_shared<FaultyDataset>(random_dataset(64, 4, 4, 1, 2, 5), 37);
  for (int workers : {0, 2}) {
    LoaderOptions options = train_options(workers);
    options.mean = {0.5f};
    options.std = {0.25f};
    BatchLoader loader(ds, nullptr, options);
    loader.start_epoch(0);
    try {
      while (loader.next()) {
      }
      ADD_FAILURE() << "no exception with " << workers << " workers";
    } catch (const std::invalid_argument& e) {
      EXPECT_STREQ(e.what(), "faulty: image 37: corrupt");
    }
  }
}

TEST(BatchLoader, ConvertsChannelsAndSize) {
  auto ds = random_dataset(3, 10, 10, 1, 2, 6);
  LoaderOptions options = train_options(0);
  options.train = false;
  options.channels = 3;
  options.height = 5;
  options.width = 5;
  options.mean = {0.0f};
  options.std = {1.0f};
  BatchLoader loader(ds, nullptr, options);
  const Batch b = loader.make_batch(0, 0);
  EXPECT_EQ(b.channels, 3);
  EXPECT_EQ(b.height, 5);
  EXPECT_EQ(b.pixels.size(), 3u * 3 * 25);
  EXPECT_EQ(b.pixels[0], b.pixels[25]);  // grey copied to every channel
}

TEST(BatchLoader, BadOptionsNameTheField) {
  auto ds = random_dataset(3, 4, 4, 1, 2, 7);
  LoaderOptions options;
  options.batch_size = 0;
  testing::expect_error([&] { BatchLoader l(ds, nullptr, options); }, {"loader.batch_size"});
  options = LoaderOptions();
  options.mean = {0.1f, 0.2f};
  testing::expect_error([&] { BatchLoader l(ds, nullptr, options); }, {"loader.mean", "2 values"});
  options = LoaderOptions();
  options.std = {0.0f};
  testing::expect_error([&] { BatchLoader l(ds, nullptr, options); }, {"loader.std[0]"});
}

}  // namespace
}  // namespace autoaug::data
