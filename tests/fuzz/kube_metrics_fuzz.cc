// Fuzzes the Kubernetes API decoders (sources/kube_metrics.h). Input: a response body, decoded
// as a PodMetricsList, as a PodList, as a Scale, as an APIResourceList, as a ScaledObjectList
// and as an error answer.
//
// Invariants:
//  - Decode errors are FAILED_PRECONDITION; KubeApiError maps 401/403/404/503 to
//    UNAUTHENTICATED/PERMISSION_DENIED/NOT_FOUND/UNAVAILABLE and its message starts with "what".
//  - A decoded PodMetricsList has non-negative usage and its sums equal the per-pod sums.
//  - Decoded requests are non-negative.
//  - A decoded Scale has both counts in [0, 2^31 - 1]; discovery finds a resource without '/'
//    (or NOT_FOUND / FAILED_PRECONDITION).
//  - Every decoded ScaledObject pool has a pool, namespace, ScaledObject and target name.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "poolscaler/sources/kube_metrics.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 1 << 16) return 0;
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const std::string shown(body);
  using absl::StatusCode;
  using namespace poolscaler::sources;

  absl::StatusOr<PodMetricsSummary> m = DecodePodMetricsList(body);
  if (!m.ok()) {
    FUZZ_CHECK(m.status().code() == StatusCode::kFailedPrecondition, m.status().ToString());
  } else {
    int64_t cpu = 0, memory = 0;
    for (const auto& [name, usage] : m->pods) {
      FUZZ_CHECK(!name.empty() && usage.cpu_nanocores >= 0 && usage.memory_bytes >= 0, shown);
      cpu += usage.cpu_nanocores;
      memory += usage.memory_bytes;
    }
    FUZZ_CHECK(cpu == m->cpu_nanocores && memory == m->memory_bytes, shown);
    FUZZ_CHECK(m->pods_without_metrics >= 0, shown);
  }

  auto requests = DecodePodRequests(body);
  if (!requests.ok()) {
    FUZZ_CHECK(requests.status().code() == StatusCode::kFailedPrecondition,
               requests.status().ToString());
  } else {
    for (const auto& [name, r] : *requests) {
      FUZZ_CHECK(!name.empty() && r.cpu_nanocores >= 0 && r.memory_bytes >= 0, shown);
    }
  }

  absl::StatusOr<ScaleReading> scale = DecodeScale(body);
  if (!scale.ok()) {
    FUZZ_CHECK(scale.status().code() == StatusCode::kFailedPrecondition, scale.status().ToString());
  } else {
    FUZZ_CHECK(scale->spec_replicas >= 0 && scale->spec_replicas <= INT32_MAX, shown);
    FUZZ_CHECK(scale->status_replicas >= 0 && scale->status_replicas <= INT32_MAX, shown);
  }
  absl::StatusOr<std::string> resource = FindScaleResource(body, "Deployment");
  if (!resource.ok()) {
    FUZZ_CHECK(resource.status().code() == StatusCode::kNotFound ||
                   resource.status().code() == StatusCode::kFailedPrecondition,
               resource.status().ToString());
  } else {
    FUZZ_CHECK(!resource->empty() && resource->find('/') == std::string::npos, shown);
  }

  const std::pair<long, StatusCode> kCodes[] = {{401, StatusCode::kUnauthenticated},
                                                {403, StatusCode::kPermissionDenied},
                                                {404, StatusCode::kNotFound},
                                                {503, StatusCode::kUnavailable},
                                                {400, StatusCode::kFailedPrecondition}};
  for (const auto& [http, code] : kCodes) {
    absl::Status s = KubeApiError(http, body, "metrics API");
    FUZZ_CHECK(s.code() == code, s.ToString());
    FUZZ_CHECK(std::string(s.message()).starts_with("metrics API: HTTP "), s.ToString());
  }
  absl::StatusOr<std::vector<ScaledObjectPool>> so = DecodeScaledObjectPools(body);
  if (!so.ok()) {
    FUZZ_CHECK(so.status().code() == StatusCode::kFailedPrecondition, so.status().ToString());
  } else {
    for (const ScaledObjectPool& p : *so) {
      FUZZ_CHECK(!p.pool.empty() && !p.namespace_name.empty() && !p.scaled_object.empty() &&
                     !p.target_name.empty() && !p.target_kind.empty() &&
                     !p.target_api_version.empty(),
                 shown);
    }
  }
  return 0;
}
