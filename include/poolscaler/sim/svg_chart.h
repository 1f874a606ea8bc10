#pragma once
// A small SVG writer for stacked time charts sharing one time axis, used by `poolscaler
// simulate` (plot.svg) and `poolscaler local` (demo-report/plot.svg). Pure text; no state.
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace poolscaler::sim {

// A shaded stretch of time drawn behind every chart (a load phase).
struct Band {
  double t0 = 0, t1 = 0;
  std::string label;
  std::string fill;  // any SVG color
};

struct ChartLine {
  std::string label{};                              // legend text
  std::string color{};                              // any SVG color ("#1f77b4")
  std::vector<std::pair<double, double>> points{};  // (t seconds, value), t ascending
  bool dashed = false;
  bool dotted = false;
  bool step = false;  // hold each value until the next point (replica counts)
};

struct Chart {
  std::string title{};
  std::vector<ChartLine> lines{};
  std::optional<double> y_max{};  // default: the highest point (at least 1)
  // A horizontal reference line (a budget, a maximum) with its label.
  std::optional<std::pair<double, std::string>> reference{};
};

// Escapes text for SVG element content and attribute values.
std::string XmlText(const std::string& text);

// Charts stacked top to bottom, time 0..t_max on every x axis, `title` above them, `bands`
// behind every chart (labelled on the first). A line with more points than the chart is wide
// keeps the maximum of each bucket.
std::string ChartsSvg(const std::string& title, const std::vector<Chart>& charts, double t_max,
                      const std::vector<Band>& bands = {});

}  // namespace poolscaler::sim
