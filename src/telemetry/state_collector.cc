#include "poolscaler/telemetry/state_collector.h"

#include <prometheus/client_metric.h>
#include <prometheus/metric_family.h>
#include <prometheus/metric_type.h>

#include <algorithm>
#include <limits>

namespace poolscaler::telemetry {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

MetricFamily Family(const char* name, const char* help, MetricType type) {
  return MetricFamily{name, help, type, {}};
}

ClientMetric Gauge(std::vector<ClientMetric::Label> labels, double value) {
  ClientMetric m;
  m.label = std::move(labels);
  m.gauge.value = value;
  return m;
}

ClientMetric Counter(std::vector<ClientMetric::Label> labels, double value) {
  ClientMetric m;
  m.label = std::move(labels);
  m.counter.value = value;
  return m;
}

// Appends `f` unless it has no series (an empty family would print a bare HELP/TYPE pair).
void Emit(std::vector<MetricFamily>* out, MetricFamily f) {
  if (!f.metric.empty()) out->push_back(std::move(f));
}

}  // namespace

StateCollector::StateCollector(const sampler::SampleStore& store, const pools::PoolTable& table,
                               const Clock& clock)
    : store_(store), table_(table), clock_(clock) {}

std::vector<MetricFamily> StateCollector::Collect() const {
  std::vector<MetricFamily> out;
  CollectSources(&out, clock_.Now());
  CollectPools(&out);
  CollectTiers(&out);
  return out;
}

void StateCollector::CollectSources(std::vector<MetricFamily>* out, TimePoint now) const {
  auto value = Family("poolscaler_source_value",
                      "Last good reading of each source measure (messages).", MetricType::Gauge);
  auto age = Family("poolscaler_source_sample_age_seconds",
                    "Seconds since the last good reading of the source.", MetricType::Gauge);
  auto up = Family("poolscaler_source_up",
                   "1 if the source's reading is fresh (younger than staleAfter), else 0.",
                   MetricType::Gauge);
  auto samples = Family("poolscaler_source_samples_total", "Sample attempts, successful or not.",
                        MetricType::Counter);
  auto errors = Family("poolscaler_source_errors_total", "Failed sample attempts, by status code.",
                       MetricType::Counter);
  auto duration =
      Family("poolscaler_source_sample_duration_seconds",
             "Time one sample took, including the broker round trip.", MetricType::Histogram);
  for (const auto& [key, r] : store_.Snapshot()) {
    std::vector<ClientMetric::Label> src{{"source", r.name}};
    if (r.reading) {
      for (const auto& [measure, v] : r.reading->measures) {
        value.metric.push_back(Gauge({{"measure", measure}, {"source", r.name}}, v));
      }
      age.metric.push_back(Gauge(src, ToSeconds(now - r.reading_at)));
    }
    bool fresh = r.reading && now - r.reading_at <= r.stale_after;
    up.metric.push_back(Gauge(src, fresh ? 1 : 0));
    samples.metric.push_back(Counter(src, static_cast<double>(r.samples_total)));
    for (const auto& [code, n] : r.errors_by_code) {
      errors.metric.push_back(
          Counter({{"code", code}, {"source", r.name}}, static_cast<double>(n)));
    }
    ClientMetric h;
    h.label = src;
    uint64_t cumulative = 0;
    for (size_t i = 0; i < sampler::kDurationBuckets.size(); ++i) {
      cumulative += r.duration_counts[i];
      h.histogram.bucket.push_back({cumulative, sampler::kDurationBuckets[i]});
    }
    cumulative += r.duration_counts.back();
    h.histogram.bucket.push_back({cumulative, std::numeric_limits<double>::infinity()});
    h.histogram.sample_count = cumulative;
    h.histogram.sample_sum = r.duration_sum_seconds;
    duration.metric.push_back(std::move(h));
  }
  for (auto* f : {&value, &age, &up, &samples, &errors, &duration}) Emit(out, std::move(*f));
}

void StateCollector::CollectPools(std::vector<MetricFamily>* out) const {
  auto desired = Family("poolscaler_pool_desired_replicas",
                        "Replica target of the pool after every policy rule.", MetricType::Gauge);
  auto raw = Family("poolscaler_pool_raw_desired_replicas",
                    "Replica target from the winning signal alone, before activation, "
                    "smoothing and clamps.",
                    MetricType::Gauge);
  auto active = Family("poolscaler_pool_active", "1 if the pool is active (scaled above zero).",
                       MetricType::Gauge);
  auto available = Family("poolscaler_pool_decision_available",
                          "1 if the pool has a decision to serve (at least one signal has a fresh "
                          "value); 0 means KEDA gets UNAVAILABLE and its fallback applies.",
                          MetricType::Gauge);
  auto missing = Family("poolscaler_pool_signals_missing",
                        "Signals of the pool without a fresh value at the last evaluation; while "
                        "some are known the target may rise but not fall.",
                        MetricType::Gauge);
  auto limited =
      Family("poolscaler_pool_limited", "1 for each limit that changed the pool's last decision.",
             MetricType::Gauge);
  auto limited_total =
      Family("poolscaler_pool_limited_evaluations_total",
             "Evaluations in which each limit changed the pool's decision.", MetricType::Counter);
  auto limit_change = Family("poolscaler_pool_limit_change_replicas",
                             "For each limit that changed the last decision: target after it "
                             "minus target before it (negative: held down).",
                             MetricType::Gauge);
  auto winning_value =
      Family("poolscaler_pool_winning_signal_value",
             "Raw value of the signal that gave the pool's replica target.", MetricType::Gauge);
  auto winning = Family("poolscaler_pool_winning_signal",
                        "1 for the signal that gave the pool's replica target.", MetricType::Gauge);
  auto signal_value =
      Family("poolscaler_pool_signal_value",
             "Value of each of the pool's signals at the last evaluation.", MetricType::Gauge);
  auto arrivals =
      Family("poolscaler_pool_signal_arrivals_per_second",
             "Drain-time signals: smoothed rate of work arriving (jobs/s).", MetricType::Gauge);
  auto completions =
      Family("poolscaler_pool_signal_completions_per_second",
             "Drain-time signals: smoothed rate of work completed (jobs/s).", MetricType::Gauge);
  auto per_replica = Family("poolscaler_pool_signal_per_replica_rate",
                            "Drain-time signals: jobs/s one replica is taken to finish "
                            "(configured, or learned).",
                            MetricType::Gauge);
  auto current = Family("poolscaler_pool_current_replicas",
                        "Replica count the pool's last decision started from (the HPA's current "
                        "replicas): from=kubernetes when the workload's scale subresource was "
                        "read, from=decision when the pool's own last target stood for it.",
                        MetricType::Gauge);
  auto seeded = Family("poolscaler_pool_window_seeded",
                       "1 if the pool's stabilization window was seeded at start-up (or when "
                       "the pool appeared), from its workload's replica count or from the "
                       "targets restored from history; 0 if it began empty, so a scale-down "
                       "right after a restart was not held.",
                       MetricType::Gauge);
  auto workload_known = Family("poolscaler_pool_workload_known",
                               "Pools with a scaleTargetRef: 1 if the workload's replica count "
                               "was read fresh at the last evaluation, 0 if it could not be "
                               "(the pool then starts from its own last target).",
                               MetricType::Gauge);
  auto workload_age = Family("poolscaler_pool_workload_read_age_seconds",
                             "Pools with a scaleTargetRef: age of the last good read of the "
                             "workload's scale subresource.",
                             MetricType::Gauge);
  auto adopted = Family("poolscaler_pool_workload_changes_adopted_total",
                        "Workload replica counts no decision of the pool explained (kubectl "
                        "scale, a budget, KEDA's 0-1 step) that became its current replicas.",
                        MetricType::Counter);
  const TimePoint now = clock_.Now();
  for (const pools::PoolState& st : table_.Snapshot()) {
    std::string pool = st.definition.name;
    const pools::CurrentReplicas& c = st.current;
    if (c.replicas) {
      current.metric.push_back(
          Gauge({{"from", c.from}, {"pool", pool}}, static_cast<double>(*c.replicas)));
    }
    if (!c.seed.empty()) {
      seeded.metric.push_back(Gauge({{"pool", pool}}, c.seed == "none" ? 0 : 1));
    }
    if (!st.definition.scale_source_key.empty()) {
      workload_known.metric.push_back(Gauge({{"pool", pool}}, c.status.ok() && c.read_at ? 1 : 0));
      if (c.read_at) {
        workload_age.metric.push_back(Gauge({{"pool", pool}}, ToSeconds(now - *c.read_at)));
      }
      adopted.metric.push_back(Counter({{"pool", pool}}, static_cast<double>(c.adopted_total)));
    }
    available.metric.push_back(Gauge({{"pool", pool}}, st.status.ok() ? 1 : 0));
    missing.metric.push_back(Gauge({{"pool", pool}}, static_cast<double>(st.SignalsMissing())));
    for (const pools::SignalState& s : st.signals) {
      if (!s.status.ok()) continue;
      std::vector<ClientMetric::Label> l = {{"pool", pool}, {"signal", s.name}};
      signal_value.metric.push_back(Gauge(l, s.value));
      if (s.arrival_per_second) arrivals.metric.push_back(Gauge(l, *s.arrival_per_second));
      if (s.completion_per_second) {
        completions.metric.push_back(Gauge(l, *s.completion_per_second));
      }
      if (s.per_replica_rate) per_replica.metric.push_back(Gauge(l, *s.per_replica_rate));
    }
    for (policy::Limit l : policy::kAllLimits) {
      limited_total.metric.push_back(
          Counter({{"limit", policy::LimitName(l)}, {"pool", pool}},
                  static_cast<double>(st.limited_total[static_cast<size_t>(l)])));
    }
    if (!st.has_decision) continue;
    const policy::Decision& d = st.decision;
    for (const policy::LimitStep& step : d.steps) {
      limit_change.metric.push_back(
          Gauge({{"limit", policy::LimitName(step.limit)}, {"pool", pool}},
                static_cast<double>(step.after - step.before)));
    }
    desired.metric.push_back(Gauge({{"pool", pool}}, static_cast<double>(d.desired)));
    raw.metric.push_back(Gauge({{"pool", pool}}, static_cast<double>(d.raw_desired)));
    active.metric.push_back(Gauge({{"pool", pool}}, d.active ? 1 : 0));
    for (policy::Limit l : policy::kAllLimits) {
      limited.metric.push_back(
          Gauge({{"limit", policy::LimitName(l)}, {"pool", pool}}, d.Limited(l) ? 1 : 0));
    }
    if (!d.winning_signal.empty()) {
      winning.metric.push_back(Gauge({{"pool", pool}, {"signal", d.winning_signal}}, 1));
      winning_value.metric.push_back(Gauge({{"pool", pool}}, d.winning_value));
    }
  }
  for (auto* f : {&desired, &raw, &active, &available, &missing, &limited, &limited_total,
                  &limit_change, &winning, &winning_value, &signal_value, &arrivals, &completions,
                  &per_replica, &current, &seeded, &workload_known, &workload_age, &adopted}) {
    Emit(out, std::move(*f));
  }
}

void StateCollector::CollectTiers(std::vector<MetricFamily>* out) const {
  auto budget = Family("poolscaler_tier_budget",
                       "Budget of each tier group per resource (cpu in cores, memory in bytes, "
                       "gpu in devices).",
                       MetricType::Gauge);
  auto requested = Family("poolscaler_tier_requested",
                          "Sum over the group's pools of desired replicas × cost per replica.",
                          MetricType::Gauge);
  std::vector<policy::TierGroup> groups = table_.TierGroups();
  if (groups.empty()) return;
  std::vector<pools::PoolState> snapshot = table_.Snapshot();
  for (const policy::TierGroup& g : groups) {
    policy::ReplicaCost used;
    for (const pools::PoolState& st : snapshot) {
      const policy::PoolParams& p = st.definition.params;
      if (st.definition.raw || p.tier_group != g.name || !st.has_decision) continue;
      double n = static_cast<double>(st.decision.desired);
      used.cpu_cores += n * p.cost.cpu_cores;
      used.memory_bytes += n * p.cost.memory_bytes;
      used.gpus += n * p.cost.gpus;
    }
    auto add = [&](const char* resource, const std::optional<double>& limit, double use) {
      if (limit)
        budget.metric.push_back(Gauge({{"group", g.name}, {"resource", resource}}, *limit));
      requested.metric.push_back(Gauge({{"group", g.name}, {"resource", resource}}, use));
    };
    add("cpu", g.budget.cpu_cores, used.cpu_cores);
    add("memory", g.budget.memory_bytes, used.memory_bytes);
    add("gpu", g.budget.gpus, used.gpus);
  }
  Emit(out, std::move(budget));
  Emit(out, std::move(requested));
}

}  // namespace poolscaler::telemetry
