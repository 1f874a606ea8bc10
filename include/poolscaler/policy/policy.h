#pragma once
// Policy v2: turns a pool's signals into a replica target. Pure: no I/O, no clock reads; the
// caller passes `now` and carries the PoolHistory from one evaluation to the next, so the server,
// the simulator and the tests run the same code. Nothing here is thread-safe or needs to be:
// every function works on values the caller owns.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "poolscaler/common/time.h"
#include "poolscaler/policy/behavior.h"
#include "poolscaler/policy/drain.h"

namespace poolscaler::policy {

// What one replica of a pool costs, in the units budgets are written in.
struct ReplicaCost {
  double cpu_cores = 0;
  double memory_bytes = 0;
  double gpus = 0;
};

// Per-pool knobs (config `pools[]`, or implied by raw-mode trigger metadata).
struct PoolParams {
  int64_t min_replicas = 0;
  int64_t max_replicas = 100;
  // The pool goes inactive only after every signal has stayed at or below its activation
  // threshold for this long (0: as soon as it is).
  Duration cooldown{};
  // Whether utilization (CPU/memory) signals may make the pool active. They always may when
  // min_replicas > 0 or the pool has no lag signal; otherwise (the pool may rest at 0) only
  // queue signals wake it and an idle queue lets it reach 0 whatever the CPU says.
  bool resource_signals_activate = false;
  // Tolerance, stabilization windows and rate policies (HPA defaults). The v1 key
  // `scaleDownWindowSeconds` is behavior.scale_down.stabilization_window.
  Behavior behavior;
  // Tier group membership (config `tierGroup`, "" for none), priority inside the group (higher
  // is served first) and the cost of one replica, for budgets (see budget.h).
  std::string tier_group{};
  int64_t priority = 0;
  ReplicaCost cost{};
  // Drain-time mode (drain.h); applied by the caller (pools::PoolTable, sim) to the lag
  // signals whose sources report arrival/completion counters, before Evaluate.
  DrainParams drain{};
};

// What a signal's value means.
enum class SignalKind : uint8_t {
  kLag,          // work waiting: replicas = ceil(value / lag_threshold)
  kUtilization,  // per-pod usage (HPA-style): replicas = ceil(pods × value / lag_threshold),
                 // unchanged (= pods) within the HPA tolerance
};

// The Kubernetes HPA's default tolerance (--horizontal-pod-autoscaler-tolerance): no change
// while |usage / target − 1| <= 0.1.
inline constexpr double kHpaTolerance = 0.1;

// One signal's reading for this evaluation.
struct SignalInput {
  std::string name;                 // e.g. "orders/outstanding"; names the winner
  double value = 0;                 // lag, in messages
  double lag_threshold = 1;         // per-replica target, > 0
  double activation_threshold = 0;  // active when value > this
  SignalKind kind = SignalKind::kLag;
  double pods = 0;  // kUtilization: the pods the usage was measured on
  // Set when the replica count is computed outside (drain-time mode, see drain.h): used instead
  // of ceil(value / lag_threshold); the tolerance keeps the current target while
  // |replicas / current − 1| <= tolerance. `value` still drives activation.
  std::optional<int64_t> replicas = std::nullopt;
  // Drain-time mode: work arrived at the latest reading. Counts as above the activation
  // threshold, so a pool whose workers keep the backlog at 0 stays active.
  bool arriving = false;
};

// Limits a decision can record, in the order they are applied.
enum class Limit : uint8_t {
  kActivationHold,  // signals are idle but cooldown keeps the pool active
  kInactive,        // pool is inactive: desired is minReplicas
  kTolerance,       // a signal within tolerance of the current target kept it
  kSignalMissing,   // a signal without a fresh value blocked a scale-down (or going inactive)
  kStabilization,   // a recommendation inside a stabilization window held desired
  kScaleUpRate,     // scale-up rate policies (or selectPolicy Disabled) held desired down
  kScaleDownRate,   // scale-down rate policies (or selectPolicy Disabled) held desired up
  kMinReplicas,     // clamped up to minReplicas (or to 1 while active)
  kMaxReplicas,     // clamped down to maxReplicas
  kBudgetCpu,       // the tier group's cpu budget cut desired
  kBudgetMemory,    // ... memory budget
  kBudgetGpu,       // ... gpu budget
};
// "activation-hold", "inactive", "tolerance", "signal-missing", "stabilization", "scale-up-rate",
// "scale-down-rate", "min", "max", "budget:cpu", "budget:memory", "budget:gpu".
const char* LimitName(Limit limit);
inline constexpr Limit kAllLimits[] = {
    Limit::kActivationHold, Limit::kInactive,    Limit::kTolerance,     Limit::kSignalMissing,
    Limit::kStabilization,  Limit::kScaleUpRate, Limit::kScaleDownRate, Limit::kMinReplicas,
    Limit::kMaxReplicas,    Limit::kBudgetCpu,   Limit::kBudgetMemory,  Limit::kBudgetGpu};

// One limit that changed the target, with the target before and after it.
struct LimitStep {
  Limit limit;
  int64_t before = 0;
  int64_t after = 0;
};

struct Decision {
  int64_t desired = 0;      // replica target after every rule
  int64_t raw_desired = 0;  // max over signals of ceil(value / lag_threshold)
  bool active = false;
  std::string winning_signal;  // the signal that gave raw_desired ("" when there are none)
  double winning_value = 0;
  std::vector<Limit> limits;     // every limit that changed the result, in order applied
  std::vector<LimitStep> steps;  // the same limits with the target before and after each
  bool Limited(Limit l) const;
  // Appends `l` to `limits` and `steps`.
  void Apply(Limit l, int64_t before, int64_t after);
};

// State carried between evaluations of one pool. Start with a default-constructed value.
struct PoolHistory {
  bool active = false;
  // Last time any signal was above its activation threshold.
  std::optional<TimePoint> last_above_activation;
  // Stabilization windows, rate-policy events and the current target.
  BehaviorHistory behavior;
  // The workload's replica count at the last ObserveReplicas (unset: never observed), and the
  // targets decided lately (oldest first, at most kRecentTargets), which explain the counts the
  // workload passes through on its way to them.
  std::optional<int64_t> observed;
  std::vector<std::pair<TimePoint, int64_t>> recent_targets;
};
inline constexpr size_t kRecentTargets = 32;

// What ObserveReplicas made of a workload count.
enum class Observation : uint8_t {
  kSeeded,     // first count for a pool with no target yet: current target and window seed
  kAdopted,    // a change no recent target explains: it is the current count now
  kExplained,  // a change to a target decided lately: the workload following the decisions
  kUnchanged,  // the same count as last time
};
// "seeded", "adopted", "explained", "unchanged".
const char* ObservationName(Observation o);

// Tells the policy what the workload runs (its scale subresource's spec.replicas, the HPA's
// "current replicas"), before Evaluate. The HPA reads that count at every sync and sees its own
// writes at once; poolscaler's decisions reach the workload later (KEDA's and the HPA's next
// queries), so a count is taken as news only when no decision explains it:
//  - no target decided yet (a restart, a new pool): the count becomes the current target and
//    is recorded as a recommendation made now in the stabilization windows, as the HPA seeds a
//    new autoscaler (maybeInitScaleDownStabilizationWindow), so nothing scales down before the
//    window has passed; a count above 0 also marks the pool active with its cooldown starting
//    now (the workload was serving work a moment ago);
//  - a count that changed to a value no target decided within `settle` explains (a manual
//    `kubectl scale`, a budget, the HPA's own limits, KEDA's 0↔1 step): it becomes the current
//    target; rate policies, tolerance and stabilization start from it;
//  - otherwise nothing changes: the last target stays current, as it is the count the
//    workload is moving to.
// Negative counts are treated as 0. `now` must not go backwards for one history.
Observation ObserveReplicas(const PoolParams& params, PoolHistory& history, int64_t observed,
                            TimePoint now, Duration settle);

// Restores the targets a previous process decided (`targets`: (when, replicas), oldest first,
// none after `now`) into a history that has no target yet: each is a recommendation made at its
// time in the stabilization windows, the last one is the current target, and a last target
// above 0 marks the pool active with its cooldown running from that target's time. The windows
// then hold what was served before the restart (a scale-down that was being held stays held
// until a full window after the last high target). Returns false, changing nothing, when
// `targets` is empty or the history already has a target.
bool RestoreTargets(const PoolParams& params, PoolHistory& history,
                    const std::vector<std::pair<TimePoint, int64_t>>& targets, TimePoint now);

struct Evaluation {
  Decision decision;
  PoolHistory history;
  // The target before this evaluation (for OverrideDesired).
  std::optional<int64_t> previous_target;
};

// ceil(value / lag_threshold) for value >= 0 and lag_threshold > 0, saturating at INT64_MAX /
// 2; a NaN or negative value counts as 0.
int64_t ReplicasForLag(double value, double lag_threshold);

// The Kubernetes HPA's replica count for a resource metric: ceil(pods × usage / target), or
// `pods` when usage / target is within the tolerance band. Saturates like ReplicasForLag; 0 when
// pods or target is not positive, or usage is NaN or negative.
int64_t ReplicasForUtilization(double pods, double usage, double target,
                               Tolerance tolerance = kHpaTolerance);

// ReplicasForLag or ReplicasForUtilization, by the signal's kind.
int64_t SignalReplicas(const SignalInput& signal);

// Evaluates one pool. Rules, in order:
//  1. raw = max over signals of SignalReplicas (0 with no signals); the first max wins ties.
//     With a current target c > 0, a lag signal whose value / (threshold × c) is within the
//     behavior's tolerance band [1 − scaleDown.tolerance, 1 + scaleUp.tolerance] proposes c instead
//     (kTolerance when that changed the max); a utilization signal applies the tolerance to the
//     pods it was measured on, as the HPA does.
//  2. active: if any signal > its activation threshold → active, last_above = now (utilization
//     signals count only when params.resource_signals_activate, min_replicas > 0, or no
//     signal is a lag signal). Otherwise
//     the pool stays active until now - last_above >= cooldown (kActivationHold while held).
//  3. inactive → desired = min_replicas (kInactive); behavior history restarts from it.
//  4. active → the HPA's normalization, with "current replicas" = the last target (max(min, 1)
//     right after activation, the recommendation itself on the very first evaluation):
//     stabilization windows (kStabilization), then rate policies capped by max / floored by
//     max(min, 1) (kScaleUpRate / kScaleDownRate / kMaxReplicas / kMinReplicas), then a final
//     clamp to [max(min_replicas, 1), max_replicas] (a reload may have moved them).
// `missing_signals` counts the pool's signals that have no fresh value (not in `signals`).
// Unknown is not zero, and as in the HPA (computeReplicasForMetrics: some metrics invalid and
// the valid ones ask for fewer replicas than the current count → no change) the valid signals
// may raise the target but nothing may lower it:
//  - an active pool whose valid signals are idle stays active (its cooldown does not run out);
//  - an active pool whose raw recommendation (after tolerance) is below the current target
//    keeps the current target, and its history is left as it was (the HPA records no
//    recommendation on that error);
//  both record kSignalMissing. An inactive pool stays inactive unless a valid signal wakes it.
//  When every signal is missing there is nothing to decide: the caller reports the pool
//  unavailable (KEDA's fallback then applies) and does not call Evaluate.
// `now` must not go backwards between calls with the same history.
Evaluation Evaluate(const PoolParams& params, const std::vector<SignalInput>& signals,
                    const PoolHistory& history, TimePoint now, size_t missing_signals = 0);

// How long the pool stays active from `now` if no signal rises above its activation threshold
// again: the rest of its cooldown counted from the last evaluation that saw one above (all of it
// when that was `now`); 0 when inactive. KEDA adds its own cooldownPeriod (and up to one
// pollingInterval) before it takes the workload to 0.
Duration TimeToInactive(const PoolParams& params, const PoolHistory& history, TimePoint now);

// Replaces an evaluation's target by a lower one decided after it (a tier budget), recording
// `limit` and making the new target the history's current one, so rate policies continue from
// what was actually requested.
void OverrideDesired(const PoolParams& params, Evaluation& ev, int64_t desired, Limit limit,
                     TimePoint now);

}  // namespace poolscaler::policy
