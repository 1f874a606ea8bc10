// decisions.csv, summary.csv and the SVG plot.
#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "poolscaler/sim/simulator.h"
#include "poolscaler/sim/svg_chart.h"

namespace poolscaler::sim {
std::string CsvCell(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

namespace {

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
  // Two charts per pool, backlog then replicas, with one line per policy.
  std::vector<std::string> pools;
  std::set<PolicyKind> policies;
  int64_t t_max = 1;
  for (const SecondRow& r : rows) {
    if (std::find(pools.begin(), pools.end(), r.pool) == pools.end()) pools.push_back(r.pool);
    policies.insert(r.policy);
    t_max = std::max(t_max, r.t);
  }
  std::vector<Chart> charts;
  for (const std::string& pool : pools) {
    for (int chart = 0; chart < 2; ++chart) {
      Chart c;
      c.title = fmt::format("{} — {}", pool, chart == 0 ? "backlog" : "replicas");
      for (PolicyKind k : policies) {
        ChartLine line;
        line.label = PolicyName(k);
        line.color = Color(k);
        line.step = chart == 1;
        for (const SecondRow& r : rows) {
          if (r.pool != pool || r.policy != k) continue;
          line.points.emplace_back(static_cast<double>(r.t),
                                   chart == 0 ? r.backlog : static_cast<double>(r.replicas));
        }
        c.lines.push_back(std::move(line));
      }
      charts.push_back(std::move(c));
    }
  }
  return ChartsSvg("poolscaler simulate: backlog (jobs) and replicas over time (s)", charts,
                   static_cast<double>(t_max));
}

}  // namespace poolscaler::sim
