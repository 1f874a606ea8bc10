#pragma once
// SampleStore: the latest reading and error of every source, written by sampler threads and read
// by gRPC handlers, the pool evaluator and the metrics collector. Handlers only ever read here:
// they never touch a broker. The class is thread-safe.
#include <array>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "poolscaler/common/time.h"
#include "poolscaler/sources/source.h"

namespace poolscaler::sampler {

// Upper bounds (seconds) of the sample-duration histogram buckets; +Inf is implied.
inline constexpr std::array<double, 12> kDurationBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                            0.1,   0.25,   0.5,   1,    2.5,   5};

// Everything known about one source.
struct SourceRecord {
  std::string name;         // metric label and message name (secret-free)
  std::string description;  // SourceSpec::Describe()
  Duration stale_after{};
  std::optional<sources::Reading> reading;  // the last good reading
  TimePoint reading_at{};                   // when it was taken
  absl::Status last_status;                 // the latest attempt (OK after a success)
  TimePoint attempt_at{};
  std::optional<TimePoint> failing_since;          // first failure of the current run of failures
  uint64_t samples_total = 0;                      // attempts, good or bad
  std::map<std::string, uint64_t> errors_by_code;  // e.g. "UNAVAILABLE" → 3
  // Sample durations: counts per kDurationBuckets bucket (non-cumulative) and +Inf, and the sum.
  std::array<uint64_t, kDurationBuckets.size() + 1> duration_counts{};
  double duration_sum_seconds = 0;
  bool has_attempt() const { return samples_total > 0; }
};

// Several measures of one fresh reading and when it was taken (SampleStore::Values).
struct MeasuredAt {
  TimePoint at{};
  std::vector<std::optional<double>> values;  // in the order asked; unset: not in the reading
};

class SampleStore {
 public:
  // Starts tracking a source (no-op for an existing key apart from updating name, description
  // and stale_after).
  void Register(const std::string& key, const std::string& name, const std::string& description,
                Duration stale_after);
  void Unregister(const std::string& key);

  // Records one attempt that ended at `at` after `took`. Unknown keys are ignored (the source
  // was removed while its sample was in flight).
  void Record(const std::string& key, const absl::StatusOr<sources::Reading>& result, TimePoint at,
              Duration took);

  // The value of `measure` at `now`, or UNAVAILABLE with the reason: no sample yet, the source
  // is failing (with its error) and its last good reading is older than stale_after, or the
  // measure is missing. A reading younger than stale_after is served even while the latest
  // attempts fail, so one broker blip does not fire KEDA's fallback.
  absl::StatusOr<double> Value(const std::string& key, const std::string& measure,
                               TimePoint now) const;
  // Value() and the time its reading was taken, read under one lock.
  struct TimedValue {
    double value = 0;
    TimePoint taken_at{};
  };
  absl::StatusOr<TimedValue> ValueWithTime(const std::string& key, const std::string& measure,
                                           TimePoint now) const;

  // `measures` of the same fresh reading, with its time (UNAVAILABLE like Value when there is
  // no fresh reading; a measure the reading lacks is unset, not an error).
  absl::StatusOr<MeasuredAt> Values(const std::string& key,
                                    const std::vector<std::string>& measures, TimePoint now) const;

  std::optional<SourceRecord> Get(const std::string& key) const;
  std::vector<std::pair<std::string, SourceRecord>> Snapshot() const;

  // True once source `key` has had at least one attempt (false for an unknown key).
  bool Attempted(const std::string& key) const;
  // True once every registered source has had at least one attempt (readiness).
  bool AllAttempted() const;

  // Bumped on every Record/Register/Unregister; WaitForChange blocks until it moves past
  // `seen` or `deadline` passes, and returns the current generation.
  uint64_t generation() const;
  uint64_t WaitForChange(uint64_t seen, TimePoint deadline) const;

 private:
  // OK and *out = the record when `key` has a fresh reading at `now`; mu_ held.
  absl::Status FreshLocked(const std::string& key, TimePoint now, const SourceRecord** out) const;

  mutable std::mutex mu_;
  mutable std::condition_variable changed_;
  std::map<std::string, SourceRecord> records_;  // guarded by mu_
  uint64_t generation_ = 0;                      // guarded by mu_
};

}  // namespace poolscaler::sampler
