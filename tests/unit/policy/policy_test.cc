// Policy v1 rules and their edges: lag → replicas, activation hysteresis, scale-down window,
// min/max clamps, winning signal. Time is simulated: `At(s)` is s seconds after an origin.
#include "poolscaler/policy/policy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>
#include <set>

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
  Decision Step(double t, std::vector<SignalInput> signals, size_t missing = 0) {
    Evaluation e = Evaluate(params_, signals, history_, At(t), missing);
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
  r.Step(0, {Lag(50)});                        // 10
  r.Step(30, {Lag(30)});                       // 6
  r.Step(40, {Lag(5)});                        // 1
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

// Every limit, in kAllLimits order, has its documented name (these are metric label values
// and /pools strings: a rename is a breaking change), and no two share one.
TEST(LimitName, NamesEveryLimit) {
  const std::vector<std::string> expected = {"activation-hold", "inactive",      "tolerance",
                                             "signal-missing",  "stabilization", "scale-up-rate",
                                             "scale-down-rate", "min",           "max",
                                             "budget:cpu",      "budget:memory", "budget:gpu"};
  std::vector<std::string> names;
  for (Limit l : kAllLimits) names.emplace_back(LimitName(l));
  EXPECT_EQ(names, expected);
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), names.size());
  EXPECT_STREQ(LimitName(static_cast<Limit>(200)), "unknown");
}

// A signal without a fresh value, as the HPA treats an invalid metric
// (pkg/controller/podautoscaler/horizontal.go, computeReplicasForMetrics: "If all metrics are
// invalid or some are invalid and we would scale down, return an error"): valid signals may
// raise the target, nothing may lower it, and the refused evaluation records nothing.
TEST(MissingSignal, ValidSignalsMayScaleUp) {
  Runner r(Params(0, 20));
  EXPECT_EQ(r.Step(0, {Lag(20), Lag(5, 5, 0, "b")}).desired, 4);
  Decision d = r.Step(5, {Lag(40)}, 1);  // "b" missing; the other one asks for more
  EXPECT_EQ(d.desired, 8);
  EXPECT_TRUE(d.active);
  EXPECT_FALSE(d.Limited(Limit::kSignalMissing));
}

TEST(MissingSignal, BlocksScaleDownAndKeepsHistory) {
  PoolParams p = Params(0, 20, 0, 60);  // 60 s scale-down window
  Runner r(p);
  EXPECT_EQ(r.Step(0, {Lag(40), Lag(5, 5, 0, "b")}).desired, 8);
  PoolHistory before = r.history();
  Decision d = r.Step(5, {Lag(10)}, 1);  // would be 2: held at 8
  EXPECT_EQ(d.desired, 8);
  EXPECT_EQ(d.raw_desired, 2);
  EXPECT_THAT(d.limits, ElementsAre(Limit::kSignalMissing));
  ASSERT_EQ(d.steps.size(), 1u);
  EXPECT_EQ(d.steps[0].before, 2);
  EXPECT_EQ(d.steps[0].after, 8);
  // Nothing recorded: the stabilization window never saw the refused recommendation.
  EXPECT_EQ(r.history().behavior.down_max, before.behavior.down_max);
  EXPECT_EQ(r.history().behavior.up_min, before.behavior.up_min);
  EXPECT_EQ(r.history().behavior.current, before.behavior.current);
  // Same target with a signal missing is not a scale-down: evaluated as usual.
  d = r.Step(10, {Lag(40)}, 1);
  EXPECT_EQ(d.desired, 8);
  EXPECT_FALSE(d.Limited(Limit::kSignalMissing));
  // Back: the window (from t=0 and t=10) decides as if the outage had not happened.
  d = r.Step(15, {Lag(10), Lag(5, 5, 0, "b")});
  EXPECT_EQ(d.desired, 8);
  EXPECT_TRUE(d.Limited(Limit::kStabilization));
  EXPECT_EQ(r.Step(71, {Lag(10), Lag(5, 5, 0, "b")}).desired, 2);
}

TEST(MissingSignal, PoolDoesNotGoInactiveOnTheValidSignalsAlone) {
  Runner r(Params(0, 20, /*cooldown_s=*/10));
  EXPECT_TRUE(r.Step(0, {Lag(20), Lag(0, 5, 0, "b")}).active);
  Decision d = r.Step(30, {Lag(0)}, 1);  // cooldown over, but "b" is unknown
  EXPECT_TRUE(d.active);
  EXPECT_EQ(d.desired, 4);
  EXPECT_THAT(d.limits, ElementsAre(Limit::kSignalMissing));
  d = r.Step(35, {Lag(0), Lag(0, 5, 0, "b")});  // both known and idle: cooldown has run out
  EXPECT_FALSE(d.active);
  EXPECT_EQ(d.desired, 0);
}

TEST(MissingSignal, InactivePoolStaysInactiveUnlessAValidSignalWakesIt) {
  Runner r(Params(0, 20));
  EXPECT_FALSE(r.Step(0, {Lag(0), Lag(0, 5, 0, "b")}).active);
  Decision d = r.Step(5, {Lag(0)}, 1);
  EXPECT_FALSE(d.active);
  EXPECT_EQ(d.desired, 0);
  EXPECT_FALSE(d.Limited(Limit::kSignalMissing));
  d = r.Step(10, {Lag(12)}, 1);
  EXPECT_TRUE(d.active);
  EXPECT_EQ(d.desired, 3);
}

TEST(MissingSignal, HeldTargetStillClampedToANewMaximum) {
  PoolParams p = Params(0, 20);
  Runner r(p);
  EXPECT_EQ(r.Step(0, {Lag(100), Lag(5, 5, 0, "b")}).desired, 20);
  p.max_replicas = 10;  // a reload
  Evaluation e = Evaluate(p, {Lag(5)}, r.history(), At(5), 1);
  EXPECT_EQ(e.decision.desired, 10);
  EXPECT_EQ(e.history.behavior.current, 10);
}

// /pools' inactiveAfterSeconds: the rest of the cooldown, counted from the last reading above
// the activation threshold (KEDA's cooldownPeriod starts only when IsActive turns false).
TEST(TimeToInactive, RestOfTheCooldown) {
  PoolParams p = Params(0, 20, /*cooldown_s=*/60);
  Runner r(p);
  EXPECT_EQ(TimeToInactive(p, r.history(), At(0)), Duration::zero());  // never active
  r.Step(0, {Lag(10)});
  EXPECT_EQ(TimeToInactive(p, r.history(), At(0)), FromSeconds(60));
  r.Step(20, {Lag(0)});
  EXPECT_EQ(TimeToInactive(p, r.history(), At(20)), FromSeconds(40));
  EXPECT_FALSE(r.Step(60, {Lag(0)}).active);
  EXPECT_EQ(TimeToInactive(p, r.history(), At(60)), Duration::zero());
}

}  // namespace
}  // namespace poolscaler::policy
