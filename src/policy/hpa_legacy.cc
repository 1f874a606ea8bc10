// The HPA's path without `behavior`, following kubernetes pkg/controller/podautoscaler
// (replica_calculator.go GetExternalPerPodMetricReplicas; horizontal.go
// recordInitialRecommendation, stabilizeRecommendation, normalizeDesiredReplicas,
// convertDesiredReplicasWithRules, calculateScaleUpLimit), reimplemented on int64.
#include "poolscaler/policy/hpa_legacy.h"

#include <algorithm>
#include <cmath>

namespace poolscaler::policy {

void RecordInitialRecommendation(int64_t current, TimePoint now, LegacyHpaHistory& h) {
  if (h.initialized) return;
  h.initialized = true;
  h.recommendations.emplace_back(now, current);
}

LegacySync LegacyHpaSync(double metric, double target, int64_t current, int64_t min_replicas,
                         int64_t max_replicas, TimePoint now, LegacyHpaHistory& h,
                         Tolerance tolerance, Duration window) {
  RecordInitialRecommendation(current, now, h);
  LegacySync s;
  s.raw = ReplicasForLag(metric, target);
  // The usage ratio against the current pods; within [1 - tolerance, 1 + tolerance] the
  // proposal is the current count.
  int64_t proposed = s.raw;
  if (current > 0 && target > 0 && metric >= 0) {
    double ratio = metric / (target * static_cast<double>(current));
    if (tolerance.Within(ratio)) {
      if (proposed != current) s.limits.push_back(Limit::kTolerance);
      proposed = current;
    }
  }

  // stabilizeRecommendation: the highest recommendation not older than the window (an entry
  // exactly at the cutoff still counts: the controller drops only those Before(cutoff)), the
  // new one included; the new one is then recorded.
  const TimePoint cutoff = now - window;
  std::erase_if(h.recommendations, [&](const auto& r) { return r.first < cutoff; });
  int64_t stabilized = proposed;
  for (const auto& [at, rec] : h.recommendations) stabilized = std::max(stabilized, rec);
  h.recommendations.emplace_back(now, proposed);
  if (stabilized != proposed) s.limits.push_back(Limit::kStabilization);

  // convertDesiredReplicasWithRules: at most max(2 × current, 4) (when below maxReplicas),
  // at least minReplicas.
  const int64_t scale_up_limit = std::max<int64_t>(2 * current, 4);
  const int64_t highest = std::min(max_replicas, scale_up_limit);
  int64_t replicas = stabilized;
  if (replicas < min_replicas) {
    replicas = min_replicas;
    s.limits.push_back(Limit::kMinReplicas);
  } else if (replicas > highest) {
    replicas = highest;
    s.limits.push_back(max_replicas > scale_up_limit ? Limit::kScaleUpRate : Limit::kMaxReplicas);
  }
  s.replicas = replicas;
  return s;
}

}  // namespace poolscaler::policy
