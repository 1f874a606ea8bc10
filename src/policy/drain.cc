#include "poolscaler/policy/drain.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace poolscaler::policy {

void UpdateRate(RateEstimate& e, double count, TimePoint now, Duration half_life) {
  if (!std::isfinite(count)) return;
  if (e.last_count && now <= e.last_at) return;
  if (!e.last_count || count < *e.last_count) {
    e.last_count = count;
    e.last_at = now;
    e.per_second.reset();
    return;
  }
  double dt = ToSeconds(now - e.last_at);
  double instant = (count - *e.last_count) / dt;
  double hl = std::max(ToSeconds(half_life), 1e-9);
  double weight = 1 - std::exp2(-dt / hl);
  e.per_second = e.per_second ? *e.per_second + weight * (instant - *e.per_second) : instant;
  e.last_count = count;
  e.last_at = now;
}

std::optional<int64_t> DrainReplicas(std::optional<double> arrival_per_second, double backlog,
                                     Duration target_drain, double per_replica_rate) {
  constexpr int64_t kCap = std::numeric_limits<int64_t>::max() / 2;
  double drain_s = ToSeconds(target_drain);
  if (!arrival_per_second || !(per_replica_rate > 0) || !(drain_s > 0)) return std::nullopt;
  double arrival = std::max(*arrival_per_second, 0.0);
  double work = std::max(backlog, 0.0);
  if (!std::isfinite(arrival) || !std::isfinite(work)) return kCap;
  double replicas = std::ceil((arrival + work / drain_s) / per_replica_rate - 1e-9);
  if (!(replicas < static_cast<double>(kCap))) return kCap;
  return std::max<int64_t>(0, static_cast<int64_t>(replicas));
}

}  // namespace poolscaler::policy
