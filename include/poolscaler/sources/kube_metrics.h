#pragma once
// Decoding of Kubernetes API responses for the kubernetes-resources and kubernetes-scale
// sources, apart from I/O so every shape can be tested and fuzzed: PodMetricsList
// (metrics.k8s.io/v1beta1), PodList (for requests), Scale, APIResourceList (discovery) and
// Status (error bodies). Pure; thread-compatible.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace poolscaler::sources {

// One pod's summed container usage.
struct PodUsage {
  int64_t cpu_nanocores = 0;
  int64_t memory_bytes = 0;
};

struct PodMetricsSummary {
  std::map<std::string, PodUsage> pods;  // pods that reported at least one container
  int64_t pods_without_metrics = 0;      // listed with no containers (e.g. just started)
  int64_t cpu_nanocores = 0;             // sums over `pods`
  int64_t memory_bytes = 0;
};

// Decodes a PodMetricsList body. Usage quantities are parsed exactly (cpu rounded up to
// nanocores, memory to bytes). Errors: FAILED_PRECONDITION naming what is wrong (not JSON, not
// a PodMetricsList, a bad quantity with the pod and container).
absl::StatusOr<PodMetricsSummary> DecodePodMetricsList(std::string_view body);

// Requests of one pod, summed over its containers; has_* is false when a container has none.
struct PodRequests {
  int64_t cpu_nanocores = 0;
  int64_t memory_bytes = 0;
  bool has_cpu = true;
  bool has_memory = true;
};

// Decodes a PodList body into the requests of each pod that is not finished (phase Succeeded or
// Failed pods are left out). Errors as for DecodePodMetricsList.
absl::StatusOr<std::map<std::string, PodRequests>> DecodePodRequests(std::string_view body);

// A workload's scale subresource (autoscaling/v1 Scale).
struct ScaleReading {
  int64_t spec_replicas = 0;    // spec.replicas (omitted when 0)
  int64_t status_replicas = 0;  // status.replicas
};
// Decodes a Scale body. Errors as for DecodePodMetricsList (not JSON, not a Scale, a count that
// is not a whole number from 0 to 2^31-1).
absl::StatusOr<ScaleReading> DecodeScale(std::string_view body);

// From an APIResourceList (GET /apis/GROUP/VERSION, or /api/v1), the resource name (plural) of
// `kind` when it serves a scale subresource ("deployments" for Deployment). NOT_FOUND when the
// group has no such kind, FAILED_PRECONDITION when it has one without /scale or the body is not
// an APIResourceList.
absl::StatusOr<std::string> FindScaleResource(std::string_view body, std::string_view kind);

// A pool-mode trigger of a KEDA ScaledObject (type external or external-push with a `pool`
// metadata key) and the workload that ScaledObject scales (spec.scaleTargetRef; apiVersion
// defaults to apps/v1 and kind to Deployment, as in KEDA).
struct ScaledObjectPool {
  std::string pool;              // the trigger's metadata.pool
  std::string namespace_name;    // the ScaledObject's namespace (its target's namespace)
  std::string scaled_object;     // the ScaledObject's name
  std::string target_api_version = "apps/v1";
  std::string target_kind = "Deployment";
  std::string target_name;
};

// Decodes a ScaledObjectList (GET /apis/keda.sh/v1alpha1/scaledobjects): one entry per
// pool-mode trigger, in list order. ScaledObjects without a scaleTargetRef name, and triggers of
// other types or without `pool`, are skipped. Errors: FAILED_PRECONDITION (not JSON, not a
// ScaledObjectList, an item without metadata.name/namespace).
absl::StatusOr<std::vector<ScaledObjectPool>> DecodeScaledObjectPools(std::string_view body);

// The status for a non-2xx answer of the API server: 401 UNAUTHENTICATED, 403
// PERMISSION_DENIED, 404 NOT_FOUND, 429/5xx UNAVAILABLE, others FAILED_PRECONDITION. The message
// starts with `what` and carries the Status object's message (or the start of the body); a 403
// adds `forbidden_hint` in parentheses (which permission is needed, where the RBAC is).
inline constexpr char kMetricsForbiddenHint[] =
    "the service account needs get/list on pods.metrics.k8s.io; see deploy/rbac-metrics.yaml";
absl::Status KubeApiError(long http_status, std::string_view body, std::string_view what,
                          std::string_view forbidden_hint = kMetricsForbiddenHint);

}  // namespace poolscaler::sources
