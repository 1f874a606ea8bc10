// Fuzzes ParseDouble / ParseInt / ParseBool (common/numbers.h). Input: the text to parse.
//
// Invariants:
//  - ParseInt accepts exactly [+-]?[0-9]+ within int64, with the value a plain digit-by-digit
//    reading gives (an independent reference, not from_chars).
//  - ParseDouble accepts only finite values from at most 64 characters of [0-9.eE+-], and the
//    value survives printing and re-parsing bit for bit; every accepted integer is accepted as a
//    double too.
//  - ParseNonNegativeQuantity accepts only finite values >= 0, and a plain number it accepts
//    reads exactly as ParseDouble reads it (Quantity::Parse has its own fuzz target).
//  - ParseBool accepts exactly "true"/"false" in any case.
//  - Every error is INVALID_ARGUMENT and starts with the field name.
#include <cctype>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "absl/status/statusor.h"
#include "fuzz_check.h"
#include "poolscaler/common/numbers.h"

namespace {

constexpr std::string_view kField = "fuzz.number";

// The reference reading of [+-]?[0-9]+ as int64; nullopt for any other text or on overflow.
std::optional<int64_t> ReferenceInt(std::string_view text) {
  bool negative = false;
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  if (text.empty()) return std::nullopt;
  constexpr uint64_t kMaxMagnitude = uint64_t{1} << 63;  // |INT64_MIN|
  uint64_t magnitude = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    const auto digit = static_cast<uint64_t>(c - '0');
    if (magnitude > (kMaxMagnitude - digit) / 10) return std::nullopt;
    magnitude = magnitude * 10 + digit;
  }
  if (negative) return magnitude == kMaxMagnitude ? INT64_MIN : -static_cast<int64_t>(magnitude);
  if (magnitude == kMaxMagnitude) return std::nullopt;
  return static_cast<int64_t>(magnitude);
}

template <typename T>
void CheckError(const absl::StatusOr<T>& result) {
  if (result.ok()) return;
  FUZZ_CHECK(result.status().code() == absl::StatusCode::kInvalidArgument,
             result.status().ToString());
  FUZZ_CHECK(std::string(result.status().message()).starts_with(fmt::format("{}: ", kField)),
             result.status().ToString());
}

uint64_t Bits(double v) {
  uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof bits);
  return bits;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 256) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::string shown(text);

  absl::StatusOr<int64_t> as_int = poolscaler::ParseInt(kField, text);
  CheckError(as_int);
  std::optional<int64_t> reference = ReferenceInt(text);
  FUZZ_CHECK(as_int.ok() == reference.has_value(),
             fmt::format("ParseInt(\"{}\") ok={} but reference ok={}", shown, as_int.ok(),
                         reference.has_value()));
  if (as_int.ok()) {
    FUZZ_CHECK(*as_int == *reference,
               fmt::format("ParseInt(\"{}\") = {}, reference {}", shown, *as_int, *reference));
  }

  absl::StatusOr<double> as_double = poolscaler::ParseDouble(kField, text);
  CheckError(as_double);
  if (as_double.ok()) {
    FUZZ_CHECK(std::isfinite(*as_double) && text.size() <= 64, shown);
    for (char c : text) {
      FUZZ_CHECK(std::isdigit(static_cast<unsigned char>(c)) || std::string_view(".eE+-").find(c) != std::string_view::npos,
                 shown);
    }
    const std::string printed = fmt::format("{}", *as_double);
    absl::StatusOr<double> again = poolscaler::ParseDouble(kField, printed);
    FUZZ_CHECK(again.ok() && Bits(*again) == Bits(*as_double),
               fmt::format("\"{}\" -> {} -> \"{}\" does not read back", shown, *as_double, printed));
  }
  if (as_int.ok() && text.size() <= 64) {
    FUZZ_CHECK(as_double.ok(), fmt::format("\"{}\" is an integer but not a double", shown));
  }

  absl::StatusOr<double> as_quantity = poolscaler::ParseNonNegativeQuantity(kField, text);
  CheckError(as_quantity);
  if (as_quantity.ok()) {
    FUZZ_CHECK(std::isfinite(*as_quantity) && *as_quantity >= 0, shown);
  }
  if (as_double.ok() && as_quantity.ok()) {
    FUZZ_CHECK(*as_quantity == *as_double,
               fmt::format("\"{}\" is a plain number but reads as another quantity", shown));
  }

  absl::StatusOr<bool> as_bool = poolscaler::ParseBool(kField, text);
  CheckError(as_bool);
  std::string lower;
  for (char c : text) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  FUZZ_CHECK(as_bool.ok() == (lower == "true" || lower == "false"), shown);
  if (as_bool.ok()) FUZZ_CHECK(*as_bool == (lower == "true"), shown);
  return 0;
}
