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

DrainParams Params(double per_replica, bool learn = false) {
  DrainParams p;
  p.target_drain = seconds(100);
  if (per_replica > 0) p.per_replica_rate = per_replica;
  p.learn_per_replica_rate = learn;
  p.rate_half_life = seconds(10);
  p.learn_settle = seconds(30);
  return p;
}

// A steady 2 jobs/s with 100 waiting and 0.5 jobs/s per replica: (2 + 100/100) / 0.5 = 6.
TEST(DrainStep, SteadyArrivalsAndBacklog) {
  DrainParams p = Params(0.5);
  DrainState st;
  DrainOutcome out = DrainStep(p, st, {100, 0.0, 0.0, At(0)}, 1, At(0));
  EXPECT_FALSE(out.replicas);  // one reading: no rate yet, the lag rule applies
  EXPECT_FALSE(out.arrival_per_second);
  out = DrainStep(p, st, {100, 20.0, 20.0, At(10)}, 1, At(10));
  ASSERT_TRUE(out.replicas);
  EXPECT_EQ(*out.replicas, 6);
  EXPECT_DOUBLE_EQ(*out.arrival_per_second, 2);
  EXPECT_DOUBLE_EQ(*out.completion_per_second, 2);
  EXPECT_DOUBLE_EQ(*out.per_replica_rate, 0.5);
}

// The same reading seen again (the evaluator runs more often than the sampler) changes nothing.
TEST(DrainStep, RepeatedReadingIsFoldedOnce) {
  DrainParams p = Params(1);
  DrainState st;
  DrainStep(p, st, {0, 0.0, 0.0, At(0)}, 1, At(0));
  DrainStep(p, st, {0, 10.0, 10.0, At(10)}, 1, At(10));
  DrainOutcome again = DrainStep(p, st, {0, 10.0, 10.0, At(10)}, 1, At(10.25));
  EXPECT_DOUBLE_EQ(*again.arrival_per_second, 1);
}

// No counters in the reading (e.g. Redis lag nil after XDEL): the lag rule.
TEST(DrainStep, MissingCountersFallBack) {
  DrainParams p = Params(1);
  DrainState st;
  DrainStep(p, st, {5, 0.0, 0.0, At(0)}, 1, At(0));
  DrainStep(p, st, {5, 10.0, 10.0, At(10)}, 1, At(10));
  DrainOutcome out = DrainStep(p, st, {5, std::nullopt, std::nullopt, At(20)}, 1, At(20));
  EXPECT_FALSE(out.replicas);
}

// Learning: 4 replicas, always busy (backlog >= 4), completing 2 jobs/s between them → 0.5
// jobs/s each, learned only once the target has been stable for learn_settle (30 s) and the
// pool saturated for 4 half-lives (40 s) after that.
TEST(DrainStep, LearnsPerReplicaRateWhileSaturated) {
  DrainParams p = Params(0, /*learn=*/true);
  DrainState st;
  double done = 0, arrived = 0;
  DrainOutcome out;
  for (int t = 0; t <= 90; t += 5) {
    arrived += 10;
    done += 10;  // 2 jobs/s
    out = DrainStep(p, st, {50, arrived, done, At(t)}, 4, At(t));
    if (t < 70) {
      EXPECT_FALSE(out.per_replica_rate) << t;  // still settling: nothing to use
    }
  }
  ASSERT_TRUE(out.per_replica_rate);
  EXPECT_NEAR(*out.per_replica_rate, 0.5, 1e-9);
  // (2 jobs/s + 50 / 100 s) / 0.5 = 5 replicas
  EXPECT_EQ(out.replicas, 5);
}

// An idle pool (backlog below the target) teaches nothing: completions then measure arrivals,
// not capacity. The configured rate stays in use.
TEST(DrainStep, IdleReplicasTeachNothing) {
  DrainParams p = Params(2, /*learn=*/true);
  DrainState st;
  for (int t = 0; t <= 120; t += 5) {
    DrainOutcome out = DrainStep(p, st, {1, t * 0.1, t * 0.1, At(t)}, 4, At(t));
    EXPECT_DOUBLE_EQ(*out.per_replica_rate, 2) << t;
  }
  EXPECT_FALSE(st.learned_per_replica_rate);
}

// A target change restarts the settle time: pods started a moment ago are not yet working.
// A moment with spare capacity (backlog below the target) restarts the saturated time.
TEST(DrainStep, SaturationMustLast) {
  DrainParams p = Params(0, /*learn=*/true);
  DrainState st;
  double done = 0;
  for (int t = 0; t <= 150; t += 5) {
    double backlog = t == 60 ? 1 : 50;
    DrainOutcome out = DrainStep(p, st, {backlog, done += 10, done, At(t)}, 4, At(t));
    if (t < 105) {  // saturated again from 65 s, for 40 s
      EXPECT_FALSE(out.per_replica_rate) << t;
    } else {
      EXPECT_TRUE(out.per_replica_rate) << t;
    }
  }
}

TEST(DrainStep, TargetChangeRestartsSettling) {
  DrainParams p = Params(0, /*learn=*/true);
  DrainState st;
  double done = 0;
  for (int t = 0; t <= 25; t += 5) DrainStep(p, st, {50, done += 10, done, At(t)}, 4, At(t));
  for (int t = 30; t <= 50; t += 5) {
    DrainOutcome out = DrainStep(p, st, {50, done += 10, done, At(t)}, 8, At(t));
    EXPECT_FALSE(out.per_replica_rate) << t;
  }
}

// Workers that keep the backlog at 0 still mean work is flowing: arrivals count as activity
// until a reading shows none, however often the same reading is evaluated.
TEST(DrainStep, ArrivalsAreActivity) {
  DrainParams p = Params(1);
  DrainState st;
  EXPECT_FALSE(DrainStep(p, st, {0, 5.0, 5.0, At(0)}, 0, At(0)).arriving);  // first reading
  EXPECT_TRUE(DrainStep(p, st, {0, 9.0, 9.0, At(5)}, 1, At(5)).arriving);
  EXPECT_TRUE(DrainStep(p, st, {0, 9.0, 9.0, At(5)}, 1, At(5.25)).arriving);  // same reading
  EXPECT_FALSE(DrainStep(p, st, {0, 9.0, 9.0, At(10)}, 1, At(10)).arriving);  // nothing new
  EXPECT_FALSE(DrainStep(p, st, {0, std::nullopt, std::nullopt, At(15)}, 1, At(15)).arriving);
}

TEST(Evaluate, ArrivingSignalKeepsThePoolActive) {
  PoolParams p;
  p.max_replicas = 100;
  p.behavior = Behavior::PassThrough();
  SignalInput s{"jobs/outstanding", 0, 5, 0};
  s.replicas = 20;
  EXPECT_FALSE(Evaluate(p, {s}, {}, At(0)).decision.active);
  s.arriving = true;
  Evaluation e = Evaluate(p, {s}, {}, At(0));
  EXPECT_TRUE(e.decision.active);
  EXPECT_EQ(e.decision.desired, 20);
}

TEST(Evaluate, DrainReplicasHonourTheTolerance) {
  PoolParams p;
  p.max_replicas = 100;
  p.behavior = Behavior::PassThrough();
  p.behavior.scale_up.tolerance = p.behavior.scale_down.tolerance = 0.2;
  PoolHistory h;
  SignalInput s{"jobs/outstanding", 50, 5, 0};
  s.replicas = 10;
  Evaluation e = Evaluate(p, {s}, h, At(0));
  ASSERT_EQ(e.decision.desired, 10);
  s.replicas = 11;  // within 20 % of 10: keep 10
  e = Evaluate(p, {s}, e.history, At(1));
  EXPECT_EQ(e.decision.desired, 10);
  EXPECT_TRUE(e.decision.Limited(Limit::kTolerance));
  s.replicas = 13;  // outside
  EXPECT_EQ(Evaluate(p, {s}, e.history, At(2)).decision.desired, 13);
}

}  // namespace
}  // namespace poolscaler::policy
