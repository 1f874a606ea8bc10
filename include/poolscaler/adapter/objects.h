#pragma once
// The Kubernetes objects the external metrics API answers with, as JSON text: discovery
// (APIGroupList, APIGroup, APIResourceList), ExternalMetricValueList and Status. Field names and
// shapes follow k8s.io/apimachinery meta/v1 and k8s.io/metrics external_metrics/v1beta1. Pure;
// thread-compatible; never throws (invalid UTF-8 in a message is replaced, not an exception).
#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace poolscaler::adapter {

// One item of an ExternalMetricValueList.
struct MetricItem {
  std::string metric_name;
  std::map<std::string, std::string> labels;
  std::chrono::system_clock::time_point timestamp;
  std::string value;  // a Kubernetes quantity in canonical text ("1500m", "12", "3k")
};

std::string ApiGroupListJson();  // GET /apis
std::string ApiGroupJson();      // GET /apis/external.metrics.k8s.io
// GET /apis/external.metrics.k8s.io/v1beta1: one namespaced resource per metric name, kind
// ExternalMetricValueList, verb get.
std::string ApiResourceListJson(const std::vector<std::string>& metric_names);
std::string ExternalMetricValueListJson(const std::vector<MetricItem>& items);

// A Status object for an error answer: kind Status, apiVersion v1, status Failure, `message`,
// the reason Kubernetes gives `http_code` (StatusReason) and `code`. With a `metric`, details
// name it as the resource (as Kubernetes' NotFound does).
std::string StatusJson(int http_code, std::string_view message, std::string_view metric = "");
// "BadRequest", "Unauthorized", "Forbidden", "NotFound", "MethodNotAllowed",
// "ServiceUnavailable", "InternalError" (any other code).
const char* StatusReason(int http_code);
// The HTTP code for an error status: INVALID_ARGUMENT 400, UNAUTHENTICATED 401,
// PERMISSION_DENIED 403, NOT_FOUND 404, UNIMPLEMENTED 405, UNAVAILABLE 503, others 500.
int HttpCodeOf(absl::StatusCode code);

// RFC 3339 in UTC with whole seconds, as metav1.Time marshals: "2024-05-01T12:00:00Z".
std::string Rfc3339(std::chrono::system_clock::time_point t);

}  // namespace poolscaler::adapter
