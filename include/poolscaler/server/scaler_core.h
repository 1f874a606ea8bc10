#pragma once
// ScalerCore: what the ExternalScaler RPCs answer, without any gRPC types, so the logic is
// tested directly. It resolves trigger metadata to a pool (pool mode) or to an implicit raw pool
// over one source (raw mode, registered on first use), and answers only from the SampleStore and
// PoolTable: it never calls a broker. The class is thread-safe. Unit tests:
// tests/unit/server/scaler_core_test.cc.
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "poolscaler/config/config.h"
#include "poolscaler/config/trigger.h"
#include "poolscaler/pools/pool_table.h"
#include "poolscaler/sampler/registry.h"
#include "poolscaler/sampler/sample_store.h"

namespace poolscaler::server {

using Metadata = std::map<std::string, std::string>;

struct MetricSpecAnswer {
  std::string metric_name;
  double target = 1;  // pool mode 1; raw mode lagThreshold
};

// What a trigger resolved to.
struct Target {
  std::string pool_id;  // PoolTable id
  bool raw = false;
  std::string metric_name;
  double target = 1;
};

// A config pool's answer, as GetMetrics gives it to a pool-mode trigger.
struct PoolAnswer {
  double desired = 0;       // the pool's desired replicas
  TimePoint decided_at{};   // when the evaluator made this decision from the store
};

class ScalerCore {
 public:
  struct Deps {
    // The live config (never null). Pool-mode triggers are looked up in it.
    std::function<std::shared_ptr<const config::Config>()> config;
    sampler::SourceRegistry* registry;
    pools::PoolTable* table;
    const sampler::SampleStore* store;
    const Clock* clock;
  };
  explicit ScalerCore(Deps deps);

  // INVALID_ARGUMENT for bad metadata (key and value named), NOT_FOUND for an unknown pool.
  // Raw mode registers the source and its implicit pool (and marks both used).
  absl::StatusOr<Target> Resolve(const Metadata& metadata);

  absl::StatusOr<MetricSpecAnswer> MetricSpec(const Metadata& metadata);
  // `metric_name` as KEDA sends it: compared case-insensitively, a leading "sN-" ignored; ""
  // accepts any. UNAVAILABLE when the value is unknown (stale, failing, not sampled yet).
  absl::StatusOr<double> MetricValue(const Metadata& metadata, const std::string& metric_name);
  absl::StatusOr<bool> IsActive(const Metadata& metadata);

  // The current answer for a resolved target (used by the streams, which resolve once).
  absl::StatusOr<bool> ActiveOf(const Target& target) const;

  // What GetMetrics answers at this moment for a trigger with `pool: name` (exact name), for the
  // external metrics API: NOT_FOUND for a pool not in the config, UNAVAILABLE while it has no
  // usable decision (signals stale or failing, first sample pending).
  absl::StatusOr<PoolAnswer> PoolByName(const std::string& name) const;

  pools::PoolTable& table() { return *deps_.table; }

 private:
  Deps deps_;
};

// Whether KEDA's `requested` metric name refers to `ours`.
bool MetricNameMatches(const std::string& requested, const std::string& ours);

}  // namespace poolscaler::server
