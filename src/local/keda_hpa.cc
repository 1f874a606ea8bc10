#include "poolscaler/local/keda_hpa.h"

#include <algorithm>
#include <utility>

namespace poolscaler::local {
namespace {

// The HPA's sync: policy::Evaluate with one signal that is always above its activation
// threshold, so that only the HPA's rules apply (KEDA handles 0 ↔ 1 itself).
ScaleDecision Hpa(const config::LocalScaledObject& so, const PollResult& poll, int64_t current,
                  TimePoint now, ScaleState& state, ScaleReason reason) {
  const int64_t min_replicas = std::max<int64_t>(so.min_replicas, 1);
  if (!so.hpa_behavior) {
    policy::LegacySync s = policy::LegacyHpaSync(poll.value, poll.target, current, min_replicas,
                                                 so.max_replicas, now, state.legacy_hpa);
    ScaleDecision d;
    d.replicas = s.replicas;
    d.reason = reason;
    d.hpa_raw = s.raw;
    d.hpa_limits = std::move(s.limits);
    return d;
  }
  policy::PoolParams params;
  params.min_replicas = min_replicas;
  params.max_replicas = so.max_replicas;
  params.behavior = *so.hpa_behavior;
  policy::SignalInput signal;
  signal.name = poll.metric_name;
  signal.value = poll.value;
  signal.lag_threshold = poll.target;
  signal.activation_threshold = -1;  // metric values are >= 0: always "active"
  policy::PoolHistory history = state.hpa;
  history.active = true;
  history.behavior.current = current;  // the Deployment's replicas, whoever set them
  policy::Evaluation ev = policy::Evaluate(params, {signal}, history, now);
  state.hpa = ev.history;
  ScaleDecision d;
  d.replicas = ev.decision.desired;
  d.reason = reason;
  d.hpa_raw = policy::ReplicasForLag(poll.value, poll.target);
  d.hpa_limits = ev.decision.limits;
  return d;
}

// What KEDA made of one observation of the trigger (fallback.go GetMetricsWithFallback).
enum class Seen : uint8_t { kMetric, kFallback, kError };

Seen Observe(const config::LocalScaledObject& so, const PollResult& poll, ScaleState& state) {
  if (poll.status.ok()) {
    if (so.fallback) state.failures = 0;  // UpdateHealthStatus: Happy, numberOfFailures 0
    return poll.target > 0 ? Seen::kMetric : Seen::kError;
  }
  // Without a metric spec KEDA has no metric to observe (or to fall back for).
  if (poll.failed_rpc == "GetMetricSpec" || !so.fallback) return Seen::kError;
  ++state.failures;  // IncrementFailure
  return state.failures > so.fallback->failure_threshold ? Seen::kFallback : Seen::kError;
}

// doFallback: the replicas the fallback metric stands for.
int64_t FallbackReplicas(const config::LocalFallback& f, int64_t current) {
  switch (f.behavior) {
    case config::FallbackBehavior::kStatic:
      return f.replicas;
    case config::FallbackBehavior::kCurrentReplicas:
      return current;
    case config::FallbackBehavior::kCurrentReplicasIfHigher:
      return std::max(current, f.replicas);
    case config::FallbackBehavior::kCurrentReplicasIfLower:
      return std::min(current, f.replicas);
  }
  return f.replicas;
}

}  // namespace

const char* ScaleReasonName(ScaleReason reason) {
  switch (reason) {
    case ScaleReason::kHold:
      return "hold";
    case ScaleReason::kIdle:
      return "idle";
    case ScaleReason::kActivate:
      return "activate";
    case ScaleReason::kCooldown:
      return "cooldown";
    case ScaleReason::kDeactivate:
      return "deactivate";
    case ScaleReason::kHpa:
      return "hpa";
    case ScaleReason::kFallback:
      return "fallback";
  }
  return "hold";
}

ScaleDecision KedaPoll(const config::LocalScaledObject& so, const PollResult& poll, int64_t current,
                       TimePoint now, ScaleState& state) {
  ScaleDecision d;
  d.replicas = current;
  const Seen seen = Observe(so, poll, state);
  // RequestScale(isActive, isError): an error changes nothing, unless fallback.replicas is 0,
  // where it falls through to the inactive cases (scale_scaledobjects.go).
  if (seen == Seen::kError && (!so.fallback || so.fallback->replicas != 0 || poll.status.ok())) {
    d.reason = ScaleReason::kHold;
    return d;
  }
  // getScalerState: "when fallback is active, the scaler should be considered active".
  const bool active = seen == Seen::kFallback || (seen == Seen::kMetric && poll.active);
  if (active) state.last_active = now;
  if (current == 0) {
    d.reason = active ? ScaleReason::kActivate : ScaleReason::kIdle;
    d.replicas = active ? std::max<int64_t>(so.min_replicas, 1) : 0;
    if (!active && so.min_replicas > 0) d.replicas = so.min_replicas;
    return d;
  }
  if (active) {  // KEDA leaves a running workload to the HPA (which also enforces the minimum)
    d.reason = seen == Seen::kFallback ? ScaleReason::kFallback : ScaleReason::kHpa;
    return d;
  }
  if (current < so.min_replicas) {  // inactive below the minimum: KEDA sets minReplicaCount
    d.replicas = so.min_replicas;
    d.reason = ScaleReason::kIdle;
    return d;
  }
  if (so.min_replicas == 0) {
    // KEDA: lastActiveTime + cooldownPeriod strictly before now (scale_scaledobjects.go,
    // scaleToZeroOrIdle): a poll exactly cooldownPeriod after the last active one still waits.
    bool cooled = !state.last_active || now - *state.last_active > so.cooldown_period;
    d.reason = cooled ? ScaleReason::kDeactivate : ScaleReason::kCooldown;
    if (cooled) d.replicas = 0;
    return d;
  }
  d.reason = ScaleReason::kHpa;
  return d;
}

ScaleDecision KedaPush(const config::LocalScaledObject& so, bool active, int64_t current,
                       TimePoint now, ScaleState& state) {
  ScaleDecision d;
  d.replicas = current;
  if (!active) {  // "inactivation events are ignored"
    d.reason = ScaleReason::kHold;
    return d;
  }
  state.last_active = now;  // scaleFromZeroOrIdle on success, else the default case
  if (current == 0) {
    d.reason = ScaleReason::kActivate;
    d.replicas = std::max<int64_t>(so.min_replicas, 1);
    return d;
  }
  d.reason = ScaleReason::kHpa;
  return d;
}

ScaleDecision HpaSync(const config::LocalScaledObject& so, const PollResult& metric,
                      int64_t current, TimePoint now, ScaleState& state) {
  ScaleDecision d;
  d.replicas = current;
  d.reason = ScaleReason::kIdle;
  if (current == 0) return d;  // horizontal.go: "scaling is disabled" at 0 replicas
  const Seen seen = Observe(so, metric, state);
  if (seen == Seen::kError) {
    d.reason = ScaleReason::kHold;
    return d;
  }
  if (seen == Seen::kFallback) {
    // KEDA reports fallback replicas × target; the HPA divides by the target again (in milli-units,
    // exact), so the HPA sees the replicas against a target of 1.
    PollResult fallback = metric;
    fallback.status = absl::OkStatus();
    fallback.value = static_cast<double>(FallbackReplicas(*so.fallback, current));
    fallback.target = 1;
    return Hpa(so, fallback, current, now, state, ScaleReason::kFallback);
  }
  return Hpa(so, metric, current, now, state, ScaleReason::kHpa);
}

ScaleDecision KedaStep(const config::LocalScaledObject& so, const PollResult& poll, int64_t current,
                       TimePoint now, ScaleState& state) {
  ScaleDecision d = KedaPoll(so, poll, current, now, state);
  if (d.reason != ScaleReason::kHpa && d.reason != ScaleReason::kCooldown &&
      d.reason != ScaleReason::kFallback) {
    return d;
  }
  ScaleDecision sync = HpaSync(so, poll, current, now, state);
  if (sync.reason != ScaleReason::kFallback) sync.reason = d.reason;
  return sync;
}

}  // namespace poolscaler::local
