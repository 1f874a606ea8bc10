#include "poolscaler/jobs/load_shape.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>

#include "poolscaler/common/duration.h"
#include "poolscaler/common/numbers.h"
#include "poolscaler/common/text.h"

namespace poolscaler::jobs {
namespace {

// Rates above this are a typo, not a load this machine can publish.
constexpr double kMaxJobsPerSecond = 100000;

bool ValidName(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

absl::Status Bad(std::string_view field, size_t index, std::string_view phase,
                 std::string_view why) {
  return absl::InvalidArgumentError(
      fmt::format("{}: phase {} {}: {} (expected NAME:DURATION[@RATE], e.g. \"burst:30s@25\")",
                  field, index + 1, Quote(phase), why));
}

absl::StatusOr<LoadPhase> ParsePhase(std::string_view field, size_t index, std::string_view text) {
  size_t colon = text.find(':');
  if (colon == std::string_view::npos) return Bad(field, index, text, "no ':' after the name");
  LoadPhase phase;
  phase.name = std::string(text.substr(0, colon));
  if (!ValidName(phase.name)) {
    return Bad(field, index, text, "the name must be letters, digits, '-' or '_'");
  }
  std::string_view rest = text.substr(colon + 1);
  std::string_view length = rest;
  if (size_t at = rest.find('@'); at != std::string_view::npos) {
    length = rest.substr(0, at);
    std::string rate_field = fmt::format("{}: phase {} rate", field, index + 1);
    absl::StatusOr<double> rate = ParseDouble(rate_field, rest.substr(at + 1));
    if (!rate.ok()) return rate.status();
    if (*rate < 0 || *rate > kMaxJobsPerSecond) {
      return Bad(field, index, text,
                 fmt::format("the rate must be between 0 and {:g} jobs/s", kMaxJobsPerSecond));
    }
    phase.jobs_per_second = *rate;
  }
  absl::StatusOr<Duration> d =
      ParseDuration(fmt::format("{}: phase {} duration", field, index + 1), length);
  if (!d.ok()) return d.status();
  if (*d <= Duration::zero()) return Bad(field, index, text, "the duration must be above 0");
  phase.length = *d;
  return phase;
}

}  // namespace

Duration LoadShape::Total() const {
  Duration total{};
  for (const LoadPhase& p : phases) total += p.length;
  return total;
}

size_t LoadShape::PhaseIndexAt(Duration t) const {
  Duration start{};
  for (size_t i = 0; i < phases.size(); ++i) {
    if (t < start + phases[i].length) return i;
    start += phases[i].length;
  }
  return phases.size();
}

Duration LoadShape::PhaseLeftAt(Duration t) const {
  Duration end{};
  for (const LoadPhase& p : phases) {
    end += p.length;
    if (t < end) return end - t;
  }
  return Duration::zero();
}

Duration LoadShape::LastJobAt() const {
  Duration end{}, last{};
  for (const LoadPhase& p : phases) {
    end += p.length;
    if (p.jobs_per_second > 0) last = end;
  }
  return last;
}

double LoadShape::JobsDueBy(Duration t) const {
  double due = 0;
  Duration start{};
  for (const LoadPhase& p : phases) {
    if (t <= start) break;
    Duration in_phase = std::min(t - start, p.length);
    due += p.jobs_per_second * ToSeconds(in_phase);
    start += p.length;
  }
  return due;
}

absl::StatusOr<LoadShape> ParseLoadShape(std::string_view field, std::string_view text) {
  LoadShape shape;
  if (text.empty()) {
    return absl::InvalidArgumentError(fmt::format(
        "{}: empty (expected phases such as \"idle:5s,burst:30s@25,steady:45s@6,idle:60s\")",
        field));
  }
  size_t index = 0;
  for (size_t start = 0; start <= text.size(); ++index) {
    size_t comma = text.find(',', start);
    std::string_view item = text.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    absl::StatusOr<LoadPhase> phase = ParsePhase(field, index, item);
    if (!phase.ok()) return phase.status();
    shape.phases.push_back(std::move(*phase));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return shape;
}

const char* TierName(Tier tier) {
  switch (tier) {
    case Tier::kSmall:
      return "small";
    case Tier::kLarge:
      return "large";
    case Tier::kGpu:
      return "gpu";
  }
  return "small";
}

Tier TierForSize(int64_t size_kb) {
  if (size_kb <= 1024) return Tier::kSmall;
  if (size_kb <= 16 * 1024) return Tier::kLarge;
  return Tier::kGpu;
}

int64_t DrawSizeKb(std::mt19937_64& rng) {
  // ln(1024) = mu + 0.524 sigma (70 % at or below 1 MiB), ln(16384) = mu + 1.405 sigma (92 %).
  std::lognormal_distribution<double> size(5.28, 3.14);
  double kb = std::round(size(rng));
  return static_cast<int64_t>(std::clamp(kb, 1.0, 512.0 * 1024));
}

}  // namespace poolscaler::jobs
