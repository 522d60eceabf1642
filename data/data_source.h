#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "data/dataset.h"

namespace autoaug::data {

// A named data set as the command line gives it, opened: its training and test sets plus what
// the loader needs to know about it.
//
//   fashion-mnist   Debian's dataset-fashion-mnist (/usr/share/datasets/fashion-mnist)
//   idx:DIR         MNIST-style IDX files in DIR (train-/t10k-images-idx3-ubyte[.gz], labels)
//   cifar10:DIR     CIFAR-10 binary batches (data_batch_1..5.bin, test_batch.bin)
//   cifar100:DIR    CIFAR-100 binary (train.bin, test.bin), fine labels
//   folder:DIR      one sub-folder per class; DIR/train and DIR/test (or DIR/val) when present,
//                   otherwise DIR is the training set and there is no test set
struct DataSource {
  std::string spec;  // as given
  std::shared_ptr<const Dataset> train;
  std::shared_ptr<const Dataset> test;  // null when the source has none
  int height = 0;                       // image size every batch is brought to
  int width = 0;
  int channels = 0;
  bool flip = false;        // horizontal flips preserve the label (not for digits)
  std::vector<float> mean;  // per channel, of the training set, in 0..1
  std::vector<float> std;   // per channel, of the training set
};

// Where `fashion-mnist` is read from.
inline constexpr std::string_view kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

// Opens a data set by its spec. Throws std::invalid_argument naming the spec, folder or file on
// an unknown kind, a missing file or a corrupt one.
DataSource open_data_source(std::string_view spec);

// The spec forms accepted, one per line, for --help texts.
std::string data_source_help();

// Per-channel mean and standard deviation (in 0..1) over up to `max_images` evenly spaced
// examples of `dataset` (all when it holds fewer).
void channel_stats(const Dataset& dataset, std::size_t max_images, std::vector<float>& mean,
                   std::vector<float>& std);

}  // namespace autoaug::data
