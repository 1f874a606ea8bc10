// HPA behavior, following kubernetes pkg/controller/podautoscaler/horizontal.go
// (stabilizeRecommendationWithBehaviors, calculateScaleUpLimitWithScalingRules,
// calculateScaleDownLimitWithBehaviors, getReplicasChangePerPeriod), reimplemented on int64.
#include "poolscaler/policy/behavior.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace poolscaler::policy {

namespace {

// True when `at` is strictly inside the window ending at `now` (the HPA's `After(cutoff)`).
bool Inside(TimePoint at, TimePoint now, Duration window) { return at > now - window; }

// Drops the entries at the front of `v` for which `gone` holds (the queue's oldest).
template <typename T, typename Pred>
void DropFront(std::vector<T>& v, Pred gone) {
  auto keep = std::find_if_not(v.begin(), v.end(), gone);
  v.erase(v.begin(), keep);
}

// Sum of changes strictly newer than now - period.
int64_t ChangeInPeriod(const std::vector<ScaleEvent>& events, TimePoint now, Duration period) {
  int64_t sum = 0;
  for (const ScaleEvent& e : events) {
    if (Inside(e.at, now, period)) sum += e.change;
  }
  return sum;
}

int64_t PeriodStart(const ScalingPolicy& p, int64_t current, TimePoint now,
                    const BehaviorHistory& h) {
  return current - ChangeInPeriod(h.scale_up_events, now, p.period) +
         ChangeInPeriod(h.scale_down_events, now, p.period);
}

Duration LongestPeriod(const Behavior& b) {
  Duration longest{};
  for (const auto* rules : {&b.scale_up, &b.scale_down}) {
    for (const ScalingPolicy& p : rules->policies) longest = std::max(longest, p.period);
  }
  return longest;
}

}  // namespace

int64_t Stabilize(const Behavior& b, int64_t recommended, TimePoint now, BehaviorHistory& h) {
  const Duration up_window = b.scale_up.stabilization_window;
  const Duration down_window = b.scale_down.stabilization_window;
  DropFront(h.up_min, [&](const auto& e) { return !Inside(e.first, now, up_window); });
  DropFront(h.down_max, [&](const auto& e) { return !Inside(e.first, now, down_window); });
  int64_t lower = recommended;
  int64_t upper = recommended;
  if (!h.up_min.empty()) lower = std::min(lower, h.up_min.front().second);
  if (!h.down_max.empty()) upper = std::max(upper, h.down_max.front().second);

  int64_t result = h.current.value_or(recommended);
  if (result < lower) result = lower;
  if (result > upper) result = upper;
  SeedRecommendation(b, recommended, now, h);
  return result;
}

void SeedRecommendation(const Behavior& b, int64_t recommended, TimePoint now, BehaviorHistory& h) {
  // Record the unstabilized recommendation. An older entry that can never again be the window's
  // min (for up) or max (for down) is dropped, so each queue stays short.
  while (!h.up_min.empty() && h.up_min.back().second >= recommended) h.up_min.pop_back();
  if (b.scale_up.stabilization_window > Duration::zero()) h.up_min.emplace_back(now, recommended);
  while (!h.down_max.empty() && h.down_max.back().second <= recommended) h.down_max.pop_back();
  if (b.scale_down.stabilization_window > Duration::zero()) {
    h.down_max.emplace_back(now, recommended);
  }
}

std::optional<int64_t> ScaleUpLimit(const ScalingRules& rules, int64_t current, TimePoint now,
                                    const BehaviorHistory& h) {
  if (rules.select == SelectPolicy::kDisabled) return current;
  if (rules.policies.empty()) return std::nullopt;
  bool pick_max = rules.select == SelectPolicy::kMax;
  int64_t result =
      pick_max ? std::numeric_limits<int64_t>::min() : std::numeric_limits<int64_t>::max();
  for (const ScalingPolicy& p : rules.policies) {
    int64_t start = PeriodStart(p, current, now, h);
    int64_t proposed = 0;
    if (p.type == ScalingPolicyType::kPods) {
      proposed = start + p.value;
    } else {
      // Rounded up, or a small pool could never grow.
      proposed = static_cast<int64_t>(
          std::ceil(static_cast<double>(start) * (1 + static_cast<double>(p.value) / 100)));
    }
    result = pick_max ? std::max(result, proposed) : std::min(result, proposed);
  }
  return std::max(result, current);
}

std::optional<int64_t> ScaleDownLimit(const ScalingRules& rules, int64_t current, TimePoint now,
                                      const BehaviorHistory& h) {
  if (rules.select == SelectPolicy::kDisabled) return current;
  if (rules.policies.empty()) return std::nullopt;
  // kMax allows the biggest change, i.e. the lowest target.
  bool pick_lowest = rules.select == SelectPolicy::kMax;
  int64_t result =
      pick_lowest ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
  for (const ScalingPolicy& p : rules.policies) {
    int64_t start = PeriodStart(p, current, now, h);
    int64_t proposed = 0;
    if (p.type == ScalingPolicyType::kPods) {
      proposed = start - p.value;
    } else {
      // Truncated, as the HPA does: 72 × 0.9 = 64.8 → 64 (8 removed).
      proposed = static_cast<int64_t>(static_cast<double>(start) *
                                      (1 - static_cast<double>(p.value) / 100));
    }
    result = pick_lowest ? std::min(result, proposed) : std::max(result, proposed);
  }
  return std::min(result, current);
}

void RecordTarget(const Behavior& b, int64_t target, TimePoint now, BehaviorHistory& h) {
  Duration keep = LongestPeriod(b);
  for (auto* events : {&h.scale_up_events, &h.scale_down_events}) {
    DropFront(*events, [&](const ScaleEvent& e) { return !Inside(e.at, now, keep); });
  }
  if (h.current && target > *h.current && keep > Duration::zero()) {
    h.scale_up_events.push_back({now, target - *h.current});
  } else if (h.current && target < *h.current && keep > Duration::zero()) {
    h.scale_down_events.push_back({now, *h.current - target});
  }
  h.current = target;
}

}  // namespace poolscaler::policy
