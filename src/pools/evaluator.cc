#include "poolscaler/pools/evaluator.h"

#include <algorithm>

namespace poolscaler::pools {
namespace {
constexpr Duration kStopCheck = std::chrono::milliseconds(50);
}  // namespace

Evaluator::Evaluator(PoolTable& table, const sampler::SampleStore& store, const Clock& clock,
                     Duration tick)
    : table_(table), store_(store), clock_(clock), tick_(tick) {}

Evaluator::~Evaluator() { Stop(); }

void Evaluator::Start() {
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { Run(); });
}

void Evaluator::Stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

void Evaluator::EvaluateNow() { table_.EvaluateAll(store_, clock_.Now()); }

void Evaluator::Run() {
  uint64_t seen = store_.generation();
  while (!stopping_) {
    EvaluateNow();
    // Wake on the next store change or after one tick, whichever is first, in slices of at
    // most kStopCheck so that Stop returns within one slice whatever the tick.
    const TimePoint deadline = SteadyClock::now() + tick_;
    uint64_t now_seen = seen;
    while (!stopping_ && now_seen == seen) {
      const TimePoint now = SteadyClock::now();
      if (now >= deadline) break;
      now_seen = store_.WaitForChange(seen, std::min(deadline, now + kStopCheck));
    }
    if (now_seen != seen && !stopping_) {
      // Coalesce a burst of samples (many sources finishing together) into one evaluation.
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    seen = store_.generation();
  }
}

}  // namespace poolscaler::pools
