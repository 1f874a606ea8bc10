#pragma once
// Decoding of Prometheus HTTP API responses (instant /api/v1/query, range /api/v1/query_range),
// apart from I/O so every shape can be tested and fuzzed. Pure; thread-compatible.
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "poolscaler/config/source_spec.h"

namespace poolscaler::sources {

struct PrometheusResult {
  double value = 0;   // the scalar, or the vector reduced (0 when empty)
  size_t series = 0;  // vector elements (1 for a scalar)
  bool empty = false; // an empty vector: no series matched
};

// Decodes `body` of an HTTP response with status `http_status`. Scalars give their value; vectors
// are reduced with `reduce`; an empty vector gives `empty` (the caller decides what it means).
// Errors (messages start with "prometheus"):
//  - UNAUTHENTICATED / PERMISSION_DENIED: HTTP 401 / 403;
//  - INVALID_ARGUMENT: the server rejected the query (errorType bad_data), with its message;
//  - UNAVAILABLE: errorType timeout/canceled/unavailable, HTTP 5xx without an API error;
//  - FAILED_PRECONDITION: anything else (not JSON, matrix or string results, NaN or ±Inf
//    values, unexpected shapes, other HTTP statuses).
absl::StatusOr<PrometheusResult> DecodePrometheusResponse(std::string_view body, long http_status,
                                                          config::Reduce reduce);

// One series of a range query: the value of the label it was grouped by, and its samples as
// (unix seconds, value), oldest first.
struct PrometheusSeries {
  std::string label;
  std::vector<std::pair<double, double>> samples;
};

// Decodes a range-query response (/api/v1/query_range, resultType "matrix") whose series each
// carry `label` (e.g. a `max by (pool)` query). Errors as DecodePrometheusResponse; a series
// without the label, a non-numeric sample time, NaN or ±Inf are FAILED_PRECONDITION.
absl::StatusOr<std::vector<PrometheusSeries>> DecodePrometheusMatrix(std::string_view body,
                                                                     long http_status,
                                                                     const std::string& label);

}  // namespace poolscaler::sources
