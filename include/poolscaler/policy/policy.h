#pragma once
// Policy v1: turns a pool's signals into a replica target. Pure: no I/O, no clock reads; the
// caller passes `now` and carries the PoolHistory from one evaluation to the next, so the server,
// the simulator and the tests run the same code. Nothing here is thread-safe or needs to be:
// every function works on values the caller owns.
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "poolscaler/common/time.h"

namespace poolscaler::policy {

// Per-pool knobs (config `pools[]`, or implied by raw-mode trigger metadata).
struct PoolParams {
  int64_t min_replicas = 0;
  int64_t max_replicas = 100;
  // The pool goes inactive only after every signal has stayed at or below its activation
  // threshold for this long (0: as soon as it is).
  Duration cooldown{};
  // Scale-down only to the highest recommendation seen over this window (0: no smoothing).
  Duration scale_down_window{};
};

// One signal's reading for this evaluation.
struct SignalInput {
  std::string name;                // e.g. "orders/outstanding"; names the winner
  double value = 0;                // lag, in messages
  double lag_threshold = 1;        // per-replica target, > 0
  double activation_threshold = 0; // active when value > this
};

// Limits a decision can record, in the order they are applied.
enum class Limit : uint8_t {
  kActivationHold,    // signals are idle but cooldown keeps the pool active
  kInactive,          // pool is inactive: desired is minReplicas
  kScaleDownWindow,   // a higher recommendation inside the window kept desired up
  kMinReplicas,       // clamped up to minReplicas (or to 1 while active)
  kMaxReplicas,       // clamped down to maxReplicas
};
const char* LimitName(Limit limit);  // "activation-hold", "inactive", "scale-down-window", "min", "max"
inline constexpr Limit kAllLimits[] = {Limit::kActivationHold, Limit::kInactive,
                                       Limit::kScaleDownWindow, Limit::kMinReplicas,
                                       Limit::kMaxReplicas};

struct Decision {
  int64_t desired = 0;       // replica target after every rule
  int64_t raw_desired = 0;   // max over signals of ceil(value / lag_threshold)
  bool active = false;
  std::string winning_signal;  // the signal that gave raw_desired ("" when there are none)
  double winning_value = 0;
  std::vector<Limit> limits;   // every limit that changed the result, in order applied
  bool Limited(Limit l) const;
};

// State carried between evaluations of one pool. Start with a default-constructed value.
struct PoolHistory {
  bool active = false;
  // Last time any signal was above its activation threshold.
  std::optional<TimePoint> last_above_activation;
  // Recommendations (after min/max clamp) still inside the scale-down window, kept as a
  // monotonic queue: times ascending, values strictly descending, so front() is the window max.
  std::deque<std::pair<TimePoint, int64_t>> recent;
};

struct Evaluation {
  Decision decision;
  PoolHistory history;
};

// ceil(value / lag_threshold) for value >= 0 and lag_threshold > 0, saturating at INT64_MAX /
// 2; a NaN or negative value counts as 0.
int64_t ReplicasForLag(double value, double lag_threshold);

// Evaluates one pool. Rules, in order:
//  1. raw = max over signals of ReplicasForLag (0 with no signals); the first max wins ties.
//  2. active: if any signal > its activation threshold → active, last_above = now. Otherwise
//     the pool stays active until now - last_above >= cooldown (kActivationHold while held).
//  3. inactive → desired = min_replicas (kInactive), window history is cleared.
//  4. active → rec = clamp(raw, max(min_replicas, 1), max_replicas) (kMinReplicas / kMaxReplicas);
//     desired = max(rec, max rec recorded within scale_down_window) (kScaleDownWindow), then
//     capped at max_replicas again (a reload may have lowered it).
// `now` must not go backwards between calls with the same history.
Evaluation Evaluate(const PoolParams& params, const std::vector<SignalInput>& signals,
                    const PoolHistory& history, TimePoint now);

}  // namespace poolscaler::policy
