#pragma once
// KEDA trigger metadata (ScaledObjectRef.scalerMetadata) → what the scaler should answer.
// Two modes: `pool: NAME` (pool mode: metric = desired replicas, target 1) or `source: KIND`
// with inline connection keys (raw mode: metric = lag, target = lagThreshold).
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "poolscaler/config/config.h"

namespace poolscaler::config {

struct TriggerSpec {
  enum class Mode { kRaw, kPool };
  Mode mode = Mode::kRaw;
  std::string pool;          // pool mode: the pool's name (must exist in the config)
  // Raw mode only:
  SourceSpec source;         // source.name is generated from the query, secret-free
  SignalSpec signal;         // signal.source = source.Key()
  policy::PoolParams params; // min 0, max unbounded, cooldownSeconds from metadata
  std::string metric_name;   // e.g. "redis-streams-orders-workers" (normalized)
  // Canonical identity of the raw-mode trigger (source key + measure + thresholds + cooldown);
  // triggers with equal keys share one implicit pool.
  std::string Key() const;
};

// Parses metadata. Errors are INVALID_ARGUMENT naming key and value (secrets never quoted);
// several errors are joined with "; ". `defaults` supplies interval/staleAfter/timeout.
// Pool existence is not checked here (the caller knows the live config).
absl::StatusOr<TriggerSpec> ParseTrigger(const std::map<std::string, std::string>& metadata,
                                         const Defaults& defaults);

}  // namespace poolscaler::config
