#pragma once
// HPA-style `behavior`: tolerance, stabilization windows and rate policies with the meaning and
// defaults of the Kubernetes HorizontalPodAutoscaler (autoscaling/v2 `spec.behavior`), so users
// can reason with what they know. Pure: time is passed in, history is carried by the caller.
// Values only; nothing here is shared between threads.
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "poolscaler/common/time.h"

namespace poolscaler::policy {

enum class ScalingPolicyType : uint8_t { kPods, kPercent };
enum class SelectPolicy : uint8_t { kMax, kMin, kDisabled };

// One rate rule: at most `value` pods (kPods) or `value` percent of the replicas at the start of
// the period (kPercent) may be added (scale-up) or removed (scale-down) per `period`.
struct ScalingPolicy {
  ScalingPolicyType type = ScalingPolicyType::kPods;
  int64_t value = 1;  // > 0
  Duration period{};  // > 0, at most 30 min in the HPA API
};

// The HPA's tolerance band on usage / (target × current): within [1 − down, 1 + up] the current
// count stays (replica_calculator.go Tolerances.isWithin). Both default to the controller's
// --horizontal-pod-autoscaler-tolerance, 0.1; a double converts to a symmetric band.
struct Tolerance {
  double up = 0.1;
  double down = 0.1;
  constexpr Tolerance() = default;
  constexpr Tolerance(double both) : up(both), down(both) {}  // NOLINT: implicit on purpose
  constexpr Tolerance(double up_, double down_) : up(up_), down(down_) {}
  bool Within(double ratio) const { return 1.0 - down <= ratio && ratio <= 1.0 + up; }
  bool None() const { return up == 0 && down == 0; }
};

struct ScalingRules {
  // Scale-up: the lowest recommendation inside the window is used; scale-down: the highest.
  Duration stabilization_window{};
  // kMax: the policy that allows the biggest change wins; kMin: the smallest; kDisabled: no
  // change in this direction at all.
  SelectPolicy select = SelectPolicy::kMax;
  // Empty: no rate limit in this direction. (The HPA API requires at least one policy; the
  // config parser does too. Empty is used by raw-mode pools, where KEDA's HPA does the rating.)
  std::vector<ScalingPolicy> policies;
  // behavior.scaleUp.tolerance / scaleDown.tolerance (autoscaling/v2; HPAConfigurableTolerance:
  // alpha in Kubernetes 1.33, on by default from 1.35, GA in 1.37): this direction's side of the
  // tolerance band.
  double tolerance = 0.1;
};

// HPA defaults: scale-up window 0 s, max(+100 %, +4 pods) per 15 s; scale-down window 300 s,
// -100 % per 15 s; tolerance 0.1 each way.
// Inline so that modules using only these structs (config) need not link the policy library.
inline ScalingRules DefaultScaleUp() {
  return {Duration::zero(),
          SelectPolicy::kMax,
          {{ScalingPolicyType::kPercent, 100, std::chrono::seconds(15)},
           {ScalingPolicyType::kPods, 4, std::chrono::seconds(15)}}};
}
inline ScalingRules DefaultScaleDown() {
  return {std::chrono::seconds(300),
          SelectPolicy::kMax,
          {{ScalingPolicyType::kPercent, 100, std::chrono::seconds(15)}}};
}

struct Behavior {
  ScalingRules scale_up = DefaultScaleUp();
  ScalingRules scale_down = DefaultScaleDown();

  // A signal whose value / (target × current replicas) is within [1 − scale_down.tolerance,
  // 1 + scale_up.tolerance] proposes the current replica count.
  Tolerance Band() const { return {scale_up.tolerance, scale_down.tolerance}; }

  // No tolerance, no windows, no rate limits: the recommendation passes through.
  static Behavior PassThrough() {
    Behavior b{ScalingRules{}, ScalingRules{}};
    b.scale_up.tolerance = b.scale_down.tolerance = 0;
    return b;
  }
};

// A replica change the policy made, for rate policies ("how many were added in the last period").
struct ScaleEvent {
  TimePoint at;
  int64_t change = 0;  // > 0
};

// Behavior state carried between evaluations.
struct BehaviorHistory {
  // The replica target last decided (the HPA's "current replicas"); unset before the first
  // decision.
  std::optional<int64_t> current;
  // Unstabilized recommendations as monotonic queues: `up_min` ascending values (front is the
  // window minimum), `down_max` descending values (front is the window maximum). Vectors, not
  // deques: they are short (equal recommendations collapse), an empty vector allocates nothing
  // (a std::deque allocates 512 bytes when constructed), and every evaluation copies them.
  std::vector<std::pair<TimePoint, int64_t>> up_min;
  std::vector<std::pair<TimePoint, int64_t>> down_max;
  std::vector<ScaleEvent> scale_up_events;
  std::vector<ScaleEvent> scale_down_events;

  void Clear() { *this = BehaviorHistory{}; }
};

// The HPA's stabilizeRecommendationWithBehaviors: upper bound = max recommendation within the
// scale-down window, lower bound = min within the scale-up window (both including `recommended`,
// entries strictly newer than now - window); the result is `current` moved into [lower, upper].
// Records `recommended` in the history. With no `current`, `recommended` stands for it.
int64_t Stabilize(const Behavior& b, int64_t recommended, TimePoint now, BehaviorHistory& h);

// Records `recommended` as a recommendation made at `now` without stabilizing anything (the
// HPA's seed of a new autoscaler's window with its current replica count).
void SeedRecommendation(const Behavior& b, int64_t recommended, TimePoint now, BehaviorHistory& h);

// Highest target allowed by the scale-up rate policies from `current` (never below `current`;
// `current` itself when disabled); std::nullopt when there are no policies.
std::optional<int64_t> ScaleUpLimit(const ScalingRules& rules, int64_t current, TimePoint now,
                                    const BehaviorHistory& h);
// Lowest target allowed by the scale-down rate policies (never above `current`).
std::optional<int64_t> ScaleDownLimit(const ScalingRules& rules, int64_t current, TimePoint now,
                                      const BehaviorHistory& h);

// Records a change of the decided target from h.current to `target` at `now` (an event for the
// rate policies, pruned to the longest policy period) and makes `target` current.
void RecordTarget(const Behavior& b, int64_t target, TimePoint now, BehaviorHistory& h);

}  // namespace poolscaler::policy
