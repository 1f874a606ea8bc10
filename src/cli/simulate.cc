#include "simulate.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "poolscaler/config/config.h"
#include "poolscaler/sim/simulator.h"

namespace poolscaler::cli {
namespace {

bool WriteText(const std::filesystem::path& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << text;
  f.close();
  if (!f) {
    std::fprintf(stderr, "simulate: cannot write %s\n", path.c_str());
    return false;
  }
  return true;
}

}  // namespace

int Simulate(const SimulateOptions& options) {
  absl::StatusOr<config::Config> cfg = config::LoadConfigFile(options.config_path);
  if (!cfg.ok()) {
    std::fprintf(stderr, "%s\n", std::string(cfg.status().message()).c_str());
    return 1;
  }
  std::ifstream in(options.trace_path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "simulate: cannot read trace %s\n", options.trace_path.c_str());
    return 1;
  }
  std::stringstream text;
  text << in.rdbuf();
  absl::StatusOr<std::vector<sim::TraceRow>> trace = sim::ParseTrace(text.str());
  if (!trace.ok()) {
    std::fprintf(stderr, "%s: %s\n", options.trace_path.c_str(),
                 std::string(trace.status().message()).c_str());
    return 1;
  }
  std::vector<sim::SimPool> pools;
  for (const config::PoolSpec& p : cfg->pools) {
    sim::SimPool sp;
    sp.name = p.name;
    sp.params = p.params;
    sp.lag_threshold = p.signals.front().lag_threshold;
    sp.activation_threshold = p.signals.front().activation_lag_threshold;
    sp.sample_interval = Duration::max();
    for (const config::SignalSpec& s : p.signals) {
      if (const config::SourceSpec* src = cfg->FindSource(s.source)) {
        sp.sample_interval = std::min(sp.sample_interval, src->sample_interval);
      }
    }
    if (sp.sample_interval == Duration::max()) sp.sample_interval = std::chrono::seconds(5);
    sp.per_replica_rate = p.model.per_replica_rate;
    sp.startup = p.model.startup;
    sp.backlog_age_slo = p.model.backlog_age_slo;
    pools.push_back(std::move(sp));
  }
  std::vector<sim::PolicyKind> kinds = {sim::PolicyKind::kPoolscaler};
  if (options.baseline == "keda-default" || options.baseline == "all") {
    kinds.push_back(sim::PolicyKind::kKedaDefault);
  }
  if (options.baseline == "kpa" || options.baseline == "all") kinds.push_back(sim::PolicyKind::kKpa);
  std::vector<sim::SecondRow> rows;
  std::vector<sim::Summary> summaries;
  for (sim::PolicyKind k : kinds) {
    absl::StatusOr<sim::SimResult> r = sim::Simulate(pools, cfg->tier_groups, *trace, k);
    if (!r.ok()) {
      std::fprintf(stderr, "%s\n", std::string(r.status().message()).c_str());
      return 1;
    }
    rows.insert(rows.end(), r->rows.begin(), r->rows.end());
    summaries.insert(summaries.end(), r->summaries.begin(), r->summaries.end());
  }
  std::error_code ec;
  std::filesystem::create_directories(options.out_dir, ec);
  std::filesystem::path dir(options.out_dir);
  if (!WriteText(dir / "decisions.csv", sim::DecisionsCsv(rows)) ||
      !WriteText(dir / "summary.csv", sim::SummaryCsv(summaries)) ||
      !WriteText(dir / "plot.svg", sim::PlotSvg(rows))) {
    return 1;
  }
  std::fputs(sim::SummaryCsv(summaries).c_str(), stdout);
  return 0;
}

}  // namespace poolscaler::cli
