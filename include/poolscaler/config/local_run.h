#pragma once
// The file `poolscaler local` runs: Kubernetes manifests as a user would apply them — KEDA
// ScaledObjects, and for each scaleTargetRef a Deployment whose first container's command +
// args the driver starts as a local process per replica. Only the fields that shape scaling are
// read; anything that would change KEDA's or the HPA's meaning and that the driver does not
// model (idleReplicaCount, scalingModifiers and the fallback behavior of that name, metricType
// other than AverageValue, TLS to the scaler) is an error rather than silently ignored. Pure:
// the caller reads the file.
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

// spec.fallback.behavior: what KEDA reports to the HPA once failureThreshold is passed
// (pkg/fallback/fallback.go doFallback), as a number of replicas.
enum class FallbackBehavior : uint8_t {
  kStatic,                   // fallback.replicas (KEDA's default)
  kCurrentReplicas,          // the workload's current count
  kCurrentReplicasIfHigher,  // max(current, fallback.replicas)
  kCurrentReplicasIfLower,   // min(current, fallback.replicas)
};

// spec.fallback.
struct LocalFallback {
  int64_t failure_threshold = 0;  // fallback applies from failure failureThreshold + 1 on
  int64_t replicas = 0;
  FallbackBehavior behavior = FallbackBehavior::kStatic;
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
  std::optional<LocalFallback> fallback;  // spec.fallback
  LocalWorkload workload;                 // the Deployment named by spec.scaleTargetRef.name
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
