// Fuzzes ParseHostPort / HostPort::ToString (common/address.h). Input: the "host:port" text,
// parsed both with and without port 0 allowed.
//
// Invariants:
//  - The port is 1..65535 (0..65535 with allow_zero), and whatever parses without allow_zero
//    parses identically with it.
//  - ToString() parses back (with allow_zero) to the same port and host, "" reading back as
//    "0.0.0.0".
//  - Errors are INVALID_ARGUMENT, start with the field name and end with "expected host:port".
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "absl/status/statusor.h"
#include "fuzz_check.h"
#include "poolscaler/common/address.h"

namespace {

using poolscaler::HostPort;
using poolscaler::ParseHostPort;

constexpr std::string_view kField = "fuzz.address";

void Check(const absl::StatusOr<HostPort>& parsed, std::string_view text, bool allow_zero) {
  const std::string shown(text);
  if (!parsed.ok()) {
    const std::string message(parsed.status().message());
    FUZZ_CHECK(parsed.status().code() == absl::StatusCode::kInvalidArgument, message);
    FUZZ_CHECK(message.starts_with(fmt::format("{}: ", kField)), message);
    FUZZ_CHECK(message.ends_with("expected host:port"), message);
    return;
  }
  FUZZ_CHECK(parsed->port >= (allow_zero ? 0 : 1) && parsed->port <= 65535,
             fmt::format("\"{}\" -> port {}", shown, parsed->port));
  const std::string printed = parsed->ToString();
  absl::StatusOr<HostPort> again = ParseHostPort(kField, printed, /*allow_zero=*/true);
  FUZZ_CHECK(again.ok(), fmt::format("\"{}\" -> \"{}\" does not parse: {}", shown, printed,
                                     again.status().ToString()));
  const std::string expected_host = parsed->host.empty() ? "0.0.0.0" : parsed->host;
  FUZZ_CHECK(again->host == expected_host && again->port == parsed->port,
             fmt::format("\"{}\" -> host \"{}\" port {} -> \"{}\" -> host \"{}\" port {}", shown,
                         parsed->host, parsed->port, printed, again->host, again->port));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 512) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<HostPort> strict = ParseHostPort(kField, text, /*allow_zero=*/false);
  absl::StatusOr<HostPort> lenient = ParseHostPort(kField, text, /*allow_zero=*/true);
  Check(strict, text, false);
  Check(lenient, text, true);
  if (strict.ok()) {
    FUZZ_CHECK(lenient.ok() && lenient->host == strict->host && lenient->port == strict->port,
               std::string(text));
  }
  return 0;
}
