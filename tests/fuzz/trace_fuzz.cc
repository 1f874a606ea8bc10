// Fuzzes ParseTrace (sim/trace.h). Input: the whole CSV text.
//
// Invariants:
//  - Never throws or crashes; errors are INVALID_ARGUMENT starting with "trace line ".
//  - Every accepted row has 0 <= t <= kMaxTraceSeconds, a pool of 1..253 bytes without ',' or
//    '\n', and finite arrivals in [0, 1e12].
//  - Accepted rows never outnumber the input's lines.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "poolscaler/sim/trace.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 1 << 16) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::string shown(text.substr(0, 200));
  auto rows = poolscaler::sim::ParseTrace(text);
  if (!rows.ok()) {
    FUZZ_CHECK(rows.status().code() == absl::StatusCode::kInvalidArgument, shown);
    FUZZ_CHECK(rows.status().message().substr(0, 11) == "trace line ", shown);
    return 0;
  }
  size_t lines = 1;
  for (char c : text) lines += c == '\n';
  FUZZ_CHECK(rows->size() <= lines, shown);
  for (const auto& r : *rows) {
    FUZZ_CHECK(r.t >= 0 && r.t <= poolscaler::sim::kMaxTraceSeconds, shown);
    FUZZ_CHECK(!r.pool.empty() && r.pool.size() <= 253, shown);
    FUZZ_CHECK(r.pool.find(',') == std::string::npos && r.pool.find('\n') == std::string::npos,
               shown);
    FUZZ_CHECK(std::isfinite(r.arrivals) && r.arrivals >= 0 && r.arrivals <= 1e12, shown);
  }
  return 0;
}
