#pragma once
// Checks KEDA ScaledObjects (and ScaledJobs) against poolscaler before they reach a cluster: every trigger that
// points at poolscaler (`type: external` or `external-push`) must carry metadata that
// ParseTrigger accepts, and a pool-mode trigger must name a pool of the config and agree with it
// on the replica bounds. Pure: the caller reads the files.
#include <string>
#include <vector>

#include "poolscaler/config/config.h"

namespace poolscaler::config {

struct ScaledObjectFinding {
  enum class Severity { kError, kWarning };
  Severity severity = Severity::kError;
  // "FILE: ScaledObject NAMESPACE/NAME trigger N" (1-based), or "FILE: document N" when the
  // object has no name yet.
  std::string where;
  std::string message;
};

// How long a pool-mode ScaledObject takes to reach 0 once the work stops, at most: the pool
// stays active for cooldownSeconds, then KEDA waits cooldownPeriod from its last active poll
// and acts on a poll (or a push), up to one pollingInterval later. The cooldowns stack.
struct TimeToZero {
  std::string where;  // as in ScaledObjectFinding
  std::string pool;
  int64_t pool_cooldown_seconds = 0;
  int64_t cooldown_period_seconds = 0;
  int64_t polling_interval_seconds = 0;
  int64_t Total() const {
    return pool_cooldown_seconds + cooldown_period_seconds + polling_interval_seconds;
  }
};

// Above this, check-config warns about the stacked cooldowns.
inline constexpr int64_t kTimeToZeroWarnSeconds = 600;

struct ScaledObjectReport {
  int scaled_objects = 0;     // ScaledObject documents seen
  int scaled_jobs = 0;        // ScaledJob documents seen (their triggers are checked alike)
  int poolscaler_triggers = 0;  // external triggers checked
  std::vector<ScaledObjectFinding> findings;
  std::vector<TimeToZero> time_to_zero;  // per pool-mode trigger of a ScaledObject with min 0
  bool HasErrors() const;
};

// Reads every YAML document of `yaml_text` (a file of Kubernetes manifests; documents of other
// kinds are skipped). `config` may be null when only raw-mode triggers are expected: pool-mode
// triggers are then reported as errors. Never throws; a YAML syntax error is one finding.
ScaledObjectReport CheckScaledObjects(const std::string& yaml_text, const std::string& file,
                                      const Config* config);

}  // namespace poolscaler::config
