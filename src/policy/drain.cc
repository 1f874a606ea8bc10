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

namespace poolscaler::policy {

DrainOutcome DrainStep(const DrainParams& params, DrainState& state, const DrainReading& reading,
                       std::optional<int64_t> current_target, TimePoint now) {
  DrainOutcome out;
  if (state.target != current_target) {
    state.target = current_target;
    state.target_since = now;
    state.saturated_since.reset();
  }
  if (!reading.arrived_total) {
    state.arriving = false;
  } else {
    if (!state.arrivals.last_count || reading.sampled_at > state.arrivals.last_at) {
      state.arriving = state.arrivals.last_count && *reading.arrived_total > *state.arrivals.last_count;
    }
    UpdateRate(state.arrivals, *reading.arrived_total, reading.sampled_at, params.rate_half_life);
  }
  out.arriving = state.arriving;
  if (reading.completed_total) {
    UpdateRate(state.completions, *reading.completed_total, reading.sampled_at,
               params.rate_half_life);
  }
  out.arrival_per_second = reading.arrived_total ? state.arrivals.per_second : std::nullopt;
  out.completion_per_second =
      reading.completed_total ? state.completions.per_second : std::nullopt;

  // Learning: one replica's rate, observed while every replica had work — for long enough that
  // the smoothed completion rate covers only that time (4 half-lives: 94 % of its weight).
  const bool saturated = current_target && *current_target > 0 &&
                         reading.backlog >= static_cast<double>(*current_target);
  if (!saturated) {
    state.saturated_since.reset();
  } else if (!state.saturated_since) {
    state.saturated_since = now;
  }
  bool long_enough = false;
  if (state.saturated_since) {
    TimePoint from = std::max(*state.saturated_since, state.target_since + params.learn_settle);
    long_enough = now >= from && now - from >= 4 * params.rate_half_life;
  }
  if (params.learn_per_replica_rate && long_enough && out.completion_per_second &&
      *out.completion_per_second > 0 &&
      (!state.learned_at || reading.sampled_at > *state.learned_at)) {
    double observed = *out.completion_per_second / static_cast<double>(*current_target);
    if (!state.learned_per_replica_rate || !state.learned_at) {
      state.learned_per_replica_rate = observed;
    } else {
      double dt = ToSeconds(reading.sampled_at - *state.learned_at);
      double hl = std::max(ToSeconds(params.rate_half_life), 1e-9);
      double weight = 1 - std::exp2(-dt / hl);
      *state.learned_per_replica_rate += weight * (observed - *state.learned_per_replica_rate);
    }
    state.learned_at = reading.sampled_at;
  }
  out.per_replica_rate = params.learn_per_replica_rate && state.learned_per_replica_rate
                             ? state.learned_per_replica_rate
                             : params.per_replica_rate;
  if (out.per_replica_rate) {
    out.replicas = DrainReplicas(out.arrival_per_second, reading.backlog, params.target_drain,
                                 *out.per_replica_rate);
  }
  return out;
}

}  // namespace poolscaler::policy
