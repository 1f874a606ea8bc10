#include "poolscaler/sources/prometheus_history.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "http_fetch.h"
#include "poolscaler/sources/prometheus_response.h"

namespace poolscaler::sources {

absl::StatusOr<RecentTargets> ReadRecentTargets(const config::HistorySpec& spec, Duration window,
                                                TimePoint steady_now) {
  const std::string what = fmt::format("history: prometheus at {}", spec.prometheus.server_address);
  const double unix_now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  const double step = std::chrono::duration<double>(spec.step).count();
  const double span = std::chrono::duration<double>(window).count();
  const std::string url = fmt::format(
      "{}/api/v1/query_range?query={}&start={:.3f}&end={:.3f}&step={:.3f}",
      spec.prometheus.server_address, UrlEncode("max by (pool) (poolscaler_pool_desired_replicas)"),
      unix_now - span, unix_now, step);
  HttpFetcher fetcher(PrometheusAuth(spec.prometheus));
  absl::StatusOr<HttpResponse> response = fetcher.Get(url, spec.timeout, what);
  if (!response.ok()) return response.status();
  absl::StatusOr<std::vector<PrometheusSeries>> matrix =
      DecodePrometheusMatrix(response->body, response->status, "pool");
  if (!matrix.ok()) {
    return absl::Status(matrix.status().code(),
                        fmt::format("{}: {}", what, std::string(matrix.status().message())));
  }
  RecentTargets out;
  for (const PrometheusSeries& series : *matrix) {
    auto& targets = out[series.label];
    for (const auto& [at, value] : series.samples) {
      const double ago = std::clamp(unix_now - at, 0.0, span);
      const auto when =
          steady_now - std::chrono::duration_cast<Duration>(std::chrono::duration<double>(ago));
      const double replicas = std::clamp(std::round(value), 0.0, 1e9);
      targets.emplace_back(when, static_cast<int64_t>(replicas));
    }
    std::sort(targets.begin(), targets.end());
  }
  return out;
}

}  // namespace poolscaler::sources
