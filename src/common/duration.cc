#include "poolscaler/common/duration.h"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <string>

#include <fmt/format.h>
#include "poolscaler/common/text.h"

namespace poolscaler {
namespace {

// Nanoseconds per unit, or 0 when `unit` is not one.
double UnitNanos(std::string_view unit) {
  if (unit == "ns") return 1;
  if (unit == "us" || unit == "µs") return 1e3;
  if (unit == "ms") return 1e6;
  if (unit == "s") return 1e9;
  if (unit == "m") return 60e9;
  if (unit == "h") return 3600e9;
  return 0;
}

absl::Status Bad(std::string_view field, std::string_view text, std::string_view why) {
  return absl::InvalidArgumentError(fmt::format("{}: {} (value {})", field, why, Quote(text)));
}

}  // namespace

absl::StatusOr<Duration> ParseDuration(std::string_view field, std::string_view text) {
  constexpr char kExpect[] = "expected a duration such as \"250ms\", \"5s\" or \"1m30s\"";
  if (text.empty()) return Bad(field, text, kExpect);
  double total_ns = 0;
  size_t i = 0;
  bool any_unit = false;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
    if (start == i) return Bad(field, text, kExpect);
    std::string number(text.substr(start, i - start));
    if (number.find('.') != number.rfind('.') || number == ".") return Bad(field, text, kExpect);
    // strtod, not stod: stod throws on a number too large for a double ("1e400"-length digits).
    double value = std::strtod(number.c_str(), nullptr);
    size_t unit_start = i;
    while (i < text.size() && !std::isdigit(static_cast<unsigned char>(text[i])) && text[i] != '.') ++i;
    std::string_view unit = text.substr(unit_start, i - unit_start);
    if (unit.empty()) {
      // A bare number is seconds, and only allowed alone ("5", not "1m5").
      if (any_unit || start != 0) return Bad(field, text, kExpect);
      total_ns = value * 1e9;
      break;
    }
    double per = UnitNanos(unit);
    if (per == 0) return Bad(field, text, fmt::format("unknown unit \"{}\"; {}", unit, kExpect));
    total_ns += value * per;
    any_unit = true;
  }
  if (!std::isfinite(total_ns) || total_ns > 1e18) return Bad(field, text, "duration too large");
  return std::chrono::duration_cast<Duration>(std::chrono::nanoseconds(static_cast<int64_t>(total_ns)));
}

std::string FormatDuration(Duration d) {
  using namespace std::chrono;
  auto ns = duration_cast<nanoseconds>(d).count();
  if (ns == 0) return "0s";
  std::string out;
  if (ns < 0) {
    out = "-";
    ns = -ns;
  }
  if (ns % 1'000'000'000 != 0) {
    if (ns % 1'000'000 == 0) return fmt::format("{}{}ms", out, ns / 1'000'000);
    if (ns % 1'000 == 0) return fmt::format("{}{}us", out, ns / 1'000);
    return fmt::format("{}{}ns", out, ns);
  }
  int64_t s = ns / 1'000'000'000;
  if (s >= 3600) {
    out += fmt::format("{}h", s / 3600);
    s %= 3600;
  }
  if (s >= 60) {
    out += fmt::format("{}m", s / 60);
    s %= 60;
  }
  if (s > 0 || out.empty() || out == "-") out += fmt::format("{}s", s);
  return out;
}

}  // namespace poolscaler
