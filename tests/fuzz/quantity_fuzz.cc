// Fuzzes Quantity::Parse (common/quantity.h). Input: the text to parse.
//
// Invariants:
//  - Every error is INVALID_ARGUMENT and starts with the field name.
//  - An accepted quantity's exact decimal text (when short enough to be an input) parses back to
//    the same decimal text; its double is finite and has the quantity's sign.
//  - ScaledValue at nano, milli and unit scale never crashes; its errors are OUT_OF_RANGE, and
//    a milli value is never below the nano value / 10^6 (rounding up, toward +inf).
//  - The canonical text (ToCanonicalString) parses, is its own canonical text, has the sign of
//    the value, and for a value ≥ 0 it is the value rounded up to whole nano-units (the same
//    ScaledValue(-9)).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "fuzz_check.h"
#include "poolscaler/common/quantity.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 256) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::string shown(text);
  absl::StatusOr<poolscaler::Quantity> q = poolscaler::Quantity::Parse("fuzz.q", text);
  if (!q.ok()) {
    FUZZ_CHECK(q.status().code() == absl::StatusCode::kInvalidArgument, q.status().ToString());
    FUZZ_CHECK(std::string(q.status().message()).starts_with("fuzz.q: "), q.status().ToString());
    return 0;
  }
  const std::string decimal = q->ToDecimalString();
  if (decimal.size() <= 64) {
    absl::StatusOr<poolscaler::Quantity> again = poolscaler::Quantity::Parse("fuzz.q", decimal);
    FUZZ_CHECK(again.ok() && again->ToDecimalString() == decimal,
               fmt::format("\"{}\" -> \"{}\" does not read back", shown, decimal));
  }
  const double d = q->ToDouble();
  FUZZ_CHECK(std::isfinite(d), shown);
  FUZZ_CHECK(q->zero() ? d == 0 : (d < 0) == q->negative() || d == 0, shown);
  absl::StatusOr<int64_t> nano = q->ScaledValue(-9);
  absl::StatusOr<int64_t> milli = q->ScaledValue(-3);
  absl::StatusOr<int64_t> unit = q->ScaledValue(0);
  for (const auto* v : {&nano, &milli, &unit}) {
    if (!v->ok()) FUZZ_CHECK(v->status().code() == absl::StatusCode::kOutOfRange, shown);
  }
  const std::string canonical = q->ToCanonicalString();
  absl::StatusOr<poolscaler::Quantity> c = poolscaler::Quantity::Parse("fuzz.q", canonical);
  if (canonical.size() <= 64) {
    FUZZ_CHECK(c.ok() && c->ToCanonicalString() == canonical,
               fmt::format("\"{}\" -> canonical \"{}\" is not canonical", shown, canonical));
    FUZZ_CHECK(c->negative() == q->negative() && c->zero() == q->zero(),
               fmt::format("\"{}\" -> \"{}\"", shown, canonical));
    absl::StatusOr<int64_t> c_nano = c->ScaledValue(-9);
    if (!q->negative() && nano.ok()) {
      FUZZ_CHECK(c_nano.ok() && *c_nano == *nano,
                 fmt::format("\"{}\" -> \"{}\": nano {} vs {}", shown, canonical, *nano,
                             c_nano.ok() ? *c_nano : -1));
    }
  }
  if (nano.ok() && milli.ok()) {
    FUZZ_CHECK(static_cast<double>(*milli) * 1e6 >= static_cast<double>(*nano) - 1e6,
               fmt::format("\"{}\": milli {} nano {}", shown, *milli, *nano));
  }
  return 0;
}
