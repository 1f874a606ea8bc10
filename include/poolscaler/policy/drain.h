#pragma once
// Drain-time mode: size a pool so its backlog drains within a target time while keeping up with
// arrivals: desired = ceil((arrivalRate + backlog / targetDrainSeconds) / perReplicaRate).
// Rates come from successive samples of monotonic counters (Redis entries-added, NATS stream
// last sequence, ...), smoothed exponentially. Pure; values only.
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

}  // namespace poolscaler::policy
