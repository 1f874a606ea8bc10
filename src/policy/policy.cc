#include "poolscaler/policy/policy.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace poolscaler::policy {

const char* LimitName(Limit limit) {
  switch (limit) {
    case Limit::kActivationHold:
      return "activation-hold";
    case Limit::kInactive:
      return "inactive";
    case Limit::kTolerance:
      return "tolerance";
    case Limit::kSignalMissing:
      return "signal-missing";
    case Limit::kStabilization:
      return "stabilization";
    case Limit::kScaleUpRate:
      return "scale-up-rate";
    case Limit::kScaleDownRate:
      return "scale-down-rate";
    case Limit::kMinReplicas:
      return "min";
    case Limit::kMaxReplicas:
      return "max";
    case Limit::kBudgetCpu:
      return "budget:cpu";
    case Limit::kBudgetMemory:
      return "budget:memory";
    case Limit::kBudgetGpu:
      return "budget:gpu";
  }
  return "unknown";
}

void Decision::Apply(Limit l, int64_t before, int64_t after) {
  limits.push_back(l);
  steps.push_back({l, before, after});
}

bool Decision::Limited(Limit l) const {
  return std::find(limits.begin(), limits.end(), l) != limits.end();
}

int64_t ReplicasForLag(double value, double lag_threshold) {
  constexpr int64_t kCap = std::numeric_limits<int64_t>::max() / 2;
  if (!(value > 0) || !(lag_threshold > 0)) return 0;  // also catches NaN
  double replicas = std::ceil(value / lag_threshold);
  if (!(replicas < static_cast<double>(kCap))) return kCap;
  return static_cast<int64_t>(replicas);
}

int64_t ReplicasForUtilization(double pods, double usage, double target, Tolerance tolerance) {
  if (!(pods > 0) || !(target > 0) || !(usage >= 0)) return 0;  // also catches NaN
  double ratio = usage / target;
  if (!tolerance.None() && tolerance.Within(ratio)) return ReplicasForLag(std::ceil(pods), 1);
  return ReplicasForLag(ratio * pods, 1);
}

int64_t SignalReplicas(const SignalInput& signal) {
  if (signal.kind == SignalKind::kUtilization) {
    return ReplicasForUtilization(signal.pods, signal.value, signal.lag_threshold);
  }
  return ReplicasForLag(signal.value, signal.lag_threshold);
}

const char* ObservationName(Observation o) {
  switch (o) {
    case Observation::kSeeded:
      return "seeded";
    case Observation::kAdopted:
      return "adopted";
    case Observation::kExplained:
      return "explained";
    case Observation::kUnchanged:
      return "unchanged";
  }
  return "unknown";
}

namespace {

// Remembers a decided target for ObserveReplicas (consecutive equal targets once).
void NoteTarget(PoolHistory& h, int64_t target, TimePoint now) {
  if (!h.recent_targets.empty() && h.recent_targets.back().second == target) {
    h.recent_targets.back().first = now;
    return;
  }
  if (h.recent_targets.size() >= kRecentTargets) h.recent_targets.erase(h.recent_targets.begin());
  h.recent_targets.emplace_back(now, target);
}

// ReplicasForLag, or `current` when the signal is within the tolerance band (the HPA's
// Tolerances.isWithin(usageRatio), usageRatio = value / (threshold × current)). Utilization
// signals carry their own band, relative to the pods they were measured on (the HPA's rule); a
// band of 0 gives the untolerated recommendation.
int64_t SignalReplicas(const SignalInput& s, Tolerance tolerance, std::optional<int64_t> current) {
  if (s.replicas) {
    // Computed outside (drain-time mode): the HPA's tolerance on replicas / current.
    int64_t replicas = std::max<int64_t>(*s.replicas, 0);
    if (current && *current > 0 && !tolerance.None() &&
        tolerance.Within(static_cast<double>(replicas) / static_cast<double>(*current))) {
      return *current;
    }
    return replicas;
  }
  if (s.kind == SignalKind::kUtilization) {
    return ReplicasForUtilization(s.pods, s.value, s.lag_threshold, tolerance);
  }
  int64_t replicas = ReplicasForLag(s.value, s.lag_threshold);
  if (current && *current > 0 && !tolerance.None() && s.value >= 0 && s.lag_threshold > 0) {
    double ratio = s.value / (s.lag_threshold * static_cast<double>(*current));
    if (tolerance.Within(ratio)) return *current;
  }
  return replicas;
}

}  // namespace

Evaluation Evaluate(const PoolParams& params, const std::vector<SignalInput>& signals,
                    const PoolHistory& history, TimePoint now, size_t missing_signals) {
  Evaluation out{{}, history, std::nullopt};
  const bool partial = missing_signals > 0;
  Decision& d = out.decision;
  PoolHistory& h = out.history;
  BehaviorHistory& bh = h.behavior;
  const Behavior& b = params.behavior;

  // 1. Raw recommendation: the highest signal wins; the first one wins ties. Utilization
  // signals wake the pool only when it may not rest at 0 anyway, or when nothing else can.
  bool any_lag = std::any_of(signals.begin(), signals.end(),
                             [](const SignalInput& s) { return s.kind == SignalKind::kLag; });
  const bool resources_activate =
      params.resource_signals_activate || params.min_replicas > 0 || !any_lag;
  bool above_activation = false;
  int64_t untolerated = 0;
  for (const SignalInput& s : signals) {
    int64_t replicas = SignalReplicas(s, b.Band(), h.active ? bh.current : std::nullopt);
    if (d.winning_signal.empty() || replicas > d.raw_desired) {
      d.raw_desired = replicas;
      d.winning_signal = s.name;
      d.winning_value = s.value;
    }
    untolerated = std::max(untolerated, SignalReplicas(s, Tolerance(0), std::nullopt));
    bool may_activate = s.kind == SignalKind::kLag || resources_activate;
    if (may_activate && (s.value > s.activation_threshold || s.arriving)) above_activation = true;
  }

  // 2. Activation with hysteresis.
  bool was_active = h.active;
  if (above_activation) {
    h.active = true;
    h.last_above_activation = now;
  } else if (h.active) {
    bool cooled = !h.last_above_activation || now - *h.last_above_activation >= params.cooldown;
    if (cooled && partial) {
      // The missing signal may be the one above its threshold.
      d.Apply(Limit::kSignalMissing, d.raw_desired, d.raw_desired);
    } else if (cooled) {
      h.active = false;
    } else {
      d.limits.push_back(Limit::kActivationHold);
      d.steps.push_back({Limit::kActivationHold, d.raw_desired, d.raw_desired});
    }
  }
  d.active = h.active;

  // 3. Inactive: the pool rests at minReplicas and its behavior history restarts there.
  if (!d.active) {
    d.desired = params.min_replicas;
    d.Apply(Limit::kInactive, d.raw_desired, d.desired);
    out.previous_target = bh.current;
    bh.Clear();
    bh.current = params.min_replicas;
    NoteTarget(h, d.desired, now);
    return out;
  }

  // 4. Active: HPA normalization. KEDA brings a pool from zero to max(min, 1) itself.
  const int64_t floor = std::max<int64_t>(params.min_replicas, 1);
  if (!was_active && bh.current) bh.current = std::max(*bh.current, floor);
  if (d.raw_desired != untolerated) d.Apply(Limit::kTolerance, untolerated, d.raw_desired);

  if (partial && bh.current && d.raw_desired < *bh.current) {
    // The HPA's rule for invalid metrics: no scale-down, and nothing recorded.
    // Clamped as below, in case a reload moved the bounds.
    const int64_t held = std::min(std::max(*bh.current, floor), params.max_replicas);
    if (!d.Limited(Limit::kSignalMissing)) d.Apply(Limit::kSignalMissing, d.raw_desired, held);
    d.desired = held;
    out.previous_target = bh.current;
    if (held != *bh.current) RecordTarget(b, held, now, bh);
    NoteTarget(h, held, now);
    return out;
  }

  int64_t target = Stabilize(b, d.raw_desired, now, bh);
  if (target != d.raw_desired) d.Apply(Limit::kStabilization, d.raw_desired, target);

  if (bh.current) {
    const int64_t current = *bh.current;
    if (target > current) {
      std::optional<int64_t> rate = ScaleUpLimit(b.scale_up, current, now, bh);
      bool rate_binds = rate && *rate < params.max_replicas;
      int64_t allowed = rate_binds ? *rate : params.max_replicas;
      if (target > allowed) {
        d.Apply(rate_binds ? Limit::kScaleUpRate : Limit::kMaxReplicas, target, allowed);
        target = allowed;
      }
    } else if (target < current) {
      std::optional<int64_t> rate = ScaleDownLimit(b.scale_down, current, now, bh);
      bool rate_binds = rate && *rate > floor;
      int64_t allowed = rate_binds ? *rate : floor;
      if (target < allowed) {
        d.Apply(rate_binds ? Limit::kScaleDownRate : Limit::kMinReplicas, target, allowed);
        target = allowed;
      }
    }
  }
  if (target < floor) {
    d.Apply(Limit::kMinReplicas, target, floor);
    target = floor;
  }
  if (target > params.max_replicas) {
    d.Apply(Limit::kMaxReplicas, target, params.max_replicas);
    target = params.max_replicas;
  }
  d.desired = target;
  out.previous_target = bh.current;
  RecordTarget(b, target, now, bh);
  NoteTarget(h, target, now);
  return out;
}

Observation ObserveReplicas(const PoolParams& params, PoolHistory& h, int64_t observed,
                            TimePoint now, Duration settle) {
  observed = std::max<int64_t>(observed, 0);
  BehaviorHistory& bh = h.behavior;
  const std::optional<int64_t> last = h.observed;
  h.observed = observed;
  if (!bh.current) {
    bh.current = observed;
    SeedRecommendation(params.behavior, observed, now, bh);
    if (observed > 0) {
      h.active = true;
      h.last_above_activation = now;
    }
    NoteTarget(h, observed, now);
    return Observation::kSeeded;
  }
  if (last && *last == observed) return Observation::kUnchanged;
  for (const auto& [at, target] : h.recent_targets) {
    if (target == observed && at > now - settle) return Observation::kExplained;
  }
  if (observed == *bh.current) return Observation::kExplained;
  bh.current = observed;
  NoteTarget(h, observed, now);
  return Observation::kAdopted;
}

bool RestoreTargets(const PoolParams& params, PoolHistory& h,
                    const std::vector<std::pair<TimePoint, int64_t>>& targets, TimePoint now) {
  if (targets.empty() || h.behavior.current) return false;
  TimePoint last_at = TimePoint::min();
  int64_t last = 0;
  for (const auto& [at, replicas] : targets) {
    // Monotonic queues need times in order; a time after `now` is taken as `now`.
    last_at = std::max(last_at, std::min(at, now));
    last = std::max<int64_t>(replicas, 0);
    SeedRecommendation(params.behavior, last, last_at, h.behavior);
  }
  h.behavior.current = last;
  if (last > 0) {
    h.active = true;
    h.last_above_activation = last_at;
  }
  NoteTarget(h, last, now);
  return true;
}

Duration TimeToInactive(const PoolParams& params, const PoolHistory& history, TimePoint now) {
  if (!history.active || !history.last_above_activation) return Duration::zero();
  Duration left = *history.last_above_activation + params.cooldown - now;
  return std::max(left, Duration::zero());
}

void OverrideDesired(const PoolParams& params, Evaluation& ev, int64_t desired, Limit limit,
                     TimePoint now) {
  Decision& d = ev.decision;
  if (desired == d.desired) return;
  d.Apply(limit, d.desired, desired);
  d.desired = desired;
  // Undo what RecordTarget did for the replaced target, then record the new one.
  BehaviorHistory& bh = ev.history.behavior;
  for (auto* events : {&bh.scale_up_events, &bh.scale_down_events}) {
    if (!events->empty() && events->back().at == now) events->pop_back();
  }
  bh.current = ev.previous_target;
  RecordTarget(params.behavior, desired, now, bh);
  std::vector<std::pair<TimePoint, int64_t>>& recent = ev.history.recent_targets;
  if (!recent.empty() && recent.back().first == now) recent.pop_back();
  NoteTarget(ev.history, desired, now);
}

}  // namespace poolscaler::policy
