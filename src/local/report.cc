#include "poolscaler/local/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "poolscaler/sim/simulator.h"
#include "poolscaler/sim/svg_chart.h"

namespace poolscaler::local {
namespace {

std::vector<std::string> PoolsInOrder(const std::vector<DecisionRow>& rows) {
  std::vector<std::string> pools;
  for (const DecisionRow& r : rows) {
    if (std::find(pools.begin(), pools.end(), r.pool) == pools.end()) pools.push_back(r.pool);
  }
  return pools;
}

std::vector<std::string> Split(const std::string& text, char sep) {
  std::vector<std::string> out;
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find(sep, start);
    if (end == std::string::npos) end = text.size();
    if (end > start) out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace

std::string DecisionsCsv(const std::vector<DecisionRow>& rows) {
  using sim::CsvCell;
  std::string out =
      "t,pool,phase,lag,demand,metric,metric_value,target,active,reason,hpa_raw,desired,running,"
      "terminating,limits,error,by\n";
  for (const DecisionRow& r : rows) {
    out += fmt::format("{:.1f},{},{},{},{},{},{:g},{:g},{},{},{},{},{},{},{},{},{}\n", r.t,
                       CsvCell(r.pool), CsvCell(r.phase),
                       r.lag ? fmt::format("{:g}", *r.lag) : std::string(),
                       r.demand ? std::to_string(*r.demand) : std::string(), CsvCell(r.metric),
                       r.metric_value, r.target, r.active ? 1 : 0, r.reason, r.hpa_raw, r.desired,
                       r.running, r.terminating, CsvCell(r.limits), CsvCell(r.error), r.by);
  }
  return out;
}

std::string PlotSvg(const std::vector<DecisionRow>& rows,
                    const std::map<std::string, PoolTotals>& totals,
                    const std::vector<PhaseSpan>& phases) {
  double t_max = 1;
  for (const DecisionRow& r : rows) t_max = std::max(t_max, r.t);
  std::vector<sim::Band> bands;
  for (const PhaseSpan& p : phases) {
    if (p.jobs_per_second <= 0) continue;
    bands.push_back({p.t0, p.t1, fmt::format("{} {:g}/s", p.name, p.jobs_per_second),
                     p.jobs_per_second >= 10 ? "#fbe3cf" : "#fdf3e8"});
  }
  std::vector<sim::Chart> charts;
  for (const std::string& pool : PoolsInOrder(rows)) {
    sim::Chart lag{.title = pool + " — lag (messages poolscaler sees)"};
    sim::ChartLine lag_line{.label = "lag", .color = "#1f77b4"};
    sim::Chart replicas{.title = pool + " — replicas"};
    sim::ChartLine alive{.label = "workers alive", .color = "#2ca02c", .step = true};
    sim::ChartLine desired{
        .label = "poolscaler desired", .color = "#ff7f0e", .dashed = true, .step = true};
    sim::ChartLine demand{
        .label = "demand before limits (capped)", .color = "#7f7f7f", .dotted = true, .step = true};
    for (const DecisionRow& r : rows) {
      if (r.pool != pool) continue;
      if (r.lag) lag_line.points.emplace_back(r.t, *r.lag);
      if (r.demand) demand.points.emplace_back(r.t, static_cast<double>(*r.demand));
      if (r.error.empty()) desired.points.emplace_back(r.t, r.metric_value);
      alive.points.emplace_back(r.t, static_cast<double>(r.running + r.terminating));
    }
    lag.lines.push_back(std::move(lag_line));
    replicas.lines.push_back(std::move(alive));
    replicas.lines.push_back(std::move(desired));
    replicas.lines.push_back(std::move(demand));
    if (auto it = totals.find(pool); it != totals.end() && it->second.max_replicas > 0) {
      // The demand can be many times the maximum: it is drawn capped at the top.
      replicas.y_max = 2.0 * static_cast<double>(it->second.max_replicas);
      replicas.reference = std::pair{static_cast<double>(it->second.max_replicas),
                                     fmt::format("maxReplicaCount {}", it->second.max_replicas)};
    }
    charts.push_back(std::move(lag));
    charts.push_back(std::move(replicas));
  }
  return sim::ChartsSvg("poolscaler local: lag and worker replicas over time (s)", charts, t_max,
                        bands);
}

std::string SummaryText(const std::vector<DecisionRow>& rows,
                        const std::map<std::string, PoolTotals>& totals) {
  std::string out = fmt::format("{:<14} {:>5} {:>8} {:>8} {:>9}  {:<30}  {}\n", "pool", "polls",
                                "peak", "peak", "active", "workers", "limits applied (polls)");
  out += fmt::format("{:<14} {:>5} {:>8} {:>8} {:>9}  {:<30}\n", "", "", "desired", "running",
                     "polls", "started/clean/failed/killed/crashed");
  for (const std::string& pool : PoolsInOrder(rows)) {
    int64_t polls = 0, peak_desired = 0, peak_running = 0, active = 0;
    std::map<std::string, int64_t> limits;
    for (const DecisionRow& r : rows) {
      if (r.pool != pool) continue;
      peak_desired = std::max(peak_desired, r.desired);
      peak_running = std::max(peak_running, r.running);
      if (r.by != "keda") continue;  // HPA syncs: in the peaks, not in the poll counts
      polls++;
      if (r.active) active++;
      for (const std::string& l : Split(r.limits, '|')) limits[l]++;
    }
    std::string limit_text;
    for (const auto& [name, n] : limits) {
      limit_text += fmt::format("{}{} ×{}", limit_text.empty() ? "" : ", ", name, n);
    }
    ReplicaSet::Counts c;
    if (auto it = totals.find(pool); it != totals.end()) c = it->second.workers;
    out += fmt::format("{:<14} {:>5} {:>8} {:>8} {:>9}  {:<30}  {}\n", pool, polls, peak_desired,
                       peak_running, active,
                       fmt::format("{}/{}/{}/{}/{}", c.started, c.stopped_clean, c.stopped_failed,
                                   c.killed, c.crashed),
                       limit_text.empty() ? "-" : limit_text);
  }
  return out;
}

}  // namespace poolscaler::local
