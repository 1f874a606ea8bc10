#pragma once
// Drain-time mode: size a pool so its backlog drains within a target time while keeping up with
// arrivals: desired = ceil((arrivalRate + backlog / targetDrainSeconds) / perReplicaRate).
// Rates come from successive readings of monotonic counters (arrived_total, completed_total:
// Redis entries-read + lag / entries-read − pending, NATS consumer deliveries, RabbitMQ
// publish / ack counts), smoothed exponentially. perReplicaRate is configured, or learned from
// the completion rate while every replica had work. Pure: values in, values out; the caller
// carries DrainState from one reading to the next, so the server and the simulator share it.
#include <cstdint>
#include <optional>

#include "poolscaler/common/time.h"

namespace poolscaler::policy {

// Rate of a monotonic counter, exponentially smoothed. Start default-constructed.
struct RateEstimate {
  std::optional<double> last_count;
  TimePoint last_at{};
  std::optional<double> per_second;  // unset until two samples are seen
};

// Folds in a new reading of the counter at `now`: the instantaneous rate since the previous
// reading, weighted by 1 - 2^(-dt / half_life) (so irregular intervals weigh by elapsed time). A
// counter that goes backwards (a reset or a recreated stream) restarts the estimate from this
// reading. Readings at or before the previous one are ignored.
void UpdateRate(RateEstimate& estimate, double count, TimePoint now, Duration half_life);

// ceil((arrival_per_second + backlog / target_drain) / per_replica_rate), saturating like
// ReplicasForLag; std::nullopt when the inputs cannot give an answer (no arrival rate yet,
// per_replica_rate <= 0, target_drain <= 0): the caller falls back to the lag rule.
std::optional<int64_t> DrainReplicas(std::optional<double> arrival_per_second, double backlog,
                                     Duration target_drain, double per_replica_rate);

// A pool's drain-time settings (config `targetDrainSeconds`, `perReplicaRate`,
// `learnPerReplicaRate`, `rateHalfLifeSeconds`).
struct DrainParams {
  Duration target_drain{};                  // > 0 turns the mode on
  std::optional<double> per_replica_rate;   // jobs/s one replica finishes; unset: learn only
  bool learn_per_replica_rate = false;      // replace it by what the completions show
  Duration rate_half_life = std::chrono::seconds(30);
  // Learning waits until the target has not changed for this long (new pods have started).
  Duration learn_settle = std::chrono::seconds(60);
  bool enabled() const { return target_drain > Duration::zero(); }
};

// What drain-time mode remembers about one signal between readings.
struct DrainState {
  RateEstimate arrivals;
  RateEstimate completions;
  std::optional<double> learned_per_replica_rate;
  std::optional<int64_t> target;    // the pool's target when last seen
  TimePoint target_since{};         // when it took that value
  std::optional<TimePoint> saturated_since;  // backlog >= target since (at that target)
  std::optional<TimePoint> learned_at;
  bool arriving = false;            // the latest reading's arrivals counter had moved
};

// One reading of a drain-time signal.
struct DrainReading {
  double backlog = 0;                      // the signal's value (outstanding work)
  std::optional<double> arrived_total;     // monotonic counters; unset when the source has none
  std::optional<double> completed_total;
  TimePoint sampled_at{};                  // when the source took them
};

// What drain-time mode concluded from a reading.
struct DrainOutcome {
  std::optional<int64_t> replicas;         // unset: rates unknown, use the lag rule
  std::optional<double> arrival_per_second;
  std::optional<double> completion_per_second;
  std::optional<double> per_replica_rate;  // the one used: learned, else configured
  // Work arrived between the previous reading and this one. Counts as activity (the pool stays
  // or becomes active) even when workers keep the backlog at 0.
  bool arriving = false;
};

// Folds `reading` into `state` and applies DrainReplicas. `current_target` is the pool's target
// before this evaluation (unset: not known yet). Learning (when enabled) takes
// completion rate / current target as one replica's rate, only once the backlog has been at
// least the target (every replica had work) at every reading for 4 × rate_half_life, counted
// from learn_settle after the target last changed (new pods have started), and smooths it with
// rate_half_life. `now` must not go backwards.
DrainOutcome DrainStep(const DrainParams& params, DrainState& state, const DrainReading& reading,
                       std::optional<int64_t> current_target, TimePoint now);

}  // namespace poolscaler::policy
