// Drain-time mode: the formula, the rate estimator's smoothing and resets, and the fallback to
// the lag rule inside Evaluate.
#include "poolscaler/policy/drain.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "poolscaler/policy/policy.h"

namespace poolscaler::policy {
namespace {

using std::chrono::seconds;

TimePoint At(double s) { return TimePoint{} + FromSeconds(1000 + s); }

TEST(DrainReplicas, Formula) {
  // (2 jobs/s + 600 jobs / 300 s) / 0.5 jobs/s per replica = 8
  EXPECT_EQ(DrainReplicas(2.0, 600, seconds(300), 0.5), 8);
  EXPECT_EQ(DrainReplicas(2.0, 601, seconds(300), 0.5), 9);  // rounds up
  EXPECT_EQ(DrainReplicas(0.0, 0, seconds(300), 0.5), 0);
  // Slow jobs: 3 waiting, 5 minutes each, drain within 10 minutes → 2 replicas; a lag rule with
  // lagThreshold 5 would say 1.
  EXPECT_EQ(DrainReplicas(0.0, 3, seconds(600), 1.0 / 300), 2);
  EXPECT_EQ(DrainReplicas(-1.0, 10, seconds(10), 1), 1);  // a negative rate counts as 0
}

TEST(DrainReplicas, UnknownInputsFallBack) {
  EXPECT_FALSE(DrainReplicas(std::nullopt, 10, seconds(60), 1));
  EXPECT_FALSE(DrainReplicas(1.0, 10, seconds(0), 1));
  EXPECT_FALSE(DrainReplicas(1.0, 10, seconds(60), 0));
}

TEST(RateEstimate, NeedsTwoSamplesThenSmooths) {
  RateEstimate e;
  UpdateRate(e, 100, At(0), seconds(10));
  EXPECT_FALSE(e.per_second);
  UpdateRate(e, 150, At(10), seconds(10));
  ASSERT_TRUE(e.per_second);
  EXPECT_DOUBLE_EQ(*e.per_second, 5);  // first rate taken as is
  UpdateRate(e, 150, At(20), seconds(10));  // nothing arrived for one half-life
  EXPECT_DOUBLE_EQ(*e.per_second, 2.5);
  UpdateRate(e, 150, At(20), seconds(10));  // same time again: ignored
  EXPECT_DOUBLE_EQ(*e.per_second, 2.5);
}

TEST(RateEstimate, CounterGoingBackwardsRestarts) {
  RateEstimate e;
  UpdateRate(e, 100, At(0), seconds(10));
  UpdateRate(e, 200, At(10), seconds(10));
  UpdateRate(e, 5, At(20), seconds(10));  // stream recreated
  EXPECT_FALSE(e.per_second);
  UpdateRate(e, 25, At(30), seconds(10));
  EXPECT_DOUBLE_EQ(*e.per_second, 2);
}

TEST(Evaluate, PrecomputedReplicasReplaceTheLagRule) {
  PoolParams p;
  p.max_replicas = 100;
  p.behavior = Behavior::PassThrough();
  SignalInput drain{"jobs/drain-time", 3, 5, 0};
  drain.replicas = 2;  // the lag rule would give ceil(3 / 5) = 1
  Evaluation e = Evaluate(p, {drain}, {}, At(0));
  EXPECT_EQ(e.decision.desired, 2);
  EXPECT_EQ(e.decision.winning_signal, "jobs/drain-time");
  SignalInput fallback{"jobs/lag", 3, 5, 0};  // no rate yet: lag rule
  EXPECT_EQ(Evaluate(p, {fallback}, {}, At(0)).decision.desired, 1);
}

}  // namespace
}  // namespace poolscaler::policy
