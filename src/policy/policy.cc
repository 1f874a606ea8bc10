#include "poolscaler/policy/policy.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace poolscaler::policy {

const char* LimitName(Limit limit) {
  switch (limit) {
    case Limit::kActivationHold: return "activation-hold";
    case Limit::kInactive: return "inactive";
    case Limit::kScaleDownWindow: return "scale-down-window";
    case Limit::kMinReplicas: return "min";
    case Limit::kMaxReplicas: return "max";
  }
  return "unknown";
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

namespace {

// Drops window entries older than `window` and returns the highest remaining recommendation.
std::optional<int64_t> WindowMax(std::deque<std::pair<TimePoint, int64_t>>& recent,
                                 TimePoint now, Duration window) {
  while (!recent.empty() && now - recent.front().first > window) recent.pop_front();
  if (recent.empty()) return std::nullopt;
  return recent.front().second;
}

// Appends a recommendation, keeping values strictly descending from front to back: an older
// entry that is not higher than the new one can never be the window max again.
void PushRecommendation(std::deque<std::pair<TimePoint, int64_t>>& recent, TimePoint now,
                        int64_t value) {
  while (!recent.empty() && recent.back().second <= value) recent.pop_back();
  recent.emplace_back(now, value);
}

}  // namespace

Evaluation Evaluate(const PoolParams& params, const std::vector<SignalInput>& signals,
                    const PoolHistory& history, TimePoint now) {
  Evaluation out{{}, history};
  Decision& d = out.decision;
  PoolHistory& h = out.history;

  // 1. Raw recommendation: the highest signal wins; the first one wins ties.
  bool above_activation = false;
  for (const SignalInput& s : signals) {
    int64_t replicas = ReplicasForLag(s.value, s.lag_threshold);
    if (d.winning_signal.empty() || replicas > d.raw_desired) {
      d.raw_desired = replicas;
      d.winning_signal = s.name;
      d.winning_value = s.value;
    }
    if (s.value > s.activation_threshold) above_activation = true;
  }

  // 2. Activation with hysteresis.
  if (above_activation) {
    h.active = true;
    h.last_above_activation = now;
  } else if (h.active) {
    bool cooled = !h.last_above_activation || now - *h.last_above_activation >= params.cooldown;
    if (cooled) {
      h.active = false;
    } else {
      d.limits.push_back(Limit::kActivationHold);
    }
  }
  d.active = h.active;

  // 3. Inactive: the pool rests at minReplicas and forgets its window.
  if (!d.active) {
    d.desired = params.min_replicas;
    d.limits.push_back(Limit::kInactive);
    h.recent.clear();
    return out;
  }

  // 4. Active: clamp, then hold scale-down to the window's highest recommendation.
  int64_t floor = std::max<int64_t>(params.min_replicas, 1);
  int64_t rec = d.raw_desired;
  if (rec < floor) {
    rec = floor;
    d.limits.push_back(Limit::kMinReplicas);
  }
  if (rec > params.max_replicas) {
    rec = params.max_replicas;
    d.limits.push_back(Limit::kMaxReplicas);
  }
  d.desired = rec;
  if (params.scale_down_window > Duration::zero()) {
    std::optional<int64_t> held = WindowMax(h.recent, now, params.scale_down_window);
    PushRecommendation(h.recent, now, rec);
    if (held && *held > rec) {
      d.desired = std::min(*held, params.max_replicas);
      if (d.desired > rec) d.limits.push_back(Limit::kScaleDownWindow);
    }
  } else {
    h.recent.clear();
  }
  return out;
}

}  // namespace poolscaler::policy
