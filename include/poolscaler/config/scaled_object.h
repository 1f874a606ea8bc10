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

struct ScaledObjectReport {
  int scaled_objects = 0;     // ScaledObject documents seen
  int scaled_jobs = 0;        // ScaledJob documents seen (their triggers are checked alike)
  int poolscaler_triggers = 0;  // external triggers checked
  std::vector<ScaledObjectFinding> findings;
  bool HasErrors() const;
};

// Reads every YAML document of `yaml_text` (a file of Kubernetes manifests; documents of other
// kinds are skipped). `config` may be null when only raw-mode triggers are expected: pool-mode
// triggers are then reported as errors. Never throws; a YAML syntax error is one finding.
ScaledObjectReport CheckScaledObjects(const std::string& yaml_text, const std::string& file,
                                      const Config* config);

}  // namespace poolscaler::config
