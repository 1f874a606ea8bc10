#pragma once
// What KEDA and the HPA decide for one ScaledObject, as `poolscaler local` plays them. Pure: time
// is passed in and the state is carried by the caller; values only, nothing shared between
// threads. The two run on their own clocks, as in a cluster:
//
// KEDA's operator, every pollingInterval (KedaPoll): an active trigger at 0 replicas is scaled to
// max(minReplicaCount, 1); an inactive trigger scales a ScaledObject with minReplicaCount 0 to 0
// once `cooldownPeriod` has passed since it was last active (only 1 → 0 waits for it, and KEDA's
// check is strict: lastActiveTime + cooldownPeriod before now). Everything else is the HPA's.
//
// Errors and `fallback` (pkg/fallback/fallback.go, pkg/scaling/executor): every observation of
// the trigger — the operator's poll and each HPA metrics query — that fails after GetMetricSpec
// answered adds one to the failure count (status.health numberOfFailures); a good one resets it.
// Past failureThreshold the observation is the fallback: the HPA is given fallback replicas ×
// target (by fallback.behavior) and then applies its usual rules, and the operator counts the
// trigger as active, so a workload at 0 is woken and lastActiveTime is refreshed. A failure
// below the threshold, or without `fallback`, keeps the replicas as they are — except with
// fallback.replicas 0, where the operator treats the error as inactive and may scale to 0. A
// failed GetMetricSpec (poolscaler unreachable) gives KEDA no metric to fall back for: no count,
// the replicas are held.
//
// The HPA, every sync period (HpaSync; kube-controller-manager's
// --horizontal-pod-autoscaler-sync-period, 15 s by default), with the metric read at that moment
// through KEDA's metrics server: nothing while the workload is at 0 (the HPA's "scaling is
// disabled"); with the ScaledObject's `behavior`, the same code as poolscaler's policy
// (policy::Evaluate with one always-active signal): ceil(metric / target), the current count kept
// while metric / (target × current) is within the tolerance, stabilization windows and rate
// policies, then [max(minReplicaCount, 1), maxReplicaCount]; without `behavior`, the HPA's legacy
// path (policy/hpa_legacy.h: the highest recommendation of 300 s, at most max(2 × current, 4)).
// Either history outlives KEDA's 0 ↔ 1 steps, as the HPA object does.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "poolscaler/common/time.h"
#include "poolscaler/config/local_run.h"
#include "poolscaler/policy/hpa_legacy.h"
#include "poolscaler/policy/policy.h"

namespace poolscaler::local {

// What one poll (GetMetricSpec → GetMetrics → IsActive) told KEDA.
struct PollResult {
  absl::Status status;      // OK, or the first failing call's status
  std::string failed_rpc;   // "GetMetricSpec", "GetMetrics", "IsActive" when status is not OK
  std::string metric_name;  // from GetMetricSpec
  double target = 0;        // targetSizeFloat when > 0, else targetSize
  double value = 0;         // metricValueFloat when > 0, else metricValue
  bool active = false;
};

// What KEDA and the HPA remember about one ScaledObject between polls.
struct ScaleState {
  std::optional<TimePoint> last_active;  // KEDA's lastActiveTime
  policy::PoolHistory hpa;               // the HPA's recommendations and scale events
  policy::LegacyHpaHistory legacy_hpa;   // the same without `behavior` (the legacy path)
  int64_t failures = 0;                  // KEDA's numberOfFailures (counted with `fallback`)
};

enum class ScaleReason : uint8_t {
  kHold,        // the poll (or the HPA's metric read) failed: replicas unchanged
  kIdle,        // inactive at minReplicaCount, or the HPA at 0 replicas: nothing to do
  kActivate,    // KEDA: active at 0 → max(min, 1)
  kCooldown,    // inactive but within cooldownPeriod: the HPA still decides (at least 1)
  kDeactivate,  // KEDA: cooldownPeriod over → minReplicaCount (0)
  kHpa,         // active above 0: the HPA's AverageValue step decides
  kFallback,    // past fallback.failureThreshold: the HPA decides from the fallback replicas
};
const char* ScaleReasonName(ScaleReason reason);  // "hold", "idle", "activate", ...

struct ScaleDecision {
  int64_t replicas = 0;
  ScaleReason reason = ScaleReason::kIdle;
  int64_t hpa_raw = 0;                    // ceil(metric / target) before tolerance and behavior
  std::vector<policy::Limit> hpa_limits;  // what changed the HPA's recommendation
};

// KEDA's operator polls a ScaledObject currently at `current` replicas. kCooldown, kHpa and
// kFallback leave the count to the HPA (`replicas` is `current`); a fallback at 0 is kActivate.
ScaleDecision KedaPoll(const config::LocalScaledObject& so, const PollResult& poll, int64_t current,
                       TimePoint now, ScaleState& state);

// A `StreamIsActive` message for an `external-push` trigger, as KEDA v2.21 handles it
// (scale_handler.go startPushScalers): `false` is ignored (inactivation waits for the next
// poll); `true` is RequestScale(isActive, no error) at once, without a poll: at 0 replicas
// kActivate to max(min, 1), otherwise the count stays (kHpa). Both refresh lastActiveTime.
ScaleDecision KedaPush(const config::LocalScaledObject& so, bool active, int64_t current,
                       TimePoint now, ScaleState& state);

// One sync of KEDA's HPA, with `metric` read at `now` (a failed read holds, or is the fallback).
// At 0 replicas it does nothing and reads nothing (kIdle); otherwise kHpa or kFallback.
ScaleDecision HpaSync(const config::LocalScaledObject& so, const PollResult& metric,
                      int64_t current, TimePoint now, ScaleState& state);

// A poll that is also an HPA sync: KedaPoll, then HpaSync from the same answer unless KEDA
// changed the count or the poll failed (the HPA acts from its next sync after an activation).
// They are two observations, as in KEDA: a failed answer counts twice toward failureThreshold.
ScaleDecision KedaStep(const config::LocalScaledObject& so, const PollResult& poll, int64_t current,
                       TimePoint now, ScaleState& state);

}  // namespace poolscaler::local
