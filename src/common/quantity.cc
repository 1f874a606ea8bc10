#include "poolscaler/common/quantity.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>

#include <fmt/format.h>
#include "poolscaler/common/text.h"

namespace poolscaler {
namespace {

constexpr size_t kMaxText = 64;
// 10^39 > 2^127: with the check below every magnitude stays under 2^127, so the exact decimal
// text of any quantity parses back ("101Ei" is 116445071965291544576, 21 digits).
constexpr size_t kMaxSignificantDigits = 39;
constexpr int kMaxExponent = 60;  // of an "e" suffix

absl::Status Bad(std::string_view field, std::string_view text, std::string_view why) {
  return absl::InvalidArgumentError(fmt::format("{}: {} (value {})", field, why, Quote(text)));
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Power of ten of a decimal SI suffix, or false when `suffix` is not one.
bool DecimalSuffix(std::string_view suffix, int* exponent) {
  static constexpr std::pair<std::string_view, int> kSuffixes[] = {
      {"", 0}, {"n", -9}, {"u", -6}, {"m", -3}, {"k", 3},
      {"M", 6}, {"G", 9}, {"T", 12}, {"P", 15}, {"E", 18}};
  for (const auto& [name, e] : kSuffixes) {
    if (suffix == name) {
      *exponent = e;
      return true;
    }
  }
  return false;
}

// Power of 1024 of a binary SI suffix, or false.
bool BinarySuffix(std::string_view suffix, int* power) {
  static constexpr std::string_view kSuffixes[] = {"Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
  for (int i = 0; i < 6; ++i) {
    if (suffix == kSuffixes[i]) {
      *power = i + 1;
      return true;
    }
  }
  return false;
}

}  // namespace

absl::StatusOr<Quantity> Quantity::Parse(std::string_view field, std::string_view text) {
  constexpr std::string_view kForm = "expected a Kubernetes quantity such as 250m, 1.5, 512Mi, 1e3";
  if (text.empty() || text.size() > kMaxText) return Bad(field, text, kForm);
  size_t i = 0;
  bool negative = false;
  if (text[i] == '+' || text[i] == '-') negative = text[i++] == '-';
  std::string digits;  // every mantissa digit, integer part then fraction
  int exponent = 0;
  size_t mantissa_digits = 0;
  for (; i < text.size() && IsDigit(text[i]); ++i, ++mantissa_digits) digits.push_back(text[i]);
  if (i < text.size() && text[i] == '.') {
    for (++i; i < text.size() && IsDigit(text[i]); ++i, ++mantissa_digits) {
      digits.push_back(text[i]);
      --exponent;
    }
  }
  if (mantissa_digits == 0) return Bad(field, text, kForm);

  std::string_view suffix = text.substr(i);
  int power1024 = 0;
  int suffix_exponent = 0;
  if (BinarySuffix(suffix, &power1024) || DecimalSuffix(suffix, &suffix_exponent)) {
    // handled below
  } else if (suffix[0] == 'e' || suffix[0] == 'E') {
    std::string_view e = suffix.substr(1);
    bool e_negative = false;
    if (!e.empty() && (e[0] == '+' || e[0] == '-')) {
      e_negative = e[0] == '-';
      e.remove_prefix(1);
    }
    if (e.empty()) return Bad(field, text, "the exponent after \"e\" has no digits");
    int value = 0;
    for (char c : e) {
      if (!IsDigit(c)) return Bad(field, text, fmt::format("unknown suffix {}", Quote(suffix)));
      value = value * 10 + (c - '0');
      if (value > kMaxExponent) {
        return Bad(field, text, fmt::format("exponent beyond ±{}", kMaxExponent));
      }
    }
    suffix_exponent = e_negative ? -value : value;
  } else {
    return Bad(field, text,
               fmt::format("unknown suffix {}; use n, u, m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, "
                           "Ei or an exponent (e3)", Quote(suffix)));
  }

  // Significant digits: drop leading zeros, fold trailing zeros into the exponent.
  size_t first = digits.find_first_not_of('0');
  if (first == std::string::npos) return Quantity(false, 0, 0);
  digits.erase(0, first);
  while (digits.back() == '0') {
    digits.pop_back();
    ++exponent;
  }
  if (digits.size() > kMaxSignificantDigits) {
    return Bad(field, text, fmt::format("more than {} significant digits", kMaxSignificantDigits));
  }
  const U128 kLimit = U128{1} << 127;
  U128 magnitude = 0;
  for (char c : digits) {
    if (magnitude > (kLimit - 1) / 10) return Bad(field, text, "too large");
    magnitude = magnitude * 10 + static_cast<unsigned>(c - '0');
  }
  if (magnitude >= kLimit || magnitude >= (kLimit >> (10 * power1024))) {
    return Bad(field, text, "too large");
  }
  magnitude <<= 10 * power1024;  // < 2^127
  while (magnitude % 10 == 0) {
    magnitude /= 10;
    ++exponent;
  }
  return Quantity(negative, magnitude, exponent + suffix_exponent);
}

Quantity Quantity::FromScaled(int64_t value, int exponent10) {
  bool negative = value < 0;
  U128 magnitude = negative ? static_cast<U128>(-(value + 1)) + 1 : static_cast<U128>(value);
  if (magnitude == 0) return Quantity(false, 0, 0);
  while (magnitude % 10 == 0) {
    magnitude /= 10;
    ++exponent10;
  }
  return Quantity(negative, magnitude, exponent10);
}

namespace {

__extension__ typedef unsigned __int128 Uint128;

std::string Digits(Uint128 v) {
  if (v == 0) return "0";
  std::string out;
  while (v != 0) {
    out.insert(out.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  }
  return out;
}

}  // namespace

double Quantity::ToDouble() const {
  if (magnitude_ == 0) return 0;
  std::string text = fmt::format("{}{}e{}", negative_ ? "-" : "", Digits(magnitude_), exponent10_);
  return std::strtod(text.c_str(), nullptr);  // correctly rounded; huge values give ±inf
}

absl::StatusOr<int64_t> Quantity::ScaledValue(int scale) const {
  const U128 limit = negative_ ? (U128{1} << 63) : (U128{1} << 63) - 1;
  const int shift = exponent10_ - scale;
  U128 v = magnitude_;
  if (shift >= 0) {
    for (int k = 0; k < shift && v != 0; ++k) {
      if (v > limit / 10) {
        return absl::OutOfRangeError(fmt::format(
            "quantity {} does not fit in int64 at scale 10^{}", ToDecimalString(), scale));
      }
      v *= 10;
    }
  } else {
    bool remainder = false;
    for (int k = 0; k < -shift && v != 0; ++k) {
      remainder = remainder || v % 10 != 0;
      v /= 10;
    }
    if (remainder && !negative_) ++v;  // toward +inf; negative values truncate toward 0
  }
  if (v > limit) {
    return absl::OutOfRangeError(fmt::format("quantity {} does not fit in int64 at scale 10^{}",
                                             ToDecimalString(), scale));
  }
  if (negative_) return v == (U128{1} << 63) ? std::numeric_limits<int64_t>::min()
                                              : -static_cast<int64_t>(v);
  return static_cast<int64_t>(v);
}

std::string Quantity::ToDecimalString() const {
  std::string digits = Digits(magnitude_);
  std::string sign = negative() ? "-" : "";
  if (magnitude_ == 0) return "0";
  if (exponent10_ >= 0) return sign + digits + std::string(static_cast<size_t>(exponent10_), '0');
  size_t frac = static_cast<size_t>(-exponent10_);
  if (digits.size() <= frac) digits.insert(0, frac - digits.size() + 1, '0');
  digits.insert(digits.size() - frac, ".");
  return sign + digits;
}

std::string Quantity::ToCanonicalString() const {
  if (magnitude_ == 0) return "0";
  constexpr int kNano = -9;
  U128 mantissa = magnitude_;
  int exponent = exponent10_;
  if (exponent < kNano) {  // round away from zero to whole nano-units, as Kubernetes does
    bool remainder = false;
    for (; exponent < kNano && mantissa != 0; ++exponent) {
      remainder = remainder || mantissa % 10 != 0;
      mantissa /= 10;
    }
    exponent = kNano;
    if (remainder) ++mantissa;
    while (mantissa % 10 == 0) {
      mantissa /= 10;
      ++exponent;
    }
  }
  // The exponent goes down to a multiple of 3 (and to at most 18, E) with zeros on the
  // mantissa: digits are appended as text, so a huge mantissa cannot overflow.
  int zeros = ((exponent % 3) + 3) % 3;
  exponent -= zeros;
  if (exponent > 18) {
    zeros += exponent - 18;
    exponent = 18;
  }
  static constexpr const char* kSuffixes[] = {"n", "u", "m", "", "k", "M", "G", "T", "P", "E"};
  return fmt::format("{}{}{}{}", negative() ? "-" : "", Digits(mantissa),
                     std::string(static_cast<size_t>(zeros), '0'), kSuffixes[(exponent + 9) / 3]);
}

absl::StatusOr<std::string> FormatQuantity(double value) {
  if (!std::isfinite(value)) {
    return absl::InvalidArgumentError(
        fmt::format("{} has no Kubernetes quantity (not a finite number)", value));
  }
  if (std::fabs(value) > 1e60) {
    return absl::OutOfRangeError(
        fmt::format("{} is beyond the quantities poolscaler formats (±1e60)", value));
  }
  // Below a nano-unit every value rounds away from zero to one (and 1e-300 has an exponent the
  // parser refuses).
  if (value != 0 && std::fabs(value) < 1e-9) return std::string(value < 0 ? "-1n" : "1n");
  // fmt's "{}" is the shortest text that reads back as the same double.
  absl::StatusOr<Quantity> q = Quantity::Parse("value", fmt::format("{}", value));
  if (!q.ok()) return q.status();
  return q->ToCanonicalString();
}

absl::StatusOr<double> ParseQuantity(std::string_view field, std::string_view text) {
  absl::StatusOr<Quantity> q = Quantity::Parse(field, text);
  if (!q.ok()) return q.status();
  return q->ToDouble();
}

}  // namespace poolscaler
