#include "poolscaler/sim/svg_chart.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace poolscaler::sim {
namespace {

constexpr int kWidth = 1100, kChartHeight = 150, kGap = 46, kLeft = 70, kRight = 20, kTop = 40;
constexpr double kPlotWidth = kWidth - kLeft - kRight;
constexpr size_t kMaxPoints = 1500;

// Points reduced to at most kMaxPoints buckets over [0, t_max], keeping each bucket's maximum.
std::vector<std::pair<double, double>> Reduce(const std::vector<std::pair<double, double>>& points,
                                              double t_max) {
  if (points.size() <= kMaxPoints) return points;
  std::vector<std::pair<double, double>> out;
  double bucket = t_max / static_cast<double>(kMaxPoints);
  for (const auto& [t, v] : points) {
    if (!out.empty() && std::floor(t / bucket) == std::floor(out.back().first / bucket)) {
      out.back().second = std::max(out.back().second, v);
    } else {
      out.emplace_back(t, v);
    }
  }
  return out;
}

}  // namespace

std::string XmlText(const std::string& s) {
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

std::string ChartsSvg(const std::string& title, const std::vector<Chart>& charts, double t_max,
                      const std::vector<Band>& bands) {
  t_max = std::max(t_max, 1.0);
  const int height = kTop + static_cast<int>(charts.size()) * (kChartHeight + kGap) + 20;
  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" "
      "fill=\"white\"/>\n<text x=\"10\" y=\"22\" font-size=\"16\">{}</text>\n",
      kWidth, height, XmlText(title));
  for (size_t ci = 0; ci < charts.size(); ++ci) {
    const Chart& chart = charts[ci];
    const int y0 = kTop + kGap + static_cast<int>(ci) * (kChartHeight + kGap);
    double ymax = 1;
    for (const ChartLine& line : chart.lines) {
      for (const auto& p : line.points) ymax = std::max(ymax, p.second);
    }
    if (chart.reference) ymax = std::max(ymax, chart.reference->first);
    if (chart.y_max) ymax = *chart.y_max;
    svg += fmt::format(
        "<text x=\"{}\" y=\"{}\" font-weight=\"bold\">{}</text>\n"
        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#999\"/>\n"
        "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{:g}</text>"
        "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">0</text>"
        "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{:g} s</text>\n",
        kLeft, y0 - 8, XmlText(chart.title), kLeft, y0, kPlotWidth, kChartHeight, kLeft - 4,
        y0 + 10, ymax, kLeft - 4, y0 + kChartHeight, kLeft + kPlotWidth, y0 + kChartHeight + 14,
        std::round(t_max));
    auto x_of = [&](double t) { return kLeft + kPlotWidth * std::clamp(t / t_max, 0.0, 1.0); };
    auto y_of = [&](double v) {
      return y0 + kChartHeight - kChartHeight * std::clamp(v / ymax, 0.0, 1.0);
    };
    for (const Band& b : bands) {
      svg +=
          fmt::format("<rect x=\"{:.1f}\" y=\"{}\" width=\"{:.1f}\" height=\"{}\" fill=\"{}\"/>\n",
                      x_of(b.t0), y0, std::max(0.0, x_of(b.t1) - x_of(b.t0)), kChartHeight, b.fill);
      if (ci == 0) {
        svg += fmt::format("<text x=\"{:.1f}\" y=\"{}\" fill=\"#666\">{}</text>\n", x_of(b.t0) + 3,
                           y0 + 12, XmlText(b.label));
      }
    }
    if (chart.reference) {
      double y = y_of(chart.reference->first);
      svg += fmt::format(
          "<line x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\" stroke=\"#d62728\" "
          "stroke-dasharray=\"2,3\"/><text x=\"{}\" y=\"{:.1f}\" fill=\"#d62728\" "
          "text-anchor=\"end\">{}</text>\n",
          kLeft, y, kLeft + kPlotWidth, y, kLeft + kPlotWidth - 4, y - 3 < y0 + 12 ? y + 13 : y - 3,
          XmlText(chart.reference->second));
    }
    double legend_x = kLeft + kPlotWidth - 200.0 * static_cast<double>(chart.lines.size());
    for (const ChartLine& line : chart.lines) {
      std::string points;
      double last_y = -1;
      for (const auto& [t, v] : Reduce(line.points, t_max)) {
        double x = x_of(t), y = y_of(v);
        if (line.step && last_y >= 0) points += fmt::format("{:.1f},{:.1f} ", x, last_y);
        points += fmt::format("{:.1f},{:.1f} ", x, y);
        last_y = y;
      }
      svg += fmt::format(
          "<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"1.4\" opacity=\"0.85\"{} "
          "points=\"{}\"/>\n<rect x=\"{:.0f}\" y=\"{}\" width=\"14\" height=\"4\" fill=\"{}\"/>"
          "<text x=\"{:.0f}\" y=\"{}\">{}</text>\n",
          line.color,
          line.dashed ? " stroke-dasharray=\"6,3\""
                      : (line.dotted ? " stroke-dasharray=\"1,2\"" : ""),
          points, legend_x, y0 - 14, line.color, legend_x + 18, y0 - 8, XmlText(line.label));
      legend_x += 200;
    }
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace poolscaler::sim
