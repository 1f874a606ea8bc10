#include "poolscaler/sampler/sample_store.h"

#include <fmt/format.h>

#include "poolscaler/common/duration.h"
#include "poolscaler/common/status.h"

namespace poolscaler::sampler {
namespace {

std::string Ago(TimePoint then, TimePoint now) {
  return FormatDuration(std::chrono::duration_cast<std::chrono::milliseconds>(now - then));
}

}  // namespace

void SampleStore::Register(const std::string& key, const std::string& name,
                           const std::string& description, Duration stale_after) {
  std::lock_guard lock(mu_);
  SourceRecord& r = records_[key];
  r.name = name;
  r.description = description;
  r.stale_after = stale_after;
  ++generation_;
  changed_.notify_all();
}

void SampleStore::Unregister(const std::string& key) {
  std::lock_guard lock(mu_);
  records_.erase(key);
  ++generation_;
  changed_.notify_all();
}

void SampleStore::Record(const std::string& key, const absl::StatusOr<sources::Reading>& result,
                         TimePoint at, Duration took) {
  std::lock_guard lock(mu_);
  auto it = records_.find(key);
  if (it == records_.end()) return;
  SourceRecord& r = it->second;
  r.attempt_at = at;
  ++r.samples_total;
  double seconds = ToSeconds(took);
  r.duration_sum_seconds += seconds;
  size_t bucket = 0;
  while (bucket < kDurationBuckets.size() && seconds > kDurationBuckets[bucket]) ++bucket;
  ++r.duration_counts[bucket];
  if (result.ok()) {
    r.reading = *result;
    r.reading_at = at;
    r.last_status = absl::OkStatus();
    r.failing_since.reset();
  } else {
    r.last_status = result.status();
    if (!r.failing_since) r.failing_since = at;
    ++r.errors_by_code[StatusCodeName(result.status().code())];
  }
  ++generation_;
  changed_.notify_all();
}

absl::Status SampleStore::FreshLocked(const std::string& key, TimePoint now,
                                      const SourceRecord** out) const {
  auto it = records_.find(key);
  if (it == records_.end()) {
    return absl::UnavailableError("source is not registered (it may have been retired)");
  }
  const SourceRecord& r = it->second;
  *out = &r;
  bool fresh = r.reading && now - r.reading_at <= r.stale_after;
  if (!fresh) {
    if (!r.has_attempt()) {
      return absl::UnavailableError(fmt::format("source {}: no sample yet", r.name));
    }
    if (!r.last_status.ok()) {
      std::string since = r.failing_since ? Ago(*r.failing_since, now) : "?";
      return absl::UnavailableError(fmt::format("source {}: failing for {}: {}", r.name, since,
                                                std::string(r.last_status.message())));
    }
    return absl::UnavailableError(
        fmt::format("source {}: last sample is stale ({} old, staleAfter {})", r.name,
                    Ago(r.reading_at, now), FormatDuration(r.stale_after)));
  }
  return absl::OkStatus();
}

absl::StatusOr<double> SampleStore::Value(const std::string& key, const std::string& measure,
                                          TimePoint now) const {
  absl::StatusOr<TimedValue> v = ValueWithTime(key, measure, now);
  if (!v.ok()) return v.status();
  return v->value;
}

absl::StatusOr<SampleStore::TimedValue> SampleStore::ValueWithTime(const std::string& key,
                                                                   const std::string& measure,
                                                                   TimePoint now) const {
  std::lock_guard lock(mu_);
  const SourceRecord* found = nullptr;
  if (absl::Status st = FreshLocked(key, now, &found); !st.ok()) return st;
  const SourceRecord& r = *found;
  auto m = r.reading->measures.find(measure);
  if (m == r.reading->measures.end()) {
    return absl::UnavailableError(
        fmt::format("source {}: measure \"{}\" not in its last reading", r.name, measure));
  }
  return TimedValue{m->second, r.reading_at};
}

absl::StatusOr<MeasuredAt> SampleStore::Values(const std::string& key,
                                               const std::vector<std::string>& measures,
                                               TimePoint now) const {
  std::lock_guard lock(mu_);
  const SourceRecord* found = nullptr;
  if (absl::Status st = FreshLocked(key, now, &found); !st.ok()) return st;
  MeasuredAt out;
  out.at = found->reading_at;
  for (const std::string& measure : measures) {
    auto m = found->reading->measures.find(measure);
    out.values.push_back(m == found->reading->measures.end() ? std::nullopt
                                                             : std::optional<double>(m->second));
  }
  return out;
}

std::optional<SourceRecord> SampleStore::Get(const std::string& key) const {
  std::lock_guard lock(mu_);
  auto it = records_.find(key);
  if (it == records_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::pair<std::string, SourceRecord>> SampleStore::Snapshot() const {
  std::lock_guard lock(mu_);
  return {records_.begin(), records_.end()};
}

bool SampleStore::Attempted(const std::string& key) const {
  std::lock_guard lock(mu_);
  auto it = records_.find(key);
  return it != records_.end() && it->second.has_attempt();
}

bool SampleStore::AllAttempted() const {
  std::lock_guard lock(mu_);
  for (const auto& [key, r] : records_) {
    if (!r.has_attempt()) return false;
  }
  return true;
}

uint64_t SampleStore::generation() const {
  std::lock_guard lock(mu_);
  return generation_;
}

uint64_t SampleStore::WaitForChange(uint64_t seen, TimePoint deadline) const {
  std::unique_lock lock(mu_);
  changed_.wait_until(lock, deadline, [&] { return generation_ != seen; });
  return generation_;
}

}  // namespace poolscaler::sampler
