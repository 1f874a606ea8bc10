#pragma once
// ManualClock: a Clock the test moves by hand. Steady time starts at `start` (1000 s by default)
// and moves only with Advance/Set, safe to read from other threads (an evaluator, gRPC handlers).
// Wall time is `wall_at_zero` plus the steady time, for code that prints timestamps.
#include <atomic>
#include <chrono>

#include "poolscaler/common/time.h"

namespace poolscaler::testing {

class ManualClock final : public Clock {
 public:
  explicit ManualClock(Duration start = std::chrono::seconds(1000),
                       std::chrono::system_clock::time_point wall_at_zero = {})
      : now_(start.count()), wall_at_zero_(wall_at_zero) {}
  TimePoint Now() const override { return TimePoint{} + Duration(now_.load()); }
  std::chrono::system_clock::time_point WallNow() const override {
    return wall_at_zero_ +
           std::chrono::duration_cast<std::chrono::system_clock::duration>(Now() - TimePoint{});
  }
  void Advance(Duration d) { now_ += d.count(); }

 private:
  std::atomic<Duration::rep> now_;
  const std::chrono::system_clock::time_point wall_at_zero_;
};

}  // namespace poolscaler::testing
