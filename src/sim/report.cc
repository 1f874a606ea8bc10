// decisions.csv, summary.csv and the SVG plot.
#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "poolscaler/sim/simulator.h"

namespace poolscaler::sim {
namespace {

// Pool names come from the config; keep CSV cells and SVG text safe anyway.
std::string CsvCell(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string XmlText(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

const char* Color(PolicyKind k) {
  switch (k) {
    case PolicyKind::kPoolscaler: return "#1f77b4";
    case PolicyKind::kKedaDefault: return "#d62728";
    case PolicyKind::kKpa: return "#2ca02c";
  }
  return "#000";
}

}  // namespace

std::string DecisionsCsv(const std::vector<SecondRow>& rows) {
  std::string out =
      "t,pool,policy,arrivals,backlog,oldest_age_s,replicas,desired,active,signal,limited_by\n";
  for (const SecondRow& r : rows) {
    out += fmt::format("{},{},{},{:g},{:.3f},{:g},{},{},{},{},{}\n", r.t, CsvCell(r.pool),
                       PolicyName(r.policy), r.arrivals, r.backlog, r.oldest_age_s, r.replicas,
                       r.desired, r.active ? 1 : 0, CsvCell(r.signal), CsvCell(r.limited_by));
  }
  return out;
}

std::string SummaryCsv(const std::vector<Summary>& summaries) {
  std::string out =
      "policy,pool,replica_seconds,seconds_over_slo,scale_changes,max_replicas,"
      "budget_violations,zero_one_flaps\n";
  for (const Summary& s : summaries) {
    out += fmt::format("{},{},{:.0f},{},{},{},{},{}\n", PolicyName(s.policy), CsvCell(s.pool),
                       s.replica_seconds, s.seconds_over_slo, s.scale_changes, s.max_replicas,
                       s.budget_violations, s.zero_one_flaps);
  }
  return out;
}

std::string PlotSvg(const std::vector<SecondRow>& rows) {
  // Panels: one per pool, each with a backlog chart (top) and a replicas chart (bottom).
  std::vector<std::string> pools;
  std::set<PolicyKind> policies;
  int64_t t_max = 1;
  double backlog_max = 1;
  std::map<std::string, std::pair<double, int64_t>> pool_max;  // backlog, replicas
  for (const SecondRow& r : rows) {
    if (std::find(pools.begin(), pools.end(), r.pool) == pools.end()) pools.push_back(r.pool);
    policies.insert(r.policy);
    t_max = std::max(t_max, r.t);
    auto& m = pool_max[r.pool];
    m.first = std::max(m.first, r.backlog);
    m.second = std::max(m.second, std::max(r.replicas, r.desired));
  }
  (void)backlog_max;
  const int width = 1100, chart_h = 150, gap = 40, left = 70, right = 20;
  const int panel_h = 2 * chart_h + 3 * gap;
  const int height = 60 + panel_h * static_cast<int>(std::max<size_t>(pools.size(), 1));
  const double plot_w = width - left - right;
  // At most ~1500 points per line: keep every k-th second (max of the bucket for backlog).
  const int64_t step = std::max<int64_t>(1, (t_max + 1) / 1500);
  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" "
      "fill=\"white\"/>\n",
      width, height);
  svg += "<text x=\"10\" y=\"20\" font-size=\"16\">poolscaler simulate: backlog (jobs) and "
         "replicas over time (s)</text>\n";
  int lx = 10;
  for (PolicyKind k : policies) {
    svg += fmt::format("<rect x=\"{}\" y=\"30\" width=\"14\" height=\"4\" fill=\"{}\"/>"
                       "<text x=\"{}\" y=\"36\">{}</text>\n",
                       lx, Color(k), lx + 18, PolicyName(k));
    lx += 130;
  }
  for (size_t pi = 0; pi < pools.size(); ++pi) {
    const std::string& pool = pools[pi];
    int top = 60 + static_cast<int>(pi) * panel_h;
    auto [bmax, rmax] = pool_max[pool];
    bmax = std::max(bmax, 1.0);
    double rmaxd = std::max<double>(static_cast<double>(rmax), 1.0);
    for (int chart = 0; chart < 2; ++chart) {
      int y0 = top + gap + chart * (chart_h + gap);
      double ymax = chart == 0 ? bmax : rmaxd;
      svg += fmt::format(
          "<text x=\"{}\" y=\"{}\" font-weight=\"bold\">{} — {}</text>\n"
          "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#999\"/>\n"
          "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{:g}</text>"
          "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">0</text>"
          "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{} s</text>\n",
          left, y0 - 6, XmlText(pool), chart == 0 ? "backlog" : "replicas", left, y0, plot_w,
          chart_h, left - 4, y0 + 10, ymax, left - 4, y0 + chart_h, left + plot_w,
          y0 + chart_h + 14, t_max);
      for (PolicyKind k : policies) {
        std::string points;
        double bucket = 0;
        for (const SecondRow& r : rows) {
          if (r.pool != pool || r.policy != k) continue;
          double v = chart == 0 ? r.backlog : static_cast<double>(r.replicas);
          bucket = std::max(bucket, v);
          if (r.t % step != 0 && r.t != t_max) continue;
          double x = left + plot_w * static_cast<double>(r.t) / static_cast<double>(t_max);
          double y = y0 + chart_h - chart_h * std::min(bucket, ymax) / ymax;
          points += fmt::format("{:.1f},{:.1f} ", x, y);
          bucket = 0;
        }
        svg += fmt::format(
            "<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"1.2\" opacity=\"0.8\" "
            "points=\"{}\"/>\n",
            Color(k), points);
      }
    }
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace poolscaler::sim
