#pragma once
// Kubernetes resource quantities ("250m", "1.5", "512Mi", "1G", "12345n", "1e3"), parsed
// exactly: the value is kept as an integer times a power of ten, so "12345n" is 12345 × 10⁻⁹
// and "1.5Gi" is 1610612736, with no binary floating point on the way. Pure; thread-compatible.
//
// Grammar (k8s.io/apimachinery resource.Quantity):
//   quantity ::= [+-] number suffix
//   number   ::= digits | digits "." digits | digits "." | "." digits
//   suffix   ::= "" | n | u | m | k | M | G | T | P | E          (decimal SI)
//              | Ki | Mi | Gi | Ti | Pi | Ei                    (binary SI)
//              | (e|E) [+-] digits                              (decimal exponent)
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace poolscaler {

class Quantity {
 public:
  // Parses `text`. Errors: INVALID_ARGUMENT "<field>: <why> (value "<text>")" for anything
  // outside the grammar, more than 39 significant digits, a value of 2^127 or more (before the
  // decimal exponent), or an exponent beyond ±60.
  static absl::StatusOr<Quantity> Parse(std::string_view field, std::string_view text);
  // An exact integer value × 10^exponent10 (e.g. FromScaled(250, -3) is 250m).
  static Quantity FromScaled(int64_t value, int exponent10);

  // The nearest double (correctly rounded).
  double ToDouble() const;
  // The value in units of 10^scale (-9: nano, -3: milli, 0: units), rounded up toward +∞ like
  // Kubernetes' ScaledValue. OUT_OF_RANGE when it does not fit in int64.
  absl::StatusOr<int64_t> ScaledValue(int scale) const;
  bool negative() const { return negative_ && magnitude_ != 0; }
  bool zero() const { return magnitude_ == 0; }
  // Canonical decimal text, exact: "0.25", "1610612736", "-3e-9" style is never used; always
  // plain digits with an optional point ("0.000012345").
  std::string ToDecimalString() const;
  // Kubernetes' canonical text (resource.Quantity's String() in the DecimalSI format): the value
  // rounded away from zero to a whole number of nano-units (Kubernetes' precision), then an
  // integer mantissa with the largest suffix of n, u, m, "", k, M, G, T, P, E that keeps it
  // exact: 1.5 → "1500m", 12 → "12", 3000 → "3k", 1500 → "1500", 10⁻¹⁰ → "1n". Above E the
  // mantissa grows ("1000E" for 10²¹) where Kubernetes would print no suffix at all.
  std::string ToCanonicalString() const;

 private:
  __extension__ typedef unsigned __int128 U128;
  Quantity(bool negative, U128 magnitude, int exponent10)
      : negative_(negative), magnitude_(magnitude), exponent10_(exponent10) {}

  bool negative_ = false;
  U128 magnitude_ = 0;  // value = ±magnitude_ × 10^exponent10_; magnitude_ < 2^127
  int exponent10_ = 0;
};

// `value` in Kubernetes' canonical text: the shortest decimal that reads back as the double
// (0.1 → "0.1"), canonicalized exactly as above, so 0.1 → "100m" and 1/3 → "333333334n".
// INVALID_ARGUMENT for NaN and ±Inf, OUT_OF_RANGE beyond ±10⁶⁰.
absl::StatusOr<std::string> FormatQuantity(double value);

// Shorthand: the quantity's value as a double, or the parse error.
absl::StatusOr<double> ParseQuantity(std::string_view field, std::string_view text);

}  // namespace poolscaler
