// Fuzzes DecodePrometheusResponse and DecodePrometheusMatrix (sources/prometheus_response.h).
// Input: a response body, decoded as an HTTP 200 and as an HTTP 400 answer, with every
// reduction, and as a range-query answer grouped by "pool".
//
// Invariants:
//  - Errors have one of the documented codes and messages start with "prometheus".
//  - A success has a finite value; an empty vector has value 0 and no series; otherwise
//    min <= avg <= max (within rounding) and the series count is the same for every reduction.
//  - An HTTP 400 answer never succeeds.
//  - A decoded matrix has only finite sample times and values.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "fuzz_check.h"
#include "poolscaler/sources/prometheus_response.h"

namespace {

using poolscaler::config::Reduce;
using poolscaler::sources::DecodePrometheusMatrix;
using poolscaler::sources::DecodePrometheusResponse;
using poolscaler::sources::PrometheusResult;

void CheckError(const absl::Status& s) {
  using absl::StatusCode;
  const StatusCode c = s.code();
  FUZZ_CHECK(c == StatusCode::kUnauthenticated || c == StatusCode::kPermissionDenied ||
                 c == StatusCode::kInvalidArgument || c == StatusCode::kUnavailable ||
                 c == StatusCode::kFailedPrecondition,
             s.ToString());
  FUZZ_CHECK(std::string(s.message()).starts_with("prometheus"), s.ToString());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 1 << 16) return 0;
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<PrometheusResult> results[4] = {
      DecodePrometheusResponse(body, 200, Reduce::kSum),
      DecodePrometheusResponse(body, 200, Reduce::kMax),
      DecodePrometheusResponse(body, 200, Reduce::kMin),
      DecodePrometheusResponse(body, 200, Reduce::kAvg)};
  for (const auto& r : results) {
    if (!r.ok()) {
      CheckError(r.status());
      continue;
    }
    FUZZ_CHECK(std::isfinite(r->value), std::string(body));
    if (r->empty) FUZZ_CHECK(r->value == 0 && r->series == 0, std::string(body));
  }
  const auto& max = results[1];
  const auto& min = results[2];
  const auto& avg = results[3];
  if (max.ok() && min.ok() && avg.ok() && !max->empty) {
    FUZZ_CHECK(max->series == min->series && min->series == avg->series, std::string(body));
    const double slack = 1e-9 * (std::fabs(max->value) + std::fabs(min->value)) + 1e-300;
    FUZZ_CHECK(min->value <= avg->value + slack && avg->value <= max->value + slack,
               fmt::format("min {} avg {} max {}", min->value, avg->value, max->value));
  }
  absl::StatusOr<PrometheusResult> bad = DecodePrometheusResponse(body, 400, Reduce::kSum);
  FUZZ_CHECK(!bad.ok(), std::string(body));
  CheckError(bad.status());
  auto matrix = DecodePrometheusMatrix(body, 200, "pool");
  if (!matrix.ok()) {
    CheckError(matrix.status());
  } else {
    for (const auto& series : *matrix) {
      for (const auto& [at, value] : series.samples) {
        FUZZ_CHECK(std::isfinite(at) && std::isfinite(value), std::string(body));
      }
    }
  }
  FUZZ_CHECK(!DecodePrometheusMatrix(body, 400, "pool").ok(), std::string(body));
  return 0;
}
