#pragma once
// The shaped load `poolscaler-load` publishes, and how its jobs are sized and routed to tiers.
// Pure: no clocks, no I/O; the generator passes the elapsed time in, and the random engine.
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "poolscaler/common/time.h"

namespace poolscaler::jobs {

// One phase of the load: `jobs_per_second` (per broker) for `length`.
struct LoadPhase {
  std::string name;  // "burst", "steady", "idle", or any label
  Duration length{};
  double jobs_per_second = 0;
};

// Phases back to back, from offset 0.
struct LoadShape {
  std::vector<LoadPhase> phases;

  Duration Total() const;
  // Index of the phase running at offset `t`; phases.size() at or past the end.
  size_t PhaseIndexAt(Duration t) const;
  // Time left in that phase (zero past the end).
  Duration PhaseLeftAt(Duration t) const;
  // The end of the last phase that publishes anything (zero when none does): the load is over.
  Duration LastJobAt() const;
  // Jobs due from offset 0 to `t` (the integral of the rate), so a generator that publishes
  // floor(JobsDueBy(t)) minus what it already sent never drifts, whatever its tick jitter.
  double JobsDueBy(Duration t) const;
};

// Parses "NAME:DURATION[@RATE],..." e.g. "idle:5s,burst:30s@25,steady:45s@6,idle:60s": RATE is
// jobs per second (a non-negative number, default 0); DURATION as ParseDuration reads it, > 0;
// NAME letters, digits, '-' or '_'. Errors (INVALID_ARGUMENT) name `field`, the phase and the
// offending text.
absl::StatusOr<LoadShape> ParseLoadShape(std::string_view field, std::string_view text);

// The document pipeline's tiers (DESIGN §1) and its router: a document up to 1 MiB goes to
// `small`, up to 16 MiB to `large`, anything larger (scans, image-heavy files: OCR) to `gpu`.
enum class Tier : uint8_t { kSmall, kLarge, kGpu };
const char* TierName(Tier tier);  // "small", "large", "gpu"
Tier TierForSize(int64_t size_kb);

// A document size in KiB from a log-normal distribution (median ~200 KiB) under which the
// router sends about 70 % of jobs to small, 22 % to large and 8 % to gpu; clamped to
// [1, 512 MiB].
int64_t DrawSizeKb(std::mt19937_64& rng);

}  // namespace poolscaler::jobs
