#pragma once

// Search spaces: named real (linear or log), integer and categorical dimensions.
//
// A point is a `Point`, one double per dimension in declaration order: the value itself for real
// and integer dimensions, the index into `choices` for categorical ones. Surrogates see points in
// "unit coordinates": reals and integers mapped to [0, 1] (log dimensions in log space, integer k
// at the centre of its 1/n-wide cell), categorical dimensions as their index.
//
// Space file format (JSON, `Space::from_json`):
//   {"dimensions": [{"name": "x", "type": "real", "low": -5, "high": 10, "log": false},
//                   {"name": "k", "type": "integer", "low": 0, "high": 9},
//                   {"name": "op", "type": "categorical", "choices": ["a", "b", "c"]}]}
// Names are unique and non-empty; real: low < high (both > 0 when log); integer: low <= high;
// categorical: at least one choice, all distinct. Unknown keys are rejected.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

namespace autoaug::search {

// Studies store a space as JSON with type names (Space::to_json), never these values.
enum class DimensionType : int { kReal = 0, kInteger = 1, kCategorical = 2 };

struct Dimension {
  std::string name;
  DimensionType type = DimensionType::kReal;
  double low = 0.0;                  // real and integer: inclusive lower bound
  double high = 1.0;                 // real and integer: inclusive upper bound
  bool log = false;                  // real only: sample and model log(value)
  std::vector<std::string> choices;  // categorical only

  static Dimension real(std::string name, double low, double high, bool log = false);
  static Dimension integer(std::string name, int64_t low, int64_t high);
  static Dimension categorical(std::string name, std::vector<std::string> choices);

  // Number of distinct values: integer and categorical dimensions only (0 for real).
  int64_t cardinality() const;
};

using Point = std::vector<double>;

class Space {
 public:
  // Validates every dimension; throws std::invalid_argument naming the offending field
  // ("dimensions[1].high: ...").
  explicit Space(std::vector<Dimension> dimensions);

  // Parses the space file format above; throws std::invalid_argument naming the field.
  static Space from_json(const nlohmann::json& j);
  // Reads and parses a space file; a missing or unreadable file or bad JSON is
  // std::invalid_argument naming the path.
  static Space from_file(const std::string& path);
  nlohmann::json to_json() const;

  size_t size() const { return dims_.size(); }
  const Dimension& dimension(size_t i) const { return dims_[i]; }
  const std::vector<Dimension>& dimensions() const { return dims_; }

  // Per dimension: 0 for a real or integer (unit coordinate in [0, 1]), the number of choices for
  // a categorical one. Surrogates use it to tell continuous from categorical features.
  std::vector<int> categories() const;

  // Number of distinct points, or 0 when a real dimension makes it infinite; saturates at 2^62.
  uint64_t cardinality() const;

  // A uniform random point (log-uniform for log dimensions). Uses only `rng`.
  Point sample(std::mt19937_64& rng) const;
  // True when every value is inside its bounds (and integral where it must be).
  bool contains(const Point& p) const;

  // Unit coordinates of a point, and back. `from_unit` clips to the bounds and rounds integers
  // and categories, so any vector maps to a valid point.
  std::vector<double> to_unit(const Point& p) const;
  Point from_unit(const double* u) const;
  Point from_unit(const std::vector<double>& u) const { return from_unit(u.data()); }

  // Canonical text form of a point: two points with equal keys are the same configuration
  // (reals compared to 12 significant digits). Used for duplicate detection.
  std::string key(const Point& p) const;

  // Parameters by name: numbers for real and integer dimensions, the choice string for
  // categorical ones.
  nlohmann::json to_params(const Point& p) const;
  // Inverse of to_params; throws std::invalid_argument naming a missing or invalid parameter.
  Point from_params(const nlohmann::json& params) const;

 private:
  std::vector<Dimension> dims_;
};

}  // namespace autoaug::search
