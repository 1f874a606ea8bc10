#pragma once
// Metrics: the process's Prometheus registry. Event metrics (gRPC requests, config reloads) are
// prometheus-cpp families created here at start-up; state metrics (sources, pools) are built at
// scrape time by collectors added with AddCollector, so retired sources leave no series behind.
// The class is thread-safe.
#include <array>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "absl/status/status.h"

namespace poolscaler::telemetry {

// The ExternalScaler RPCs, as labelled in metrics.
enum class Rpc { kIsActive, kStreamIsActive, kGetMetricSpec, kGetMetrics, kStreamMetricSpec };
const char* RpcName(Rpc rpc);

class Metrics {
 public:
  explicit Metrics(const std::string& version);

  // Counts one finished RPC (streams count once, when they end) and its duration.
  void RecordRpc(Rpc rpc, absl::StatusCode code, double seconds);
  void RecordReload(bool ok, double unix_seconds);
  void AddCollector(std::shared_ptr<prometheus::Collectable> collector);

  // The text exposition format (version 0.0.4) of every metric.
  std::string Render() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& rpc_requests_;
  prometheus::Family<prometheus::Histogram>& rpc_duration_;
  std::array<prometheus::Histogram*, 5> rpc_duration_by_method_{};
  prometheus::Family<prometheus::Counter>& reloads_;
  prometheus::Counter& reload_ok_;
  prometheus::Counter& reload_failed_;
  prometheus::Gauge& last_reload_ok_;
  prometheus::Gauge& last_reload_time_;
  mutable std::mutex mu_;
  std::vector<std::shared_ptr<prometheus::Collectable>> collectors_;  // guarded by mu_
};

}  // namespace poolscaler::telemetry
