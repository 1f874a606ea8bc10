#pragma once
// `poolscaler simulate`: replays a trace against a fluid model of each pool with the SAME policy
// code the server runs (policy::Evaluate + policy::ShareBudget), or against a baseline
// autoscaler, one simulated second at a time. Deterministic and pure (no clocks, no I/O).
//
// Model, per pool and second t:
//  - arrivals of second t join a FIFO backlog at the start of the second;
//  - every ready replica finishes `per_replica_rate` jobs per second from the front (fluid:
//    fractions of a job are allowed), so the lag a signal reads is the unfinished work;
//  - the oldest waiting job's age is t - (arrival second of the front of the backlog);
//  - a scale-up creates pods that become ready `startup` later; a scale-down removes pods at
//    once (not-yet-ready ones first);
//  - a controller sees the lag and decides a replica target on its own schedule.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "poolscaler/common/time.h"
#include "poolscaler/policy/budget.h"
#include "poolscaler/policy/policy.h"
#include "poolscaler/sim/trace.h"

namespace poolscaler::sim {

struct SimPool {
  std::string name;
  policy::PoolParams params;
  double lag_threshold = 5;            // per-replica lag target of its (first) signal
  double activation_threshold = 0;     // activationLagThreshold
  Duration sample_interval{std::chrono::seconds(5)};  // poolscaler decides this often
  double per_replica_rate = 1;         // jobs per second per ready replica
  Duration startup{std::chrono::seconds(30)};
  Duration backlog_age_slo{std::chrono::seconds(60)};
  // Drain-time mode is params.drain (the server's code, policy::DrainStep): its counters are the
  // cumulative arrivals and completions, read on the sampling interval like a source's
  // arrived_total / completed_total.
};

enum class PolicyKind { kPoolscaler, kKedaDefault, kKpa };
const char* PolicyName(PolicyKind k);  // "poolscaler", "keda-default", "kpa"

// One row of decisions.csv.
struct SecondRow {
  int64_t t = 0;
  std::string pool;
  PolicyKind policy = PolicyKind::kPoolscaler;
  double arrivals = 0;
  double backlog = 0;
  double oldest_age_s = 0;
  int64_t replicas = 0;  // pods existing (ready or starting)
  int64_t desired = 0;   // the controller's target
  bool active = false;
  std::string signal;
  std::string limited_by;  // limits of the last decision, '|'-separated
};

// One row of summary.csv. Definitions (also in README): replica-seconds = Σ pods existing each
// second; seconds over SLO = seconds whose oldest waiting job is older than
// backlogAgeSLOSeconds; scale changes = seconds in which the replica target changed;
// budget violations = seconds in which the pool's tier group asked for more than its budget.
struct Summary {
  PolicyKind policy = PolicyKind::kPoolscaler;
  std::string pool;
  double replica_seconds = 0;
  int64_t seconds_over_slo = 0;
  int64_t scale_changes = 0;
  int64_t max_replicas = 0;
  int64_t budget_violations = 0;
  int64_t zero_one_flaps = 0;  // target back to 0 less than cooldownSeconds after leaving 0
};

struct SimResult {
  std::vector<SecondRow> rows;
  std::vector<Summary> summaries;
};

// Runs `trace` (pools it names that are not in `pools` are an error) for its length plus
// `tail` seconds, with every pool under `policy`.
absl::StatusOr<SimResult> Simulate(const std::vector<SimPool>& pools,
                                   const std::vector<policy::TierGroup>& groups,
                                   const std::vector<TraceRow>& trace, PolicyKind policy,
                                   Duration tail = std::chrono::seconds(600));

// decisions.csv / summary.csv text with header lines, and an SVG plot (one panel per pool:
// backlog and replicas over time, each policy overlaid).
std::string DecisionsCsv(const std::vector<SecondRow>& rows);
// A CSV cell, quoted (RFC 4180) when it holds a comma, a quote or a line break.
std::string CsvCell(const std::string& text);
std::string SummaryCsv(const std::vector<Summary>& summaries);
std::string PlotSvg(const std::vector<SecondRow>& rows);

}  // namespace poolscaler::sim
