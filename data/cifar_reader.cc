#include "data/cifar_reader.h"

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <utility>

#include "data/detail/read_bytes.h"

namespace autoaug::data {

namespace {

constexpr std::size_t kImageBytes = 32 * 32 * 3;

std::vector<std::string> read_names(const std::filesystem::path& path) {
  std::vector<std::string> names;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (!line.empty()) names.push_back(line);
  }
  return names;
}

}  // namespace

std::shared_ptr<InMemoryDataset> load_cifar_files(const std::vector<std::string>& paths,
                                                  CifarKind kind, const std::string& name,
                                                  std::vector<std::string> classes) {
  const int num_classes = static_cast<int>(kind);
  const std::size_t label_bytes = kind == CifarKind::kCifar10 ? 1 : 2;
  const std::size_t record = label_bytes + kImageBytes;
  if (classes.size() != static_cast<std::size_t>(num_classes)) {
    classes.clear();
    for (int c = 0; c < num_classes; ++c) classes.push_back(std::to_string(c));
  }
  std::vector<std::uint8_t> pixels;
  std::vector<int> labels;
  for (const std::string& path : paths) {
    const std::vector<std::uint8_t> bytes = detail::read_bytes(path);
    if (bytes.empty()) throw std::invalid_argument(path + ": empty file, expected CIFAR records");
    if (bytes.size() % record != 0) {
      const std::size_t complete = bytes.size() / record;
      throw std::invalid_argument(path + ": truncated: " + std::to_string(bytes.size()) +
                                  " bytes is not a multiple of the " + std::to_string(record) +
                                  "-byte record; record " + std::to_string(complete) +
                                  " at offset " + std::to_string(complete * record) +
                                  " is incomplete");
    }
    const std::size_t count = bytes.size() / record;
    pixels.reserve(pixels.size() + count * kImageBytes);
    for (std::size_t r = 0; r < count; ++r) {
      const std::uint8_t* rec = bytes.data() + r * record;
      const int label = rec[label_bytes - 1];
      if (label >= num_classes) {
        throw std::invalid_argument(path + ": record " + std::to_string(r) + " (offset " +
                                    std::to_string(r * record + label_bytes - 1) + "): label " +
                                    std::to_string(label) + " is outside 0.." +
                                    std::to_string(num_classes - 1));
      }
      labels.push_back(label);
      const std::uint8_t* planes = rec + label_bytes;
      const std::size_t base = pixels.size();
      pixels.resize(base + kImageBytes);
      std::uint8_t* out = pixels.data() + base;
      for (std::size_t p = 0; p < 1024; ++p) {
        out[3 * p] = planes[p];
        out[3 * p + 1] = planes[1024 + p];
        out[3 * p + 2] = planes[2048 + p];
      }
    }
  }
  return std::make_shared<InMemoryDataset>(name, 32, 32, 3, std::move(pixels), std::move(labels),
                                           std::move(classes));
}

CifarFiles find_cifar_files(const std::string& dir, CifarKind kind) {
  namespace fs = std::filesystem;
  const bool ten = kind == CifarKind::kCifar10;
  fs::path root(dir);
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    throw std::invalid_argument(dir + ": not a folder of CIFAR binary files");
  }
  const fs::path sub = root / (ten ? "cifar-10-batches-bin" : "cifar-100-binary");
  if (fs::is_directory(sub, ec)) root = sub;
  CifarFiles files;
  auto need = [&](const std::string& file) {
    const fs::path path = root / file;
    if (!fs::is_regular_file(path, ec)) {
      throw std::invalid_argument(root.string() + ": missing " + file);
    }
    return path.string();
  };
  if (ten) {
    for (int b = 1; b <= 5; ++b)
      files.train.push_back(need("data_batch_" + std::to_string(b) + ".bin"));
    files.test.push_back(need("test_batch.bin"));
  } else {
    files.train.push_back(need("train.bin"));
    files.test.push_back(need("test.bin"));
  }
  files.classes = read_names(root / (ten ? "batches.meta.txt" : "fine_label_names.txt"));
  return files;
}

}  // namespace autoaug::data
