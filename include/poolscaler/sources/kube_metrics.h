#pragma once
// Decoding of Kubernetes API responses for the kubernetes-resources source, apart from I/O so
// every shape can be tested and fuzzed: PodMetricsList (metrics.k8s.io/v1beta1), PodList (for
// requests) and Status (error bodies). Pure; thread-compatible.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

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

// The status for a non-2xx answer of the API server: 401 UNAUTHENTICATED, 403
// PERMISSION_DENIED, 404 NOT_FOUND, 429/5xx UNAVAILABLE, others FAILED_PRECONDITION. The message
// starts with `what` and carries the Status object's message (or the start of the body).
absl::Status KubeApiError(long http_status, std::string_view body, std::string_view what);

}  // namespace poolscaler::sources
