#pragma once
// The file `poolscaler local` runs: Kubernetes manifests as a user would apply them — KEDA
// ScaledObjects, and for each scaleTargetRef a Deployment whose first container's command +
// args the driver starts as a local process per replica. Only the fields that shape scaling are
// read; anything that would change KEDA's or the HPA's meaning and that the driver does not
// model (fallback, idleReplicaCount, scalingModifiers, metricType other than AverageValue, TLS
// to the scaler) is an error rather than silently ignored. Pure: the caller reads the file.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "poolscaler/common/time.h"
#include "poolscaler/policy/behavior.h"

namespace poolscaler::config {

// The pod template of one Deployment, as local processes.
struct LocalWorkload {
  std::string deployment;                                 // metadata.name
  std::vector<std::string> argv;                          // containers[0].command + args
  std::vector<std::pair<std::string, std::string>> env;   // containers[0].env name/value
  Duration termination_grace = std::chrono::seconds(30);  // terminationGracePeriodSeconds
};

// One ScaledObject with its single poolscaler trigger, and KEDA's defaults for what it omits.
struct LocalScaledObject {
  std::string name;
  std::string ns = "default";
  bool push = false;  // trigger type external-push: StreamIsActive as well as polling
  std::map<std::string, std::string> metadata;           // the trigger's metadata, as KEDA sends it
  std::string scaler_address;                            // metadata.scalerAddress
  Duration polling_interval = std::chrono::seconds(30);  // spec.pollingInterval
  Duration cooldown_period = std::chrono::seconds(300);  // spec.cooldownPeriod (gates 1 → 0)
  int64_t min_replicas = 0;                              // spec.minReplicaCount
  int64_t max_replicas = 100;                            // spec.maxReplicaCount
  // spec.advanced.horizontalPodAutoscalerConfig.behavior, with the API's defaults for what it
  // leaves out. Absent: KEDA creates the HPA with no behavior, which runs the HPA's legacy path
  // (policy/hpa_legacy.h), not these defaults.
  std::optional<policy::Behavior> hpa_behavior;
  LocalWorkload workload;  // the Deployment named by spec.scaleTargetRef.name
};

struct LocalRun {
  std::vector<LocalScaledObject> scaled_objects;  // in file order
};

// Parses every document of `yaml_text`; documents of other kinds are ignored. INVALID_ARGUMENT
// lists every problem, one a line, each "FILE: ScaledObject NS/NAME: spec.field: problem
// (value \"...\")". Metadata values are never quoted in errors (they may hold secrets). Never
// throws.
absl::StatusOr<LocalRun> ParseLocalRun(const std::string& yaml_text, const std::string& file);

}  // namespace poolscaler::config
