// Evaluator: a store change is evaluated without waiting for the tick, the tick re-evaluates
// with no new sample (windows and cooldowns expire with time), EvaluateNow runs on the caller's
// thread, and Stop returns although the store never changes. The clock is the test's; the
// waits are conditions with generous deadlines, never timing bounds.
#include "poolscaler/pools/evaluator.h"

#include <gtest/gtest.h>

#include "support/eventually.h"
#include "support/manual_clock.h"

namespace poolscaler::pools {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::seconds;

PoolDefinition Pool() {
  PoolDefinition d;
  d.id = d.name = "w";
  d.metric_name = "pool-w";
  d.params.min_replicas = 0;
  d.params.max_replicas = 10;
  d.signals.push_back({"orders/outstanding", "k", "outstanding", 5, 0});
  return d;
}

class EvaluatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_.Register("k", "orders", "", hours(24));
    table_.SetConfigPools({Pool()});
  }
  void Lag(double v) {
    store_.Record("k", sources::Reading{{{"outstanding", v}}, ""}, clock_.Now(), {});
  }
  int64_t Desired() const {
    std::optional<PoolState> st = table_.Get("w");
    return st && st->has_decision ? st->decision.desired : -1;
  }
  TimePoint EvaluatedAt() const { return table_.Get("w")->evaluated_at; }

  testing::ManualClock clock_;
  sampler::SampleStore store_;
  PoolTable table_;
};

TEST_F(EvaluatorTest, AStoreChangeIsEvaluatedWithoutWaitingForTheTick) {
  Evaluator evaluator(table_, store_, clock_, hours(1));  // the tick never comes
  evaluator.Start();
  Lag(23);
  EXPECT_TRUE(testing::Eventually([&] { return Desired() == 5; }, seconds(30)));
  Lag(48);
  EXPECT_TRUE(testing::Eventually([&] { return Desired() == 10; }, seconds(30)));
  evaluator.Stop();
}

TEST_F(EvaluatorTest, TheTickReevaluatesWithoutANewSample) {
  Lag(23);
  Evaluator evaluator(table_, store_, clock_, milliseconds(20));
  evaluator.Start();
  ASSERT_TRUE(testing::Eventually([&] { return Desired() == 5; }, seconds(30)));
  clock_.Advance(seconds(60));  // no sample; only the tick can notice the time
  const TimePoint later = clock_.Now();
  EXPECT_TRUE(testing::Eventually([&] { return EvaluatedAt() == later; }, seconds(30)));
  evaluator.Stop();
}

TEST_F(EvaluatorTest, EvaluateNowRunsOnTheCallersThreadAndStopEndsAnIdleLoop) {
  Evaluator evaluator(table_, store_, clock_, hours(1));
  Lag(23);
  evaluator.EvaluateNow();  // not started: the caller's thread does it
  EXPECT_EQ(Desired(), 5);
  evaluator.Start();
  evaluator.Start();  // a second Start is a no-op
  evaluator.Stop();   // returns although the store does not change and the tick is an hour
  evaluator.Stop();
  Lag(48);
  std::this_thread::sleep_for(milliseconds(100));
  EXPECT_EQ(Desired(), 5);  // stopped: nothing evaluates the new sample
}

}  // namespace
}  // namespace poolscaler::pools
