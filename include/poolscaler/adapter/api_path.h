#pragma once
// The paths of the external metrics API (external.metrics.k8s.io/v1beta1) and the health checks
// an aggregated API server answers, parsed from a request path (already %-decoded). Pure;
// thread-compatible.
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace poolscaler::adapter {

inline constexpr char kGroupName[] = "external.metrics.k8s.io";
inline constexpr char kVersionName[] = "v1beta1";
inline constexpr char kGroupVersion[] = "external.metrics.k8s.io/v1beta1";

struct ApiPath {
  enum class Kind {
    kHealth,   // /healthz, /livez, /readyz
    kApis,     // /apis: APIGroupList
    kGroup,    // /apis/external.metrics.k8s.io: APIGroup
    kVersion,  // /apis/external.metrics.k8s.io/v1beta1: APIResourceList
    kMetric,   // /apis/external.metrics.k8s.io/v1beta1/namespaces/{ns}/{metric}
  };
  Kind kind = Kind::kApis;
  std::string health;          // kHealth: "healthz", "livez" or "readyz"
  std::string namespace_name;  // kMetric: a DNS-1123 label
  std::string metric;          // kMetric: the metric name as sent (the HPA lower-cases it)
};

// Parses `path` (a trailing "/" is ignored). NOT_FOUND "the server could not find the requested
// resource (path "…")" for anything else; INVALID_ARGUMENT naming the namespace when it is not
// a valid namespace name.
absl::StatusOr<ApiPath> ParseApiPath(std::string_view path);

// Whether `name` is a valid namespace name (a DNS-1123 label: at most 63 characters of a-z,
// 0-9 and '-', alphanumeric at both ends).
bool IsNamespaceName(std::string_view name);

}  // namespace poolscaler::adapter
