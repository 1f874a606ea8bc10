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
  }
  return "hold";
}

ScaleDecision KedaPoll(const config::LocalScaledObject& so, const PollResult& poll, int64_t current,
                       TimePoint now, ScaleState& state) {
  ScaleDecision d;
  d.replicas = current;
  if (!poll.status.ok() || poll.target <= 0) {
    d.reason = ScaleReason::kHold;
    return d;
  }
  if (poll.active) state.last_active = now;
  if (current < so.min_replicas) {  // KEDA keeps a ScaledObject at its minimum at least
    d.replicas = so.min_replicas;
    d.reason = ScaleReason::kIdle;
    if (current == 0 && poll.active) {
      d.replicas = std::max<int64_t>(so.min_replicas, 1);
      d.reason = ScaleReason::kActivate;
    }
    return d;
  }
  if (current == 0) {
    d.reason = poll.active ? ScaleReason::kActivate : ScaleReason::kIdle;
    d.replicas = poll.active ? 1 : 0;
    return d;
  }
  if (!poll.active && so.min_replicas == 0) {
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

ScaleDecision HpaSync(const config::LocalScaledObject& so, const PollResult& metric,
                      int64_t current, TimePoint now, ScaleState& state) {
  ScaleDecision d;
  d.replicas = current;
  d.reason = ScaleReason::kIdle;
  if (current == 0) return d;  // horizontal.go: "scaling is disabled" at 0 replicas
  if (!metric.status.ok() || metric.target <= 0) {
    d.reason = ScaleReason::kHold;
    return d;
  }
  return Hpa(so, metric, current, now, state, ScaleReason::kHpa);
}

ScaleDecision KedaStep(const config::LocalScaledObject& so, const PollResult& poll, int64_t current,
                       TimePoint now, ScaleState& state) {
  ScaleDecision d = KedaPoll(so, poll, current, now, state);
  if (d.reason != ScaleReason::kHpa && d.reason != ScaleReason::kCooldown) return d;
  ScaleDecision sync = HpaSync(so, poll, current, now, state);
  sync.reason = d.reason;
  return sync;
}

}  // namespace poolscaler::local
