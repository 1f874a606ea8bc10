#include "poolscaler/telemetry/state_collector.h"

#include <prometheus/client_metric.h>
#include <prometheus/metric_family.h>
#include <prometheus/metric_type.h>

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
  auto samples = Family("poolscaler_source_samples_total",
                        "Sample attempts, successful or not.", MetricType::Counter);
  auto errors = Family("poolscaler_source_errors_total",
                       "Failed sample attempts, by status code.", MetricType::Counter);
  auto duration = Family("poolscaler_source_sample_duration_seconds",
                         "Time one sample took, including the broker round trip.",
                         MetricType::Histogram);
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
      errors.metric.push_back(Counter({{"code", code}, {"source", r.name}}, static_cast<double>(n)));
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
                          "1 if every signal of the pool has a fresh value; 0 means KEDA gets "
                          "UNAVAILABLE and its fallback applies.",
                          MetricType::Gauge);
  auto limited = Family("poolscaler_pool_limited",
                        "1 for each limit that changed the pool's last decision.",
                        MetricType::Gauge);
  auto winning = Family("poolscaler_pool_winning_signal",
                        "1 for the signal that gave the pool's replica target.",
                        MetricType::Gauge);
  auto signal_value = Family("poolscaler_pool_signal_value",
                             "Value of each of the pool's signals at the last evaluation.",
                             MetricType::Gauge);
  for (const pools::PoolState& st : table_.Snapshot()) {
    std::string pool = st.definition.name;
    available.metric.push_back(Gauge({{"pool", pool}}, st.status.ok() ? 1 : 0));
    for (const pools::SignalState& s : st.signals) {
      if (s.status.ok()) {
        signal_value.metric.push_back(Gauge({{"pool", pool}, {"signal", s.name}}, s.value));
      }
    }
    if (!st.has_decision) continue;
    const policy::Decision& d = st.decision;
    desired.metric.push_back(Gauge({{"pool", pool}}, static_cast<double>(d.desired)));
    raw.metric.push_back(Gauge({{"pool", pool}}, static_cast<double>(d.raw_desired)));
    active.metric.push_back(Gauge({{"pool", pool}}, d.active ? 1 : 0));
    for (policy::Limit l : policy::kAllLimits) {
      limited.metric.push_back(
          Gauge({{"limit", policy::LimitName(l)}, {"pool", pool}}, d.Limited(l) ? 1 : 0));
    }
    if (!d.winning_signal.empty()) {
      winning.metric.push_back(Gauge({{"pool", pool}, {"signal", d.winning_signal}}, 1));
    }
  }
  for (auto* f : {&desired, &raw, &active, &available, &limited, &winning, &signal_value}) {
    Emit(out, std::move(*f));
  }
}

}  // namespace poolscaler::telemetry
