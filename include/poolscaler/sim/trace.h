#pragma once
// Workload traces for `poolscaler simulate`: CSV with columns `t,pool,arrivals` (jobs arriving
// in second t of pool). Pure parsing; no I/O.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace poolscaler::sim {

struct TraceRow {
  int64_t t = 0;          // second, 0 .. kMaxTraceSeconds
  std::string pool;
  double arrivals = 0;    // jobs, >= 0 (fractional allowed: a fluid model)
};

inline constexpr int64_t kMaxTraceSeconds = 31 * 24 * 3600;

// Parses the whole text. An optional first line `t,pool,arrivals` is a header; blank lines and
// lines starting with '#' are skipped; CRLF is accepted. Rows may come in any order and repeat
// (arrivals add up). Errors: INVALID_ARGUMENT "trace line N: <problem> (value "...")".
absl::StatusOr<std::vector<TraceRow>> ParseTrace(std::string_view text);

}  // namespace poolscaler::sim
