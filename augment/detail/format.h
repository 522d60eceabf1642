#pragma once

#include <cstdio>
#include <string>

namespace autoaug::augment::detail {

// Shortest readable form of a number for error messages ("12", "0.7", "1e+06").
inline std::string format_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

}  // namespace autoaug::augment::detail
