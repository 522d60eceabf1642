#pragma once

#include <memory>
#include <string>
#include <vector>

#include "data/in_memory_dataset.h"

namespace autoaug::data {

// The CIFAR binary format: fixed-size records of label byte(s) then 3072 bytes of 32x32 pixels,
// red plane, green plane, blue plane. CIFAR-10 has one label byte (0..9); CIFAR-100 has a coarse
// (0..19) and a fine (0..99) label byte, and the fine label is used.
enum class CifarKind { kCifar10 = 10, kCifar100 = 100 };

// Reads the given batch files, in order, into one data set of 32x32 RGB images. Throws
// std::invalid_argument naming the file when it cannot be read, is empty, its size is not a
// multiple of the record size (naming the offset of the incomplete record), or a label is out of
// range (naming the record and its offset).
std::shared_ptr<InMemoryDataset> load_cifar_files(const std::vector<std::string>& paths,
                                                  CifarKind kind, const std::string& name,
                                                  std::vector<std::string> classes = {});

// The train and test files of a CIFAR binary folder: `dir` itself or its "cifar-10-batches-bin" /
// "cifar-100-binary" sub-folder. CIFAR-10: data_batch_1..5.bin and test_batch.bin; CIFAR-100:
// train.bin and test.bin. Throws std::invalid_argument naming the folder and the missing file.
struct CifarFiles {
  std::vector<std::string> train;
  std::vector<std::string> test;
  std::vector<std::string> classes;  // from batches.meta.txt / fine_label_names.txt when present
};
CifarFiles find_cifar_files(const std::string& dir, CifarKind kind);

}  // namespace autoaug::data
