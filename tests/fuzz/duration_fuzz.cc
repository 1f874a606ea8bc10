// Fuzzes ParseDuration / FormatDuration (common/duration.h).
//
// Input: the whole input is a duration string. Its first 8 bytes are also read as a duration
// in nanoseconds for the printing direction.
//
// Invariants:
//  - A parsed duration is >= 0 and <= 1e18 ns, and ParseDuration(FormatDuration(d)) == d.
//  - FormatDuration(d) of any d in [0, 2^53) ns (where the parser's double arithmetic is exact)
//    parses back to d, and formatting is canonical: Format(Parse(Format(d))) == Format(d).
//  - Errors are INVALID_ARGUMENT and start with the field name.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "absl/status/statusor.h"
#include "fuzz_check.h"
#include "poolscaler/common/duration.h"

namespace {

using poolscaler::Duration;
using poolscaler::FormatDuration;
using poolscaler::ParseDuration;

constexpr std::string_view kField = "fuzz.duration";

void CheckRoundTrip(Duration d, std::string_view origin) {
  const std::string text = FormatDuration(d);
  absl::StatusOr<Duration> back = ParseDuration(kField, text);
  FUZZ_CHECK(back.ok(), fmt::format("FormatDuration({}ns) = \"{}\" does not parse: {} (from {})",
                                    d.count(), text, back.status().ToString(), origin));
  FUZZ_CHECK(*back == d, fmt::format("{}ns -> \"{}\" -> {}ns (from {})", d.count(), text,
                                     back->count(), origin));
  FUZZ_CHECK(FormatDuration(*back) == text, text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 256) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<Duration> parsed = ParseDuration(kField, text);
  if (parsed.ok()) {
    FUZZ_CHECK(*parsed >= Duration::zero() && *parsed <= std::chrono::nanoseconds(1'000'000'000'000'000'000),
               fmt::format("\"{}\" -> {}ns", text, parsed->count()));
    CheckRoundTrip(*parsed, fmt::format("parsed \"{}\"", text));
  } else {
    FUZZ_CHECK(parsed.status().code() == absl::StatusCode::kInvalidArgument,
               parsed.status().ToString());
    FUZZ_CHECK(std::string(parsed.status().message()).starts_with(fmt::format("{}: ", kField)),
               parsed.status().ToString());
  }

  if (size >= sizeof(uint64_t)) {
    uint64_t bits = 0;
    std::memcpy(&bits, data, sizeof bits);
    const int64_t ns = static_cast<int64_t>(bits & ((uint64_t{1} << 53) - 1));
    CheckRoundTrip(std::chrono::nanoseconds(ns), "raw bytes");
  }
  return 0;
}
