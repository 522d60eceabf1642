// autoaug report: one self-contained HTML page for a study (inline SVG plots and base64 PNG
// grids; opens in a browser with no network).

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "augment/policy.h"
#include "augment/preview.h"
#include "data/data_source.h"
#include "tools/commands.h"
#include "tools/policy_study.h"

namespace autoaug::tools {
namespace {

using nlohmann::json;

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string base64(const std::vector<uchar>& bytes) {
  static const char* kTable = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned v = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    for (int k = 3; k >= 0; --k) out += kTable[(v >> (6 * k)) & 63];
  }
  if (i + 1 == bytes.size()) {
    const unsigned v = bytes[i] << 16;
    out += kTable[(v >> 18) & 63];
    out += kTable[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    const unsigned v = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out += kTable[(v >> 18) & 63];
    out += kTable[(v >> 12) & 63];
    out += kTable[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

// Score per trial (dots), best so far (line), the baseline (dashed).
std::string convergence_svg(const std::vector<json>& trials, double baseline) {
  const double w = 640, h = 300, left = 60, right = 20, top = 20, bottom = 40;
  double lo = baseline, hi = baseline;
  for (const json& t : trials) {
    if (t.value("state", "") != "complete") continue;
    lo = std::min(lo, t["value"].get<double>());
    hi = std::max(hi, t["value"].get<double>());
  }
  if (hi - lo < 1e-6) hi = lo + 0.01;
  const double pad = (hi - lo) * 0.08;
  lo -= pad;
  hi += pad;
  const int n = std::max<int>(1, static_cast<int>(trials.size()));
  auto x = [&](double i) { return left + (w - left - right) * (n == 1 ? 0.5 : i / (n - 1)); };
  auto y = [&](double v) { return top + (h - top - bottom) * (1.0 - (v - lo) / (hi - lo)); };
  std::ostringstream s;
  s << "<svg xmlns='http://www.w3.org/2000/svg' width='" << w << "' height='" << h
    << "' role='img' aria-label='convergence'>"
    << "<rect x='" << left << "' y='" << top << "' width='" << w - left - right << "' height='"
    << h - top - bottom << "' fill='#fafafa' stroke='#ccc'/>";
  for (int k = 0; k <= 4; ++k) {
    const double v = lo + (hi - lo) * k / 4;
    s << "<text x='" << left - 6 << "' y='" << y(v) + 4 << "' font-size='11' text-anchor='end'>"
      << fmt("%.3f", v) << "</text>";
  }
  s << "<line x1='" << left << "' x2='" << w - right << "' y1='" << y(baseline) << "' y2='"
    << y(baseline) << "' stroke='#888' stroke-dasharray='5,4'/>"
    << "<text x='" << w - right - 4 << "' y='" << y(baseline) - 5
    << "' font-size='11' text-anchor='end' fill='#666'>no augmentation " << fmt("%.4f", baseline)
    << "</text>";
  std::string path;
  double best = -1e300;
  for (size_t i = 0; i < trials.size(); ++i) {
    const json& t = trials[i];
    if (t.value("state", "") != "complete") {
      s << "<text x='" << x(i) - 4 << "' y='" << h - bottom - 4
        << "' font-size='12' fill='#c00'>&#215;</text>";
      continue;
    }
    const double v = t["value"];
    best = std::max(best, v);
    path += (path.empty() ? "M" : " L") + fmt("%.1f", x(i)) + "," + fmt("%.1f", y(best));
    s << "<circle cx='" << x(i) << "' cy='" << y(v) << "' r='3.5' fill='#1f77b4'><title>trial "
      << t.value("number", 0) << ": " << fmt("%.4f", v) << "</title></circle>";
  }
  if (!path.empty())
    s << "<path d='" << path << "' fill='none' stroke='#d62728' stroke-width='2'/>";
  s << "<text x='" << (w + left) / 2 << "' y='" << h - 8
    << "' font-size='12' text-anchor='middle'>trial</text></svg>";
  return s.str();
}

// Horizontal bars: label and value.
std::string bars_svg(const std::vector<std::pair<std::string, double>>& rows, const char* unit) {
  const double w = 640, row = 20, left = 110;
  double hi = 0;
  for (const auto& [label, v] : rows) hi = std::max(hi, v);
  if (hi <= 0) hi = 1;
  std::ostringstream s;
  s << "<svg xmlns='http://www.w3.org/2000/svg' width='" << w << "' height='"
    << row * rows.size() + 10 << "'>";
  for (size_t i = 0; i < rows.size(); ++i) {
    const double bw = (w - left - 80) * rows[i].second / hi;
    s << "<text x='" << left - 6 << "' y='" << row * i + 15 << "' font-size='12' text-anchor='end'>"
      << escape(rows[i].first) << "</text><rect x='" << left << "' y='" << row * i + 4
      << "' width='" << bw << "' height='" << row - 6 << "' fill='#2ca02c'/><text x='"
      << left + bw + 4 << "' y='" << row * i + 15 << "' font-size='11'>"
      << fmt("%.1f", rows[i].second) << unit << "</text>";
  }
  s << "</svg>";
  return s.str();
}

std::string policy_table(const augment::Policy& p) {
  std::ostringstream s;
  s << "<table><tr><th>sub-policy</th><th>op</th><th>prob</th><th>bin</th></tr>";
  for (size_t k = 0; k < p.subpolicies.size(); ++k) {
    for (size_t j = 0; j < p.subpolicies[k].size(); ++j) {
      const augment::Step& st = p.subpolicies[k][j];
      s << "<tr><td>" << (j == 0 ? std::to_string(k) : "") << "</td><td>" << escape(st.op)
        << "</td><td>" << fmt("%.2f", st.prob) << "</td><td>" << st.magnitude << "</td></tr>";
    }
  }
  s << "</table>";
  return s.str();
}

std::string grid_png(const augment::Policy& policy, const cv::Mat& image) {
  const augment::Augmenter augment(policy);
  std::vector<cv::Mat> tiles{image};
  for (int i = 1; i < 16; ++i) {
    std::mt19937_64 rng(1000 + i);
    tiles.push_back(augment.apply(image, rng));
  }
  cv::Mat grid = augment::make_grid(tiles, 2, 8, 64), bgr;
  cv::cvtColor(grid, bgr, cv::COLOR_RGB2BGR);
  std::vector<uchar> png;
  cv::imencode(".png", bgr, png);
  return "<img alt='augmented samples' src='data:image/png;base64," + base64(png) + "'/>";
}

// The re-scoring table: each candidate's mean over the fresh seeds and its gain over the baseline.
std::string rescore_html(const RescoreSummary& r) {
  std::ostringstream html;
  html << "<h2>Re-scored with " << r.seeds.size() << " fresh seeds</h2><p>" << r.finished << " of "
       << r.jobs << " trainings done. Each candidate and the baseline trained again "
       << "with the same fresh seeds; the gain is the mean per-seed difference to the baseline, "
       << "with its standard error.</p><table><tr><th>candidate</th><th>search score</th>"
       << "<th>re-scored mean &plusmn; s.e.</th><th>gain (points) &plusmn; s.e.</th></tr>";
  for (std::size_t i = 0; i < r.candidates.size(); ++i) {
    const RescoredCandidate& c = r.candidates[i];
    html << "<tr><td>" << escape(c.label) << (static_cast<int>(i) == r.chosen ? " (chosen)" : "")
         << "</td><td>" << fmt("%.4f", c.search_value) << "</td><td>" << fmt("%.4f", c.mean)
         << " &plusmn; " << fmt("%.4f", c.standard_error) << "</td><td>"
         << (i > 0 && c.paired > 0
                 ? fmt("%+.2f", 100 * c.gain) + " &plusmn; " + fmt("%.2f", 100 * c.gain_error)
                 : std::string())
         << "</td></tr>";
  }
  html << "</table><p>"
       << (r.beyond_noise ? "The chosen policy beats no augmentation by more than twice the "
                            "standard error of the gain."
                          : "No candidate beats no augmentation by more than the noise.")
       << "</p>";
  return html.str();
}

void run_report(const std::string& dir, std::string output, int top) {
  const StudyFiles study = open_study(dir);
  if (output.empty()) output = (study.dir / "report.html").string();
  const double baseline = study.config.at("baseline").at("accuracy");
  const std::vector<json> ranked = study.ranked();
  std::ostringstream html;
  html << "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>autoaug study "
       << escape(dir) << "</title><style>body{font-family:sans-serif;max-width:900px;margin:2em "
       << "auto;color:#222}table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid "
       << "#ddd;padding:2px 8px;text-align:left}h2{margin-top:1.6em}</style></head><body>";
  const json& train = study.config.at("train");
  html << "<h1>Policy search: " << escape(train.value("data", "")) << "</h1><p>"
       << study.trials.size() << " trials (" << ranked.size() << " complete), strategy "
       << escape(study.config.value("strategy", ""))
       << ", proxy: " << escape(train.value("model", "")) << " width " << train.value("width", 0.0)
       << ", " << train.value("epochs", 0) << " epochs on " << train.value("train_size", 0)
       << " images, scored on " << train.value("val_size", 0)
       << " proxy-val images. Baseline (no augmentation): " << fmt("%.4f", baseline) << ".</p>";
  html << "<h2>Convergence</h2>" << convergence_svg(study.trials, baseline);
  if (study.rescore) html << rescore_html(*study.rescore);
  cv::Mat sample;
  try {
    const data::DataSource source = data::open_data_source(train.value("data", "fashion-mnist"));
    sample = source.train->get(0).image;
  } catch (const std::exception& e) {
    html << "<p>(no sample images: " << escape(e.what()) << ")</p>";
  }
  std::map<std::string, double> op_counts;
  for (int i = 0; i < top && i < static_cast<int>(ranked.size()); ++i) {
    const augment::Policy p = study.policy_of(ranked[i]);
    const double v = ranked[i]["value"];
    html << "<h2>#" << i + 1 << ": trial " << ranked[i].value("number", 0) << ", " << fmt("%.4f", v)
         << " (" << fmt("%+.2f", 100 * (v - baseline)) << " points over the baseline";
    if (ranked[i].contains("rescored_mean")) {
      html << "; re-scored " << fmt("%.4f", ranked[i]["rescored_mean"].get<double>()) << ", "
           << fmt("%+.2f", 100 * ranked[i]["rescored_gain"].get<double>()) << " &plusmn; "
           << fmt("%.2f", 100 * ranked[i]["rescored_gain_standard_error"].get<double>())
           << " points";
    }
    // A RandAugment policy (up to 14^3 sub-policies, every op alike) reads best as its numbers.
    const std::string summary = study.summary_of(ranked[i]);
    html << ")</h2>" << (summary.empty() ? policy_table(p) : "<p>" + escape(summary) + "</p>");
    if (!sample.empty()) html << grid_png(p, sample);
    if (!summary.empty()) continue;
    for (const auto& sub : p.subpolicies) {
      for (const auto& st : sub) op_counts[st.op] += st.prob;
    }
  }
  std::vector<std::pair<std::string, double>> ops(op_counts.begin(), op_counts.end());
  std::sort(ops.begin(), ops.end(),
            [](const auto& a, const auto& b) { return a.second > b.second; });
  if (!ops.empty()) {
    html << "<h2>Ops in the top " << top << " trials (sum of probabilities)</h2>"
         << bars_svg(ops, "");
  }
  std::vector<std::pair<std::string, double>> seconds;
  for (const json& t : study.trials) {
    seconds.emplace_back("trial " + std::to_string(t.value("number", 0)), t.value("seconds", 0.0));
  }
  html << "<h2>Seconds per trial</h2>" << bars_svg(seconds, " s") << "</body></html>\n";
  std::ofstream out(output, std::ios::trunc);
  out << html.str();
  out.close();
  if (!out) throw std::invalid_argument(output + ": cannot write");
  std::printf("%s\n", output.c_str());
}

}  // namespace

void add_report_command(CLI::App& app) {
  auto dir = std::make_shared<std::string>();
  auto output = std::make_shared<std::string>();
  auto top = std::make_shared<int>(3);
  CLI::App* cmd = app.add_subcommand("report", "Write a self-contained HTML report of a study");
  cmd->add_option("--study", *dir, "Study directory")->required();
  cmd->add_option("-o,--output", *output, "HTML file (default STUDY/report.html)");
  cmd->add_option("--top", *top, "Best trials shown with their policies")->capture_default_str();
  cmd->callback([=] { run_report(*dir, *output, *top); });
}

}  // namespace autoaug::tools
