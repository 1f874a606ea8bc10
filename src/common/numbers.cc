#include "poolscaler/common/numbers.h"

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <string>

#include <fmt/format.h>
#include "poolscaler/common/quantity.h"
#include "poolscaler/common/text.h"

namespace poolscaler {
namespace {

absl::Status Bad(std::string_view field, std::string_view text, std::string_view what) {
  return absl::InvalidArgumentError(
      fmt::format("{}: expected {} (value {})", field, what, Quote(text)));
}

}  // namespace

absl::StatusOr<double> ParseDouble(std::string_view field, std::string_view text) {
  // strtod accepts leading spaces, hex and "inf"; we accept plain decimal only.
  if (text.empty() || text.size() > 64) return Bad(field, text, "a number");
  for (char c : text) {
    if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '+' ||
          c == 'e' || c == 'E')) {
      return Bad(field, text, "a number");
    }
  }
  std::string copy(text);
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size() || errno == ERANGE || !std::isfinite(v)) {
    return Bad(field, text, "a finite number");
  }
  return v;
}

absl::StatusOr<int64_t> ParseInt(std::string_view field, std::string_view text) {
  int64_t v = 0;
  const char* begin = text.data();
  const char* end = begin + text.size();
  // from_chars rejects a leading '+'; skip one, but not "+-5".
  if (text.size() > 1 && text[0] == '+' && text[1] != '-') ++begin;
  auto [ptr, ec] = std::from_chars(begin, end, v);
  if (text.empty() || ec != std::errc() || ptr != end) return Bad(field, text, "a whole number");
  return v;
}

absl::StatusOr<bool> ParseBool(std::string_view field, std::string_view text) {
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "true") return true;
  if (lower == "false") return false;
  return Bad(field, text, "true or false");
}

absl::StatusOr<double> ParseNonNegativeQuantity(std::string_view field, std::string_view text) {
  absl::StatusOr<Quantity> q = Quantity::Parse(field, text);
  if (!q.ok()) return Bad(field, text, "a quantity such as 4, 500m, 16Gi");
  double result = q->ToDouble();
  if (!(result >= 0) || !std::isfinite(result)) {
    return Bad(field, text, "a finite quantity of at least 0");
  }
  return result;
}

}  // namespace poolscaler
