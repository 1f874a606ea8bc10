#pragma once
// The HorizontalPodAutoscaler without `spec.behavior`. KEDA passes `behavior: nil` to the HPA it
// creates when a ScaledObject sets no `advanced.horizontalPodAutoscalerConfig.behavior`, and the
// API server fills in behavior defaults only when behavior is set, so such an HPA runs the
// controller's older path (kubernetes pkg/controller/podautoscaler/horizontal.go,
// normalizeDesiredReplicas), not the behavior defaults of behavior.h:
//   - the recommendation is the highest one of the last 300 s (--horizontal-pod-autoscaler-
//     downscale-stabilization), the new one included: stabilizeRecommendation. It can be above
//     the current count, so a falling metric holds a raised count for 300 s;
//   - scale-up is capped at max(2 × current, 4) per sync (calculateScaleUpLimit), whatever
//     maxReplicas allows;
//   - then [minReplicas, maxReplicas];
//   - the tolerance is the controller's --horizontal-pod-autoscaler-tolerance (0.1) both ways.
// The model of KEDA's HPA in `poolscaler local` and `simulate --baseline keda-default`; pure:
// time is passed in and the history is carried by the caller. Values only.
#include <cstdint>
#include <utility>
#include <vector>

#include "poolscaler/common/time.h"
#include "poolscaler/policy/policy.h"

namespace poolscaler::policy {

// What the HPA controller remembers per HPA (its `recommendations[key]`): survives KEDA's
// 0 ↔ 1 steps, as the HPA object does.
struct LegacyHpaHistory {
  bool initialized = false;  // recordInitialRecommendation ran
  std::vector<std::pair<TimePoint, int64_t>> recommendations;  // unnormalized, oldest first
};

inline constexpr Duration kHpaDownscaleStabilization = std::chrono::minutes(5);

// recordInitialRecommendation: the first reconcile of an HPA records the target's current
// replicas as a recommendation (a no-op afterwards).
void RecordInitialRecommendation(int64_t current, TimePoint now, LegacyHpaHistory& h);

struct LegacySync {
  int64_t replicas = 0;      // what the HPA writes to the scale subresource
  int64_t raw = 0;           // ceil(metric / target)
  std::vector<Limit> limits; // kTolerance, kStabilization, kScaleUpRate, kMinReplicas, kMaxReplicas
};

// One HPA sync of an AverageValue external metric (GetExternalPerPodMetricReplicas) on the
// legacy path: `metric` summed over the series, `target` per pod, `current` the scale
// subresource's replicas (spec and status taken as equal), `min_replicas` >= 1.
LegacySync LegacyHpaSync(double metric, double target, int64_t current, int64_t min_replicas,
                         int64_t max_replicas, TimePoint now, LegacyHpaHistory& h,
                         Tolerance tolerance = kHpaTolerance,
                         Duration window = kHpaDownscaleStabilization);

}  // namespace poolscaler::policy
