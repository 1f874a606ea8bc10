#pragma once
// Evaluator: the thread that keeps pool decisions current. It re-evaluates every pool whenever
// the SampleStore changes and at least every `tick` (cooldowns and windows expire with time,
// not only with new samples). Stop returns within 50 ms whatever the tick. Start/Stop are not
// thread-safe against each other.
#include <atomic>
#include <thread>

#include "poolscaler/common/time.h"
#include "poolscaler/pools/pool_table.h"
#include "poolscaler/sampler/sample_store.h"

namespace poolscaler::pools {

class Evaluator {
 public:
  // All references must outlive the evaluator.
  Evaluator(PoolTable& table, const sampler::SampleStore& store, const Clock& clock,
            Duration tick);
  ~Evaluator();  // Stop()
  void Start();
  void Stop();
  // Evaluates once now, on the caller's thread (after a config change).
  void EvaluateNow();

 private:
  void Run();

  PoolTable& table_;
  const sampler::SampleStore& store_;
  const Clock& clock_;
  const Duration tick_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace poolscaler::pools
