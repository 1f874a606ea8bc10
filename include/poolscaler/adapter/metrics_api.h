#pragma once
// ExternalMetricsApi: what the external metrics API answers for an authenticated GET, without
// HTTP or TLS types (the server does transport and authentication). The metrics it serves:
//
//   poolscaler-pool-desired  labelSelector pool=NAME          a config pool's desired replicas:
//                            the value GetMetrics gives a pool-mode trigger (ScalerCore).
//   poolscaler-source-lag    labelSelector source=NAME        a config source's reading of
//                            [,measure=MEASURE]               MEASURE (default: the source's
//                                                             default measure), from the
//                                                             SampleStore the pools read.
//
// The identifying labels take `=`, `==` or `in (one value)`; any other label or operator is a
// 400 naming it. Answers: an ExternalMetricValueList with one item; 404 Status for an unknown
// metric, pool, source or measure; 400 Status for a missing or invalid selector; 503 Status
// when the value is stale or failing (never a made-up value). Nothing here calls a broker.
// The class is thread-safe (it only reads thread-safe components).
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "poolscaler/adapter/objects.h"
#include "poolscaler/common/time.h"
#include "poolscaler/config/config.h"
#include "poolscaler/sampler/sample_store.h"
#include "poolscaler/server/scaler_core.h"

namespace poolscaler::adapter {

inline constexpr char kPoolDesired[] = "poolscaler-pool-desired";
inline constexpr char kSourceLag[] = "poolscaler-source-lag";

// One answer: HTTP code, JSON body, and a bounded label for request metrics ("discovery",
// "health", a metric name above, or "other").
struct ApiResponse {
  int code = 200;
  std::string body;
  std::string resource;
};

class ExternalMetricsApi {
 public:
  struct Deps {
    const server::ScalerCore* core;  // pool answers, shared with the gRPC service
    // The live config (never null): source names and their SampleStore keys.
    std::function<std::shared_ptr<const config::Config>()> config;
    const sampler::SampleStore* store;
    const Clock* clock;
  };
  explicit ExternalMetricsApi(Deps deps);

  // The metric names served (the APIResourceList's resources).
  static const std::vector<std::string>& MetricNames();

  // Answers GET `path` (%-decoded) with the query's labelSelector (nullopt when absent).
  // Health paths are not answered here (the server does; they need no authentication).
  ApiResponse Get(std::string_view path, const std::optional<std::string>& label_selector) const;

 private:
  ApiResponse Metric(const std::string& metric, const std::optional<std::string>& selector) const;
  absl::StatusOr<MetricItem> PoolDesired(const std::map<std::string, std::string>& ids) const;
  absl::StatusOr<MetricItem> SourceLag(const std::map<std::string, std::string>& ids) const;
  std::chrono::system_clock::time_point Wall(TimePoint t) const;

  Deps deps_;
};

}  // namespace poolscaler::adapter
