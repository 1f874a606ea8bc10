#pragma once
// The per-second rate of a cumulative counter, averaged over a trailing time window. Used for
// RabbitMQ's MessageRate mode. The management API refreshes a queue's counters in steps (every
// 5 s by default), and its own `rate` is the last step only: under a steady publisher it reads
// 55, 0, 0, 0, 0, 55, ... — the flapping KEDA's users see. Here the rate is taken between the
// points where the counter was seen to change, so the steps cancel out; once the counter stops
// changing for longer than its usual step, the average decays toward 0 and reaches 0 when no
// change is left in the window. Plain arithmetic on TimePoints (tests drive it without sleeping).
#include <algorithm>
#include <deque>
#include <optional>
#include <utility>

#include "poolscaler/common/time.h"

namespace poolscaler::sources {

// Not thread-safe: owned by one source.
class CounterWindow {
 public:
  explicit CounterWindow(Duration window) : window_(window) {}

  // Records the counter's value at `now` (later calls must not go back in time). A value below
  // the last one means the counter was reset (queue re-created, broker restarted): the window
  // starts again.
  void Add(TimePoint now, double count) {
    if (!changes_.empty() && (count < changes_.back().second || now < changes_.back().first)) {
      changes_.clear();
      first_seen_ = now;
    }
    if (changes_.empty()) first_seen_ = now;
    if (changes_.empty() || count != changes_.back().second) changes_.emplace_back(now, count);
    // Keep one change at or before the earliest start Rate() can use (it ends the window at the
    // last change, which may lie up to about a window before `now`).
    while (changes_.size() >= 2 && changes_[1].first <= now - 2 * window_) changes_.pop_front();
    while (changes_.size() > kMaxChanges) changes_.pop_front();
    now_ = now;
  }

  // Messages per second over the window as of the last Add(); nullopt until there is either a
  // second change point or two whole windows of observations (then 0: nothing changed).
  // The counter between change points is taken as a straight line (each step spread over the
  // time before it was seen), and the window always spans `window` (less only until that much
  // history exists), so a burst enters and leaves the average gradually.
  std::optional<double> Rate() const {
    if (changes_.empty()) return std::nullopt;
    const auto& [t0, c0] = changes_.front();
    const auto& [t1, c1] = changes_.back();
    if (changes_.size() < 2) {
      if (now_ - first_seen_ >= 2 * window_) return 0.0;
      return std::nullopt;
    }
    // The usual time between steps; a counter quiet for much longer has slowed or stopped, and
    // the window then ends now (the counter flat since its last change).
    const Duration step = (t1 - t0) / static_cast<int64_t>(changes_.size() - 1);
    const TimePoint end = now_ - t1 > 2 * step ? now_ : t1;
    const TimePoint start = std::max(t0, end - window_);
    const double seconds = ToSeconds(end - start);
    if (seconds <= 0) return std::nullopt;
    return (c1 - CountAt(start)) / seconds;
  }

 private:
  // The counter at `t` (>= the first change), interpolated between change points.
  double CountAt(TimePoint t) const {
    for (size_t i = 1; i < changes_.size(); ++i) {
      const auto& [ta, ca] = changes_[i - 1];
      const auto& [tb, cb] = changes_[i];
      if (t > tb) continue;
      if (tb <= ta) return cb;
      return ca + (cb - ca) * ToSeconds(t - ta) / ToSeconds(tb - ta);
    }
    return changes_.back().second;
  }

  static constexpr size_t kMaxChanges = 100'000;
  Duration window_;
  std::deque<std::pair<TimePoint, double>> changes_;  // (first seen, value) at each change
  TimePoint first_seen_{};
  TimePoint now_{};
};

}  // namespace poolscaler::sources
