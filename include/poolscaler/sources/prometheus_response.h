#pragma once
// Decoding of Prometheus HTTP API instant-query responses (/api/v1/query), apart from I/O so
// every shape can be tested and fuzzed. Pure; thread-compatible.
#include <cstddef>
#include <string_view>

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

}  // namespace poolscaler::sources
