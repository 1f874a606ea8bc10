// Policy v1 rules and their edges: lag → replicas, activation hysteresis, scale-down window,
// min/max clamps, winning signal. Time is simulated: `At(s)` is s seconds after an origin.
#include "poolscaler/policy/policy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>

namespace poolscaler::policy {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TimePoint At(double seconds) { return TimePoint{} + FromSeconds(1000 + seconds); }

SignalInput Lag(double value, double threshold = 5, double activation = 0,
                std::string name = "orders/outstanding") {
  return {std::move(name), value, threshold, activation};
}

// v1-shaped params: no tolerance, no rate policies, only a scale-down stabilization window.
// (behavior_test.cc covers the HPA defaults.)
PoolParams Params(int64_t min, int64_t max, double cooldown_s = 0, double window_s = 0) {
  PoolParams p;
  p.min_replicas = min;
  p.max_replicas = max;
  p.cooldown = FromSeconds(cooldown_s);
  p.behavior = Behavior::PassThrough();
  p.behavior.scale_down.stabilization_window = FromSeconds(window_s);
  return p;
}

// Runs evaluations in sequence, carrying the history like the server does.
class Runner {
 public:
  explicit Runner(PoolParams p) : params_(p) {}
  Decision Step(double t, std::vector<SignalInput> signals) {
    Evaluation e = Evaluate(params_, signals, history_, At(t));
    history_ = e.history;
    return e.decision;
  }
  const PoolHistory& history() const { return history_; }

 private:
  PoolParams params_;
  PoolHistory history_;
};

TEST(ReplicasForLag, CeilOfLagOverThreshold) {
  EXPECT_EQ(ReplicasForLag(0, 5), 0);
  EXPECT_EQ(ReplicasForLag(1, 5), 1);
  EXPECT_EQ(ReplicasForLag(5, 5), 1);
  EXPECT_EQ(ReplicasForLag(5.0001, 5), 2);
  EXPECT_EQ(ReplicasForLag(10, 5), 2);
  EXPECT_EQ(ReplicasForLag(11, 5), 3);
  EXPECT_EQ(ReplicasForLag(1, 0.5), 2);
}

TEST(ReplicasForLag, BadInputsGiveZeroOrSaturate) {
  EXPECT_EQ(ReplicasForLag(-3, 5), 0);
  EXPECT_EQ(ReplicasForLag(std::numeric_limits<double>::quiet_NaN(), 5), 0);
  EXPECT_EQ(ReplicasForLag(10, 0), 0);
  EXPECT_EQ(ReplicasForLag(10, -1), 0);
  EXPECT_EQ(ReplicasForLag(1e300, 1), std::numeric_limits<int64_t>::max() / 2);
  EXPECT_EQ(ReplicasForLag(std::numeric_limits<double>::infinity(), 1),
            std::numeric_limits<int64_t>::max() / 2);
}

TEST(Evaluate, IdlePoolRestsAtMinAndIsInactive) {
  Runner r(Params(0, 10));
  Decision d = r.Step(0, {Lag(0)});
  EXPECT_FALSE(d.active);
  EXPECT_EQ(d.desired, 0);
  EXPECT_THAT(d.limits, ElementsAre(Limit::kInactive));

  Runner with_min(Params(2, 10));
  EXPECT_EQ(with_min.Step(0, {Lag(0)}).desired, 2);
}

TEST(Evaluate, ActivationIsStrictlyAboveThreshold) {
  Runner r(Params(0, 10));
  EXPECT_FALSE(r.Step(0, {Lag(3, 5, 3)}).active);  // equal: not active
  Decision d = r.Step(1, {Lag(4, 5, 3)});
  EXPECT_TRUE(d.active);
  EXPECT_EQ(d.desired, 1);
}

TEST(Evaluate, ActiveFloorIsOneEvenWithMinZero) {
  Runner r(Params(0, 10));
  // lag 0.5 with threshold 5 → ceil(0.1) = 1 anyway; with a tiny lag it stays 1.
  Decision d = r.Step(0, {Lag(0.5, 5, 0)});
  EXPECT_TRUE(d.active);
  EXPECT_EQ(d.desired, 1);
  EXPECT_THAT(d.limits, IsEmpty());
}

TEST(Evaluate, LagDividedByThresholdRoundsUp) {
  Runner r(Params(0, 100));
  EXPECT_EQ(r.Step(0, {Lag(11, 5)}).desired, 3);
  EXPECT_EQ(r.Step(1, {Lag(100, 5)}).desired, 20);
}

TEST(Evaluate, ClampsToMaxAndRecordsIt) {
  Runner r(Params(0, 4));
  Decision d = r.Step(0, {Lag(100, 5)});
  EXPECT_EQ(d.raw_desired, 20);
  EXPECT_EQ(d.desired, 4);
  EXPECT_THAT(d.limits, ElementsAre(Limit::kMaxReplicas));
}

TEST(Evaluate, ClampsToMinAndRecordsIt) {
  Runner r(Params(3, 10));
  Decision d = r.Step(0, {Lag(6, 5)});
  EXPECT_EQ(d.raw_desired, 2);
  EXPECT_EQ(d.desired, 3);
  EXPECT_THAT(d.limits, ElementsAre(Limit::kMinReplicas));
}

TEST(Evaluate, MaxOverSignalsNamesTheWinner) {
  Runner r(Params(0, 100));
  Decision d = r.Step(0, {Lag(10, 5, 0, "a/x"), Lag(30, 5, 0, "b/y"), Lag(12, 10, 0, "c/z")});
  EXPECT_EQ(d.raw_desired, 6);
  EXPECT_EQ(d.winning_signal, "b/y");
  EXPECT_EQ(d.winning_value, 30);
}

TEST(Evaluate, FirstSignalWinsTies) {
  Runner r(Params(0, 100));
  Decision d = r.Step(0, {Lag(10, 5, 0, "a/x"), Lag(10, 5, 0, "b/y")});
  EXPECT_EQ(d.winning_signal, "a/x");
}

TEST(Evaluate, AnySignalAboveItsActivationActivates) {
  Runner r(Params(0, 100));
  Decision d = r.Step(0, {Lag(1, 5, 10, "a/x"), Lag(2, 5, 1, "b/y")});
  EXPECT_TRUE(d.active);
}

TEST(Evaluate, NoSignalsIsInactive) {
  Runner r(Params(0, 100));
  Decision d = r.Step(0, {});
  EXPECT_FALSE(d.active);
  EXPECT_EQ(d.winning_signal, "");
  EXPECT_EQ(d.desired, 0);
}

TEST(Evaluate, CooldownHoldsActiveUntilItHasFullyElapsed) {
  Runner r(Params(0, 10, /*cooldown=*/60));
  EXPECT_TRUE(r.Step(0, {Lag(10)}).active);
  Decision held = r.Step(1, {Lag(0)});
  EXPECT_TRUE(held.active);
  EXPECT_EQ(held.desired, 1);
  EXPECT_THAT(held.limits, ElementsAre(Limit::kActivationHold, Limit::kMinReplicas));
  EXPECT_TRUE(r.Step(59.9, {Lag(0)}).active);
  Decision off = r.Step(60, {Lag(0)});  // exactly cooldown after the last lag above activation
  EXPECT_FALSE(off.active);
  EXPECT_EQ(off.desired, 0);
}

TEST(Evaluate, LagReturningDuringCooldownRestartsIt) {
  Runner r(Params(0, 10, 60));
  r.Step(0, {Lag(10)});
  r.Step(50, {Lag(0)});
  r.Step(55, {Lag(3)});  // above activation 0 again: restarts the cooldown at 55
  EXPECT_TRUE(r.Step(110, {Lag(0)}).active);
  EXPECT_FALSE(r.Step(115, {Lag(0)}).active);
}

TEST(Evaluate, ZeroCooldownDeactivatesAtOnce) {
  Runner r(Params(0, 10, 0));
  r.Step(0, {Lag(10)});
  EXPECT_FALSE(r.Step(0.1, {Lag(0)}).active);
}

TEST(Evaluate, NoFlappingAroundZeroWithCooldown) {
  // Lag alternating 1,0,1,0 every 5 s with a 30 s cooldown: one activation, no deactivation.
  Runner r(Params(0, 10, 30));
  int transitions = 0;
  bool last = false;
  for (int i = 0; i < 40; ++i) {
    bool active = r.Step(i * 5.0, {Lag(i % 2 == 0 ? 1 : 0)}).active;
    if (active != last) ++transitions;
    last = active;
  }
  EXPECT_EQ(transitions, 1);
}

TEST(Evaluate, ScaleDownWindowHoldsTheHighestRecentRecommendation) {
  Runner r(Params(0, 100, 0, /*window=*/300));
  EXPECT_EQ(r.Step(0, {Lag(50)}).desired, 10);
  Decision held = r.Step(10, {Lag(10)});
  EXPECT_EQ(held.desired, 10);
  EXPECT_EQ(held.raw_desired, 2);
  EXPECT_THAT(held.limits, ElementsAre(Limit::kStabilization));
  EXPECT_EQ(r.Step(299, {Lag(10)}).desired, 10);
  EXPECT_EQ(r.Step(299.5, {Lag(10)}).desired, 10);
  // As in the HPA, only entries strictly newer than now - window count: at 300 s the peak of
  // t=0 is out.
  Decision released = r.Step(300, {Lag(10)});
  EXPECT_EQ(released.desired, 2);
  EXPECT_THAT(released.limits, IsEmpty());
}

TEST(Evaluate, ScaleUpIsNeverHeldBack) {
  Runner r(Params(0, 100, 0, 300));
  r.Step(0, {Lag(10)});
  EXPECT_EQ(r.Step(1, {Lag(100)}).desired, 20);
}

TEST(Evaluate, WindowStepsDownThroughIntermediatePeaks) {
  Runner r(Params(0, 100, 0, 60));
  r.Step(0, {Lag(50)});    // 10
  r.Step(30, {Lag(30)});   // 6
  r.Step(40, {Lag(5)});    // 1
  EXPECT_EQ(r.Step(61, {Lag(5)}).desired, 6);  // 10 left the window, 6 is still in it
  EXPECT_EQ(r.Step(91, {Lag(5)}).desired, 1);
  EXPECT_LE(r.history().behavior.down_max.size(), 3u);
}

TEST(Evaluate, WindowHistoryStaysSmallUnderSteadyLoad) {
  Runner r(Params(0, 100, 0, 300));
  for (int i = 0; i < 10000; ++i) r.Step(i * 0.1, {Lag(25)});
  EXPECT_EQ(r.history().behavior.down_max.size(), 1u);
}

TEST(Evaluate, GoingInactiveClearsTheWindow) {
  Runner r(Params(0, 100, 0, 300));
  r.Step(0, {Lag(50)});
  EXPECT_FALSE(r.Step(1, {Lag(0)}).active);
  Decision back = r.Step(2, {Lag(5)});
  EXPECT_EQ(back.desired, 1);  // the old peak of 10 is not resurrected
}

TEST(Evaluate, LoweredMaxCapsTheWindowHold) {
  PoolHistory h;
  Evaluation first = Evaluate(Params(0, 100, 0, 300), {Lag(100)}, h, At(0));
  EXPECT_EQ(first.decision.desired, 20);
  Evaluation after_reload = Evaluate(Params(0, 8, 0, 300), {Lag(10)}, first.history, At(1));
  EXPECT_EQ(after_reload.decision.desired, 8);
}

TEST(Evaluate, InputsAreNotModified) {
  PoolHistory h;
  h.active = true;
  h.last_above_activation = At(0);
  Evaluation e = Evaluate(Params(0, 10, 0), {Lag(0)}, h, At(5));
  EXPECT_TRUE(h.active);
  EXPECT_FALSE(e.history.active);
}

TEST(LimitName, NamesEveryLimit) {
  EXPECT_STREQ(LimitName(Limit::kActivationHold), "activation-hold");
  EXPECT_STREQ(LimitName(Limit::kInactive), "inactive");
  EXPECT_STREQ(LimitName(Limit::kMinReplicas), "min");
  EXPECT_STREQ(LimitName(Limit::kMaxReplicas), "max");
}

}  // namespace
}  // namespace poolscaler::policy
