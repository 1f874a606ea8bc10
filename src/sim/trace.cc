#include "poolscaler/sim/trace.h"

#include <fmt/format.h>

#include "poolscaler/common/numbers.h"
#include "poolscaler/common/text.h"

namespace poolscaler::sim {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

absl::Status LineError(size_t line, std::string_view problem, std::string_view value) {
  return absl::InvalidArgumentError(
      fmt::format("trace line {}: {} (value {})", line, problem, Quote(value)));
}

}  // namespace

absl::StatusOr<std::vector<TraceRow>> ParseTrace(std::string_view text) {
  std::vector<TraceRow> rows;
  size_t line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = Trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++line_no;
    if (line.empty() || line.front() == '#') continue;
    if (line_no == 1 && line == "t,pool,arrivals") continue;
    size_t c1 = line.find(',');
    size_t c2 = c1 == std::string_view::npos ? c1 : line.find(',', c1 + 1);
    if (c2 == std::string_view::npos || line.find(',', c2 + 1) != std::string_view::npos) {
      return LineError(line_no, "expected three columns t,pool,arrivals", line.substr(0, 80));
    }
    std::string_view t = Trim(line.substr(0, c1));
    std::string_view pool = Trim(line.substr(c1 + 1, c2 - c1 - 1));
    std::string_view arrivals = Trim(line.substr(c2 + 1));
    TraceRow row;
    absl::StatusOr<int64_t> tv = ParseInt("t", t);
    if (!tv.ok() || *tv < 0 || *tv > kMaxTraceSeconds) {
      return LineError(line_no, fmt::format("t must be a whole second 0..{}", kMaxTraceSeconds),
                       t);
    }
    if (pool.empty() || pool.size() > 253) {
      return LineError(line_no, "pool must be a name of 1..253 characters", pool.substr(0, 80));
    }
    absl::StatusOr<double> av = ParseDouble("arrivals", arrivals);
    if (!av.ok() || !(*av >= 0) || *av > 1e12) {
      return LineError(line_no, "arrivals must be a number 0..1e12", arrivals.substr(0, 80));
    }
    row.t = *tv;
    row.pool = std::string(pool);
    row.arrivals = *av;
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace poolscaler::sim
