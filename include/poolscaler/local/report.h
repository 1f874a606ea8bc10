#pragma once
// What `poolscaler local` leaves behind in its report directory: decisions.csv (one row per
// ScaledObject per KEDA poll and per HPA sync), plot.svg (lag, and desired vs running replicas, per
// pool) and summary.txt. Pure text; the driver writes the files.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "poolscaler/local/replica_set.h"

namespace poolscaler::local {

struct DecisionRow {
  double t = 0;                   // seconds since the driver started
  std::string by = "keda";        // "keda": KEDA's poll; "hpa": an HPA sync
  std::string pool;               // the ScaledObject
  std::string phase;              // the load phase ("" when unknown)
  std::optional<double> lag;      // what poolscaler saw (GET /pools)
  std::optional<int64_t> demand;  // poolscaler's raw desired replicas, before its limits
  std::string metric;             // the metric name GetMetricSpec announced
  double metric_value = 0;
  double target = 0;
  bool active = false;
  std::string reason;   // ScaleReasonName
  int64_t hpa_raw = 0;  // ceil(metric / target)
  int64_t desired = 0;  // the replicas KEDA + the HPA set
  int64_t running = 0;  // worker processes running after the decision
  int64_t terminating = 0;
  std::string limits;  // poolscaler's and the HPA's ("hpa:max"), '|'-separated
  std::string error;   // a failed poll's "RPC: message"
};

// Per ScaledObject, for the summary.
struct PoolTotals {
  int64_t max_replicas = 0;  // maxReplicaCount
  ReplicaSet::Counts workers;
};

// Phases of the load, shaded behind the plot.
struct PhaseSpan {
  double t0 = 0, t1 = 0;
  std::string name;
  double jobs_per_second = 0;
};

std::string DecisionsCsv(const std::vector<DecisionRow>& rows);
// Per pool: the lag, then replicas — the workers alive (running + stopping), poolscaler's desired
// count (the metric KEDA gets) and its demand before limits (max, budget; drawn capped at twice
// maxReplicaCount) — with maxReplicaCount marked and the load's busy phases shaded.
std::string PlotSvg(const std::vector<DecisionRow>& rows,
                    const std::map<std::string, PoolTotals>& totals,
                    const std::vector<PhaseSpan>& phases);
// One line per pool: polls, peak desired and running, seconds active, how often each limit
// applied, and what became of its worker processes.
std::string SummaryText(const std::vector<DecisionRow>& rows,
                        const std::map<std::string, PoolTotals>& totals);

}  // namespace poolscaler::local
