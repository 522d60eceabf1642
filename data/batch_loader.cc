#include "data/batch_loader.h"

#include <algorithm>
#include <numeric>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <stdexcept>
#include <string>
#include <utility>

#include "data/random.h"

namespace autoaug::data {

namespace {

constexpr std::uint64_t kOrderStream = 0x0DE4;

// Brings `image` to the target channel count and size.
cv::Mat conform(cv::Mat image, int height, int width, int channels) {
  if (image.channels() != channels) {
    cv::Mat converted;
    if (channels == 3 && image.channels() == 1) {
      cv::cvtColor(image, converted, cv::COLOR_GRAY2RGB);
    } else if (channels == 1 && image.channels() == 3) {
      cv::cvtColor(image, converted, cv::COLOR_RGB2GRAY);
    } else {
      throw std::invalid_argument("loader: cannot convert " + std::to_string(image.channels()) +
                                  " channels to " + std::to_string(channels));
    }
    image = converted;
  }
  if (image.rows != height || image.cols != width) {
    cv::Mat resized;
    cv::resize(image, resized, cv::Size(width, height), 0, 0, cv::INTER_AREA);
    image = resized;
  }
  return image;
}

// The image shifted by (sy, sx) with zeros where it moved in from outside: a crop at offset
// (pad + sy, pad + sx) of the image padded by `pad` zeros.
cv::Mat shift(const cv::Mat& image, int sy, int sx) {
  if (sy == 0 && sx == 0) return image;
  cv::Mat out = cv::Mat::zeros(image.size(), image.type());
  const int w = image.cols - std::abs(sx);
  const int h = image.rows - std::abs(sy);
  if (w <= 0 || h <= 0) return out;
  const cv::Rect src(std::max(0, sx), std::max(0, sy), w, h);
  const cv::Rect dst(std::max(0, -sx), std::max(0, -sy), w, h);
  image(src).copyTo(out(dst));
  return out;
}

}  // namespace

BatchLoader::BatchLoader(std::shared_ptr<const Dataset> dataset,
                         std::shared_ptr<const augment::Augmenter> augmenter, LoaderOptions options)
    : dataset_(std::move(dataset)), augmenter_(std::move(augmenter)), options_(std::move(options)) {
  if (!dataset_ || dataset_->size() == 0) {
    throw std::invalid_argument("loader: the data set is empty");
  }
  if (options_.batch_size < 1) {
    throw std::invalid_argument("loader.batch_size: " + std::to_string(options_.batch_size) +
                                " is not positive");
  }
  if (options_.workers < 0 || options_.workers > 256) {
    throw std::invalid_argument("loader.workers: " + std::to_string(options_.workers) +
                                " is outside 0..256");
  }
  if (options_.prefetch < 1) {
    throw std::invalid_argument("loader.prefetch: " + std::to_string(options_.prefetch) +
                                " is not positive");
  }
  if (options_.pad < 0) {
    throw std::invalid_argument("loader.pad: " + std::to_string(options_.pad) + " is negative");
  }
  if (options_.height == 0 || options_.width == 0 || options_.channels == 0) {
    const cv::Mat first = dataset_->get(0).image;
    if (options_.height == 0) options_.height = first.rows;
    if (options_.width == 0) options_.width = first.cols;
    if (options_.channels == 0) options_.channels = first.channels();
  }
  if (options_.channels != 1 && options_.channels != 3) {
    throw std::invalid_argument("loader.channels: " + std::to_string(options_.channels) +
                                " is not 1 or 3");
  }
  if (options_.height < 1 || options_.width < 1) {
    throw std::invalid_argument("loader: image size " + std::to_string(options_.height) + "x" +
                                std::to_string(options_.width) + " is empty");
  }
  const auto per_channel = [&](const std::vector<float>& v, const char* field) {
    if (v.size() != 1 && v.size() != static_cast<std::size_t>(options_.channels)) {
      throw std::invalid_argument(std::string("loader.") + field + ": " + std::to_string(v.size()) +
                                  " values for " + std::to_string(options_.channels) + " channels");
    }
  };
  per_channel(options_.mean, "mean");
  per_channel(options_.std, "std");
  for (int c = 0; c < options_.channels; ++c) {
    const float mean = options_.mean[options_.mean.size() == 1 ? 0 : c];
    const float std = options_.std[options_.std.size() == 1 ? 0 : c];
    if (!(std > 0.0f)) {
      throw std::invalid_argument("loader.std[" + std::to_string(c) + "]: " + std::to_string(std) +
                                  " is not positive");
    }
    std::vector<float> lut(256);
    for (int v = 0; v < 256; ++v) lut[v] = (static_cast<float>(v) / 255.0f - mean) / std;
    lut_.push_back(std::move(lut));
  }
  for (int w = 0; w < options_.workers; ++w) threads_.emplace_back([this] { worker_loop(); });
}

BatchLoader::~BatchLoader() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  work_cv_.notify_all();
  for (std::thread& t : threads_) t.join();
}

std::size_t BatchLoader::examples_per_epoch() const {
  const std::size_t n = dataset_->size();
  const std::size_t b = static_cast<std::size_t>(options_.batch_size);
  return options_.drop_last ? n / b * b : n;
}

std::size_t BatchLoader::batches_per_epoch() const {
  const std::size_t b = static_cast<std::size_t>(options_.batch_size);
  return (examples_per_epoch() + b - 1) / b;
}

std::vector<std::size_t> BatchLoader::epoch_order(int epoch) const {
  std::vector<std::size_t> order(dataset_->size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  if (options_.train) {
    std::mt19937_64 rng(
        derive_seed(options_.seed, kOrderStream, static_cast<std::uint64_t>(epoch)));
    shuffle(order, rng);
  }
  return order;
}

void BatchLoader::fill_example(std::size_t example, int epoch, float* out) const {
  Example item = dataset_->get(example);
  cv::Mat image =
      conform(std::move(item.image), options_.height, options_.width, options_.channels);
  if (options_.train) {
    std::mt19937_64 rng(derive_seed(options_.seed, static_cast<std::uint64_t>(epoch) + 1, example));
    if (options_.pad > 0) {
      const std::uint64_t span = 2 * static_cast<std::uint64_t>(options_.pad) + 1;
      const int sy = static_cast<int>(uniform_below(rng, span)) - options_.pad;
      const int sx = static_cast<int>(uniform_below(rng, span)) - options_.pad;
      image = shift(image, sy, sx);
    }
    if (options_.flip && (rng() >> 63) != 0) {
      cv::Mat flipped;
      cv::flip(image, flipped, 1);
      image = flipped;
    }
    if (augmenter_) image = augmenter_->apply(image, rng);
    if (image.rows != options_.height || image.cols != options_.width ||
        image.channels() != options_.channels || image.depth() != CV_8U) {
      throw std::invalid_argument(dataset_->name() + ": example " + std::to_string(example) +
                                  ": the policy returned an image of another size or type");
    }
  }
  const int channels = options_.channels;
  const std::size_t plane = static_cast<std::size_t>(options_.height) * options_.width;
  for (int y = 0; y < image.rows; ++y) {
    const std::uint8_t* row = image.ptr<std::uint8_t>(y);
    for (int c = 0; c < channels; ++c) {
      const float* lut = lut_[c].data();
      float* dst = out + c * plane + static_cast<std::size_t>(y) * image.cols;
      for (int x = 0; x < image.cols; ++x) dst[x] = lut[row[x * channels + c]];
    }
  }
}

Batch BatchLoader::build(const std::vector<std::size_t>& order, int epoch, std::size_t b) const {
  const std::size_t begin = b * static_cast<std::size_t>(options_.batch_size);
  const std::size_t end =
      std::min(examples_per_epoch(), begin + static_cast<std::size_t>(options_.batch_size));
  Batch batch;
  batch.index = b;
  batch.size = static_cast<std::int64_t>(end - begin);
  batch.channels = options_.channels;
  batch.height = options_.height;
  batch.width = options_.width;
  const std::size_t per_image = static_cast<std::size_t>(options_.channels) * options_.height *
                                static_cast<std::size_t>(options_.width);
  batch.pixels.resize(per_image * static_cast<std::size_t>(batch.size));
  batch.labels.resize(static_cast<std::size_t>(batch.size));
  for (std::size_t i = begin; i < end; ++i) {
    const std::size_t example = order[i];
    fill_example(example, epoch, batch.pixels.data() + (i - begin) * per_image);
    batch.labels[i - begin] = dataset_->label(example);
  }
  return batch;
}

Batch BatchLoader::make_batch(int epoch, std::size_t b) const {
  if (b >= batches_per_epoch()) {
    throw std::out_of_range("loader: batch " + std::to_string(b) +
                            " >= " + std::to_string(batches_per_epoch()) + " batches per epoch");
  }
  return build(epoch_order(epoch), epoch, b);
}

void BatchLoader::start_epoch(int epoch) {
  auto order = std::make_shared<const std::vector<std::size_t>>(epoch_order(epoch));
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++generation_;
    epoch_ = epoch;
    order_ = std::move(order);
    num_batches_ = batches_per_epoch();
    next_claim_ = 0;
    next_deliver_ = 0;
    ready_.clear();
    error_ = nullptr;
  }
  work_cv_.notify_all();
}

std::optional<Batch> BatchLoader::next() {
  std::unique_lock<std::mutex> lock(mutex_);
  if (epoch_ < 0) throw std::logic_error("loader: next() before start_epoch()");
  if (error_) std::rethrow_exception(error_);
  if (next_deliver_ >= num_batches_) return std::nullopt;
  if (threads_.empty()) {
    const std::size_t b = next_deliver_++;
    auto order = order_;
    const int epoch = epoch_;
    lock.unlock();
    return build(*order, epoch, b);
  }
  ready_cv_.wait(lock, [&] { return error_ || ready_.count(next_deliver_) > 0; });
  if (error_) std::rethrow_exception(error_);
  auto it = ready_.find(next_deliver_);
  Batch batch = std::move(it->second);
  ready_.erase(it);
  ++next_deliver_;
  lock.unlock();
  work_cv_.notify_one();
  return batch;
}

void BatchLoader::worker_loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    work_cv_.wait(lock, [&] {
      return stop_ || (!error_ && next_claim_ < num_batches_ &&
                       next_claim_ < next_deliver_ + static_cast<std::size_t>(options_.prefetch));
    });
    if (stop_) return;
    const std::size_t b = next_claim_++;
    const std::uint64_t generation = generation_;
    const int epoch = epoch_;
    auto order = order_;
    lock.unlock();
    std::optional<Batch> batch;
    std::exception_ptr error;
    try {
      batch = build(*order, epoch, b);
    } catch (...) {
      error = std::current_exception();
    }
    lock.lock();
    if (generation != generation_) continue;
    if (error) {
      if (!error_) error_ = error;
    } else {
      ready_.emplace(b, std::move(*batch));
    }
    ready_cv_.notify_all();
  }
}

}  // namespace autoaug::data
