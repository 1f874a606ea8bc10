#pragma once
// Exponential backoff between reconnect attempts, as plain arithmetic on TimePoints so tests can
// drive it without sleeping.
#include <algorithm>
#include <chrono>

#include "poolscaler/common/time.h"

namespace poolscaler::sources {

// After the first failure the next attempt waits `initial`; each further consecutive failure
// doubles the wait up to `max`; a success resets it. Not thread-safe: the owner's mutex guards it.
// The default cap is 1 s: a connection attempt to a broker that is down costs it next to nothing
// (connections are shared, so it is one attempt per broker, not per source), and a longer wait
// would keep KEDA on UNAVAILABLE well after the broker is back (the chaos tests require fresh
// values within 2 s of its return).
class Backoff {
 public:
  explicit Backoff(Duration initial = std::chrono::milliseconds(200),
                   Duration max = std::chrono::seconds(1))
      : initial_(initial), max_(max), next_delay_(initial) {}

  // A connection attempt (or call on a connection) failed at `now`.
  void RecordFailure(TimePoint now) {
    retry_at_ = now + next_delay_;
    next_delay_ = std::min(next_delay_ * 2, max_);
  }
  // A call succeeded: the next failure waits `initial` again.
  void RecordSuccess() {
    next_delay_ = initial_;
    retry_at_ = TimePoint();
  }
  // How long until the next attempt may start; zero when it may start at `now`.
  Duration Remaining(TimePoint now) const {
    return retry_at_ > now ? retry_at_ - now : Duration::zero();
  }

 private:
  Duration initial_;
  Duration max_;
  Duration next_delay_;   // wait after the next failure
  TimePoint retry_at_{};  // no attempt before this
};

}  // namespace poolscaler::sources
