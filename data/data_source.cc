#include "data/data_source.h"

#include <cmath>
#include <filesystem>
#include <stdexcept>

#include "data/cifar_reader.h"
#include "data/folder_dataset.h"
#include "data/idx_reader.h"
#include "data/in_memory_dataset.h"

namespace autoaug::data {

namespace {

const std::vector<std::string> kFashionClasses = {"T-shirt/top", "Trouser",   "Pullover", "Dress",
                                                  "Coat",        "Sandal",    "Shirt",    "Sneaker",
                                                  "Bag",         "Ankle boot"};

void open_idx(DataSource& source, const std::string& dir, std::vector<std::string> classes) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    throw std::invalid_argument(source.spec + ": " + dir + " is not a folder");
  }
  auto need = [&](const std::string& prefix, const std::string& kind) {
    std::string path = find_idx_file(dir, prefix, kind);
    if (path.empty()) {
      throw std::invalid_argument(source.spec + ": no " + prefix + "-" + kind + "-idx" +
                                  (kind == "images" ? "3" : "1") + "-ubyte[.gz] in " + dir);
    }
    return path;
  };
  const std::string train_images = need("train", "images");
  const std::string train_labels = need("train", "labels");
  const std::string test_images = need("t10k", "images");
  const std::string test_labels = need("t10k", "labels");
  source.train = load_idx_dataset(train_images, train_labels, source.spec + " train", classes);
  source.test = load_idx_dataset(test_images, test_labels, source.spec + " test", classes);
}

void open_cifar(DataSource& source, const std::string& dir, CifarKind kind) {
  CifarFiles files = find_cifar_files(dir, kind);
  source.train = load_cifar_files(files.train, kind, source.spec + " train", files.classes);
  source.test = load_cifar_files(files.test, kind, source.spec + " test", files.classes);
  source.flip = true;
}

void open_folder(DataSource& source, const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path root(dir);
  if (fs::is_directory(root / "train", ec)) {
    source.train =
        std::make_shared<FolderDataset>((root / "train").string(), source.spec + " train");
    for (const char* test_name : {"test", "val"}) {
      if (fs::is_directory(root / test_name, ec)) {
        source.test = std::make_shared<FolderDataset>((root / test_name).string(),
                                                      source.spec + " " + test_name);
        if (source.test->classes() != source.train->classes()) {
          throw std::invalid_argument(source.spec + ": the class folders of " +
                                      (root / test_name).string() + " differ from " +
                                      (root / "train").string());
        }
        break;
      }
    }
  } else {
    source.train = std::make_shared<FolderDataset>(dir, source.spec);
  }
  source.flip = true;
}

}  // namespace

void channel_stats(const Dataset& dataset, std::size_t max_images, std::vector<float>& mean,
                   std::vector<float>& std) {
  const std::size_t n = dataset.size();
  const std::size_t take = std::min(n, max_images);
  std::vector<double> sum, sum_sq;
  double count = 0;
  for (std::size_t k = 0; k < take; ++k) {
    const std::size_t index = take == n ? k : k * n / take;
    const cv::Mat image = dataset.get(index).image;
    const int channels = image.channels();
    if (sum.empty()) {
      sum.assign(channels, 0.0);
      sum_sq.assign(channels, 0.0);
    }
    if (channels != static_cast<int>(sum.size())) continue;
    for (int y = 0; y < image.rows; ++y) {
      const std::uint8_t* row = image.ptr<std::uint8_t>(y);
      for (int x = 0; x < image.cols; ++x) {
        for (int c = 0; c < channels; ++c) {
          const double v = row[x * channels + c] / 255.0;
          sum[c] += v;
          sum_sq[c] += v * v;
        }
      }
    }
    count += static_cast<double>(image.rows) * image.cols;
  }
  mean.clear();
  std.clear();
  for (std::size_t c = 0; c < sum.size(); ++c) {
    const double m = sum[c] / count;
    const double var = std::max(sum_sq[c] / count - m * m, 1e-12);
    mean.push_back(static_cast<float>(m));
    std.push_back(static_cast<float>(std::sqrt(var)));
  }
}

DataSource open_data_source(std::string_view spec_view) {
  DataSource source;
  source.spec = std::string(spec_view);
  const std::string& spec = source.spec;
  const std::size_t colon = spec.find(':');
  const std::string kind = spec.substr(0, colon);
  const std::string dir = colon == std::string::npos ? std::string() : spec.substr(colon + 1);
  if (spec == "fashion-mnist") {
    open_idx(source, std::string(kFashionMnistDir), kFashionClasses);
    source.flip = true;
  } else if (colon != std::string::npos && !dir.empty() && kind == "idx") {
    open_idx(source, dir, {});
  } else if (colon != std::string::npos && !dir.empty() && kind == "cifar10") {
    open_cifar(source, dir, CifarKind::kCifar10);
  } else if (colon != std::string::npos && !dir.empty() && kind == "cifar100") {
    open_cifar(source, dir, CifarKind::kCifar100);
  } else if (colon != std::string::npos && !dir.empty() && kind == "folder") {
    open_folder(source, dir);
  } else {
    throw std::invalid_argument("data: unknown data set '" + spec +
                                "' (expected fashion-mnist, idx:DIR, cifar10:DIR, cifar100:DIR "
                                "or folder:DIR)");
  }
  const Example first = source.train->get(0);
  source.height = first.image.rows;
  source.width = first.image.cols;
  source.channels = first.image.channels();
  channel_stats(*source.train, 20000, source.mean, source.std);
  return source;
}

std::string data_source_help() {
  return "  fashion-mnist   Fashion-MNIST from Debian's dataset-fashion-mnist\n"
         "  idx:DIR         MNIST-style IDX files (train-/t10k-images-idx3-ubyte[.gz], labels)\n"
         "  cifar10:DIR     CIFAR-10 binary batches\n"
         "  cifar100:DIR    CIFAR-100 binary files (fine labels)\n"
         "  folder:DIR      one sub-folder per class (DIR/train and DIR/test when present)";
}

}  // namespace autoaug::data
