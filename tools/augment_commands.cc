// autoaug ops | augment | apply | preview: the augmentation library from the command line.

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "augment/image_io.h"
#include "augment/op.h"
#include "augment/policy.h"
#include "augment/presets.h"
#include "augment/preview.h"
#include "data/data_source.h"
#include "tools/commands.h"
#include "tools/quiet_stderr.h"

namespace autoaug::tools {
namespace {

namespace aug = autoaug::augment;

// "128" or "10,20,30" -> fill values.
std::vector<double> parse_fill(const std::string& text) {
  std::vector<double> fill;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    try {
      size_t used = 0;
      fill.push_back(std::stod(item, &used));
      if (used != item.size()) throw std::invalid_argument(item);
    } catch (const std::exception&) {
      throw std::invalid_argument("--fill: \"" + text + "\" is not a number or a list a,b,c");
    }
  }
  if (fill.size() != 1 && fill.size() != 3) {
    throw std::invalid_argument("--fill: needs 1 value or 3 (one per channel)");
  }
  for (double f : fill) {
    if (f < 0 || f > 255) throw std::invalid_argument("--fill: values must be within 0..255");
  }
  return fill;
}

// read_image without the decoder's own stderr chatter: the error message says it all.
cv::Mat read_input(const std::string& path) {
  QuietStderr quiet;
  return aug::read_image(path);
}

// A generator for image `index`, repetition `repeat` of a run seeded with `seed`: independent of
// the order in which images are processed.
std::mt19937_64 image_rng(uint64_t seed, uint64_t index, uint64_t repeat) {
  std::seed_seq seq{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32),
                    static_cast<uint32_t>(index), static_cast<uint32_t>(repeat)};
  return std::mt19937_64(seq);
}

void print_ops(bool as_json) {
  const aug::OpRegistry& ops = aug::builtin_ops();
  if (as_json) {
    nlohmann::json out = nlohmann::json::array();
    for (const aug::Op& op : ops.ops()) {
      const aug::OpSchema& s = op.schema();
      out.push_back({{"name", s.name},
                     {"doc", s.doc},
                     {"unit", s.unit},
                     {"uses_magnitude", s.uses_magnitude},
                     {"signed", s.is_signed},
                     {"min_value", s.min_value},
                     {"max_value", s.max_value},
                     {"standard_range", s.standard_range},
                     {"wide_range", s.wide_range},
                     {"channels", s.channels},
                     {"torchvision", s.in_torchvision}});
    }
    std::printf("%s\n", nlohmann::json{{"ops", out}}.dump(2).c_str());
    return;
  }
  std::printf("%-13s %-18s %-6s %-15s %-19s %-12s %s\n", "op", "parameter", "signed",
              "--value range", "bins (standard)", "bins (wide)", "description");
  for (const aug::Op& op : ops.ops()) {
    const aug::OpSchema& s = op.schema();
    char range[64] = "-";
    if (s.uses_magnitude) std::snprintf(range, sizeof range, "%g..%g", s.min_value, s.max_value);
    std::printf("%-13s %-18s %-6s %-15s %-19s %-12s %s\n", s.name.c_str(),
                s.unit.empty() ? "-" : s.unit.c_str(), s.is_signed ? "yes" : "no", range,
                s.standard_range.c_str(), s.wide_range.c_str(), s.doc.c_str());
  }
  std::printf(
      "\nImages are uint8 with 1 or 3 channels. Bins map through torchvision 0.14's "
      "spaces:\nstandard = AutoAugment/RandAugment, wide = TrivialAugmentWide. Signed ops "
      "take a random sign\nwhen applied from a policy.\n");
}

struct AugmentArgs {
  std::string op;
  double value = 0.0;
  int bin = 0;
  int bins = 10;
  std::string space = "standard";
  bool negative = false;
  std::string fill = "0";
  uint64_t seed = 0;
  std::string input;
  std::string output;
};

void run_augment(const AugmentArgs& a, const CLI::Option* value_opt) {
  const aug::Op& op = aug::builtin_ops().at(a.op);
  const cv::Mat in = read_input(a.input);
  double value = a.value;
  if (value_opt->count() == 0) {
    value = aug::signed_bin_value(op, a.bin, a.bins, aug::parse_magnitude_space(a.space),
                                  a.negative, in.rows, in.cols);
  }
  std::mt19937_64 rng(a.seed);
  aug::OpContext ctx;
  ctx.fill = parse_fill(a.fill);
  ctx.rng = &rng;
  aug::write_image(a.output, op.apply(in, value, ctx));
}

struct ApplyArgs {
  std::string policy;
  uint64_t seed = 0;
  int repeat = 1;
  std::string fill;
  std::vector<std::string> inputs;
  std::string out_dir;
};

aug::Augmenter make_augmenter(const std::string& spec, const std::string& fill) {
  aug::Policy policy = aug::load_policy(spec);
  if (!fill.empty()) policy.fill = parse_fill(fill);
  return aug::Augmenter(std::move(policy));
}

void run_apply(const ApplyArgs& a) {
  if (a.repeat < 1) throw std::invalid_argument("--repeat: must be at least 1");
  const aug::Augmenter augmenter = make_augmenter(a.policy, a.fill);
  // Read everything first: a bad input stops the run before anything is written.
  std::vector<cv::Mat> images;
  for (const std::string& path : a.inputs) images.push_back(read_input(path));
  std::filesystem::create_directories(a.out_dir);
  for (size_t i = 0; i < images.size(); ++i) {
    const std::string stem = std::filesystem::path(a.inputs[i]).stem().string();
    for (int k = 0; k < a.repeat; ++k) {
      std::mt19937_64 rng = image_rng(a.seed, i, k);
      const std::string name =
          a.repeat == 1 ? stem + ".png" : stem + "_" + std::to_string(k) + ".png";
      const std::string out = (std::filesystem::path(a.out_dir) / name).string();
      aug::write_image(out, augmenter.apply(images[i], rng));
      std::printf("%s\n", out.c_str());
    }
  }
}

struct PreviewArgs {
  std::string policy;
  uint64_t seed = 0;
  std::string fill;
  std::string image;
  std::string data;  // a data set spec, instead of an image file
  size_t index = 0;
  std::string output;
  std::string grid = "4x8";
};

void run_preview(const PreviewArgs& a) {
  int rows = 0, cols = 0;
  char sep = 0;
  std::istringstream g(a.grid);
  if (!(g >> rows >> sep >> cols) || (sep != 'x' && sep != 'X') || rows < 1 || cols < 1 ||
      rows * cols > 4096 || !g.eof()) {
    throw std::invalid_argument("--grid: \"" + a.grid + "\" is not RxC (e.g. 4x8)");
  }
  const aug::Augmenter augmenter = make_augmenter(a.policy, a.fill);
  if (a.image.empty() == a.data.empty()) {
    throw std::invalid_argument("preview: give an IMAGE file or --data SPEC (not both)");
  }
  cv::Mat image;
  if (!a.data.empty()) {
    const data::DataSource source = data::open_data_source(a.data);
    const data::Dataset& set = source.test ? *source.test : *source.train;
    if (a.index >= set.size()) {
      throw std::invalid_argument("--index: " + std::to_string(a.index) + " is outside 0.." +
                                  std::to_string(set.size() - 1) + " of " + set.name());
    }
    image = set.get(a.index).image;
  } else {
    image = read_input(a.image);
  }
  std::vector<cv::Mat> tiles{image};
  for (int i = 1; i < rows * cols; ++i) {
    std::mt19937_64 rng = image_rng(a.seed, 0, i);
    tiles.push_back(augmenter.apply(image, rng));
  }
  aug::write_image(a.output, aug::make_grid(tiles, rows, cols));
  std::printf("%s: %dx%d grid, the original top left, %d augmented copies\n", a.output.c_str(),
              rows, cols, rows * cols - 1);
}

}  // namespace

void add_augment_commands(CLI::App& app, CLI::App& bench) {
  auto* ops = app.add_subcommand("ops", "List the augmentation ops and their schema");
  auto ops_json = std::make_shared<bool>(false);
  ops->add_flag("--json", *ops_json, "Print JSON");
  ops->callback([ops_json] { print_ops(*ops_json); });

  auto a = std::make_shared<AugmentArgs>();
  auto* augment = app.add_subcommand(
      "augment", "Apply one op deterministically (parameter in torchvision's units, or a bin)");
  augment->add_option("--op", a->op, "Op name (see `autoaug ops`)")->required();
  auto* value = augment->add_option("--value", a->value,
                                    "Parameter as torchvision's _apply_op takes it (degrees, "
                                    "pixels, shear factor, enhancement delta, bits, threshold)");
  auto* bin = augment->add_option("--bin", a->bin, "Magnitude bin, mapped as AutoAugment does");
  value->excludes(bin);
  augment->add_option("--bins", a->bins, "Number of bins (10 AutoAugment, 31 RandAugment)")
      ->needs(bin);
  augment->add_option("--space", a->space, "Bin space: standard (AutoAugment) or wide")->needs(bin);
  augment->add_flag("--negative", a->negative, "Take the negative sign (signed ops)")->needs(bin);
  augment->add_option("--fill", a->fill, "Fill for uncovered pixels: V or R,G,B (default 0)");
  augment->add_option("--seed", a->seed, "Seed for ops that draw positions (Cutout)");
  augment->add_option("input", a->input, "Input image")->required();
  augment->add_option("output", a->output, "Output image (format from the extension)")->required();
  augment->callback([a, value, bin] {
    if (value->count() == 0 && bin->count() == 0) {
      throw std::invalid_argument("augment: give --value V or --bin B");
    }
    run_augment(*a, value);
  });

  auto p = std::make_shared<ApplyArgs>();
  auto* apply = app.add_subcommand("apply", "Augment image files with a policy");
  apply->add_option("--policy", p->policy, "Policy file or preset name")->required();
  apply->add_option("--seed", p->seed, "Seed (same seed, same images)")->required();
  apply->add_option("--repeat", p->repeat, "Augmented copies per input (default 1)");
  apply->add_option("--fill", p->fill, "Override the policy's fill: V or R,G,B");
  apply->add_option("inputs", p->inputs, "Input images")->required();
  apply->add_option("-o,--output", p->out_dir, "Output directory")->required();
  apply->callback([p] { run_apply(*p); });

  auto v = std::make_shared<PreviewArgs>();
  auto* preview = app.add_subcommand("preview", "Draw one image augmented many times as a grid");
  preview->add_option("--policy", v->policy, "Policy file or preset name")->required();
  preview->add_option("--seed", v->seed, "Seed")->required();
  preview->add_option("--grid", v->grid, "Rows x columns (default 4x8)");
  preview->add_option("--fill", v->fill, "Override the policy's fill: V or R,G,B");
  preview->add_option("image", v->image, "Input image (or --data)");
  preview->add_option("--data", v->data,
                      "Take the image from a data set instead, e.g. fashion-mnist (test split)");
  preview->add_option("--index", v->index, "Example index in --data (default 0)");
  preview->add_option("-o,--output", v->output, "Output image, e.g. grid.png")->required();
  preview->callback([v] { run_preview(*v); });

  add_bench_augment_command(bench);
}

}  // namespace autoaug::tools
