#pragma once
// Time types shared by every module. Policy and sampler code take `TimePoint now` as an argument;
// only the Clock implementations read a real clock.
#include <chrono>

namespace poolscaler {

using SteadyClock = std::chrono::steady_clock;
using TimePoint = SteadyClock::time_point;
using Duration = SteadyClock::duration;

// Source of the current time. Inject it wherever code would otherwise call now(), so tests can
// advance time by hand. Implementations are thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
  // Wall-clock time, for log records and "last sample at" displays only (never for arithmetic).
  virtual std::chrono::system_clock::time_point WallNow() const = 0;
};

// The process clock: steady time for arithmetic, system time for display.
class RealClock final : public Clock {
 public:
  TimePoint Now() const override { return SteadyClock::now(); }
  std::chrono::system_clock::time_point WallNow() const override {
    return std::chrono::system_clock::now();
  }
  // One shared instance; RealClock has no state.
  static const RealClock& Instance();
};

inline double ToSeconds(Duration d) { return std::chrono::duration<double>(d).count(); }

inline Duration FromSeconds(double s) {
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(s));
}

}  // namespace poolscaler
