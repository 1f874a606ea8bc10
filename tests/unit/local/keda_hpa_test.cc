// KEDA's scale loop and the HPA's AverageValue step as `poolscaler local` plays them.
#include "poolscaler/local/keda_hpa.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace poolscaler::local {
namespace {

using std::chrono::seconds;
using ::testing::Contains;
using ::testing::IsEmpty;

// A ScaledObject like the demo's: 0..10, cooldownPeriod 10 s, the HPA's behavior passing
// decisions through (no windows, wide rate limits).
config::LocalScaledObject PassThrough() {
  config::LocalScaledObject so;
  so.name = "parse-small";
  so.min_replicas = 0;
  so.max_replicas = 10;
  so.cooldown_period = seconds(10);
  so.hpa_behavior.emplace();
  so.hpa_behavior->scale_up = {Duration::zero(),
                               policy::SelectPolicy::kMax,
                               {{policy::ScalingPolicyType::kPercent, 1000, seconds(15)}}};
  so.hpa_behavior->scale_down = {Duration::zero(),
                                 policy::SelectPolicy::kMax,
                                 {{policy::ScalingPolicyType::kPercent, 100, seconds(15)}}};
  return so;
}

PollResult Poll(double value, bool active, double target = 1) {
  PollResult p;
  p.metric_name = "pool-parse-small";
  p.value = value;
  p.target = target;
  p.active = active;
  return p;
}

class KedaHpaTest : public ::testing::Test {
 protected:
  TimePoint At(int s) const { return t0_ + seconds(s); }
  const TimePoint t0_ = TimePoint{} + std::chrono::hours(1);
  ScaleState state_;
};

TEST_F(KedaHpaTest, AFailedPollKeepsTheReplicas) {
  PollResult failed = Poll(0, false);
  failed.status = absl::UnavailableError("source failing");
  failed.failed_rpc = "GetMetrics";
  ScaleDecision d = KedaStep(PassThrough(), failed, 4, At(0), state_);
  EXPECT_EQ(d.replicas, 4);
  EXPECT_EQ(d.reason, ScaleReason::kHold);
  // Same with a target KEDA cannot divide by.
  EXPECT_EQ(KedaStep(PassThrough(), Poll(5, true, 0), 4, At(0), state_).reason, ScaleReason::kHold);
}

TEST_F(KedaHpaTest, ActivationTakesZeroToOneAndTheHpaTakesOverNextPoll) {
  config::LocalScaledObject so = PassThrough();
  EXPECT_EQ(KedaStep(so, Poll(0, false), 0, At(0), state_).reason, ScaleReason::kIdle);
  ScaleDecision up = KedaStep(so, Poll(7, true), 0, At(2), state_);
  EXPECT_EQ(up.replicas, 1);  // not 7: KEDA only activates
  EXPECT_EQ(up.reason, ScaleReason::kActivate);
  ScaleDecision hpa = KedaStep(so, Poll(7, true), 1, At(4), state_);
  EXPECT_EQ(hpa.replicas, 7);
  EXPECT_EQ(hpa.reason, ScaleReason::kHpa);
  EXPECT_EQ(hpa.hpa_raw, 7);
}

TEST_F(KedaHpaTest, ActivationGoesToMinReplicasWhenAboveOne) {
  config::LocalScaledObject so = PassThrough();
  so.min_replicas = 2;
  ScaleDecision d = KedaStep(so, Poll(0, false), 0, At(0), state_);
  EXPECT_EQ(d.replicas, 2);  // KEDA keeps a ScaledObject at its minimum
  EXPECT_EQ(KedaStep(so, Poll(9, true), 0, At(0), state_).replicas, 2);
}

TEST_F(KedaHpaTest, TheHpaRuleIsCeilOfMetricOverTarget) {
  config::LocalScaledObject so = PassThrough();
  state_.last_active = At(0);
  EXPECT_EQ(KedaStep(so, Poll(41, true, 10), 2, At(1), state_).replicas, 5);  // ceil(4.1)
  EXPECT_EQ(KedaStep(so, Poll(50, true, 10), 5, At(2), state_).replicas, 5);
}

TEST_F(KedaHpaTest, WithinTheHpaToleranceTheCountStays) {
  config::LocalScaledObject so = PassThrough();
  so.max_replicas = 20;
  ScaleDecision d = KedaStep(so, Poll(10.9, true), 10, At(0), state_);  // ratio 1.09
  EXPECT_EQ(d.replicas, 10);
  EXPECT_THAT(d.hpa_limits, Contains(policy::Limit::kTolerance));
  EXPECT_EQ(KedaStep(so, Poll(11.5, true), 10, At(2), state_).replicas, 12);
}

TEST_F(KedaHpaTest, MaxReplicaCountCaps) {
  ScaleDecision d = KedaStep(PassThrough(), Poll(40, true), 3, At(0), state_);
  EXPECT_EQ(d.replicas, 10);
  EXPECT_THAT(d.hpa_limits, Contains(policy::Limit::kMaxReplicas));
}

TEST_F(KedaHpaTest, InactiveWithinCooldownTheHpaHoldsAtLeastOne) {
  config::LocalScaledObject so = PassThrough();
  ASSERT_EQ(KedaStep(so, Poll(4, true), 4, At(0), state_).replicas, 4);
  ScaleDecision d = KedaStep(so, Poll(0, false), 4, At(5), state_);
  EXPECT_EQ(d.replicas, 1);  // the metric says 0; the HPA's floor is 1
  EXPECT_EQ(d.reason, ScaleReason::kCooldown);
  EXPECT_THAT(d.hpa_limits, Contains(policy::Limit::kMinReplicas));
  EXPECT_EQ(KedaStep(so, Poll(0, false), 1, At(9), state_).replicas, 1);
  // KEDA scales to 0 only when lastActiveTime + cooldownPeriod is strictly before now
  // (scale_scaledobjects.go, scaleToZeroOrIdle): exactly cooldownPeriod later it still waits.
  EXPECT_EQ(KedaStep(so, Poll(0, false), 1, At(10), state_).replicas, 1);
  ScaleDecision zero = KedaStep(so, Poll(0, false), 1, At(11), state_);
  EXPECT_EQ(zero.replicas, 0);
  EXPECT_EQ(zero.reason, ScaleReason::kDeactivate);
  EXPECT_THAT(zero.hpa_limits, IsEmpty());
}

TEST_F(KedaHpaTest, NeverActiveSinceStartScalesToZeroAtOnce) {
  EXPECT_EQ(KedaStep(PassThrough(), Poll(0, false), 3, At(0), state_).replicas, 0);
}

TEST_F(KedaHpaTest, MinReplicasAboveZeroNeverGoesToZero) {
  config::LocalScaledObject so = PassThrough();
  so.min_replicas = 2;
  state_.last_active = At(0);
  ScaleDecision d = KedaStep(so, Poll(0, false), 3, At(100), state_);
  EXPECT_EQ(d.replicas, 2);
  EXPECT_EQ(d.reason, ScaleReason::kHpa);
}

// No `behavior` on the ScaledObject: KEDA gives the HPA none, and the HPA runs its legacy path
// (horizontal.go normalizeDesiredReplicas): at most max(2 × current, 4) per sync, and the
// highest recommendation of the last 300 s, which outlives KEDA's 1 → 0 → 1.
TEST_F(KedaHpaTest, WithoutBehaviorTheHpaRunsItsLegacyPath) {
  config::LocalScaledObject so = PassThrough();
  so.hpa_behavior.reset();
  so.max_replicas = 100;
  so.cooldown_period = seconds(30);
  ASSERT_EQ(KedaStep(so, Poll(40, true), 0, At(0), state_).reason, ScaleReason::kActivate);
  std::vector<int64_t> seen;
  int64_t current = 1;
  for (int t = 15; t <= 75; t += 15) {
    ScaleDecision d = KedaStep(so, Poll(40, true), current, At(t), state_);
    EXPECT_EQ(d.reason, ScaleReason::kHpa);
    seen.push_back(current = d.replicas);
  }
  EXPECT_THAT(seen, ::testing::ElementsAre(4, 8, 16, 32, 40));
  // Demand 10: 40 is held (stabilization), also while KEDA cools down after the queue empties.
  ScaleDecision held = KedaStep(so, Poll(10, true), 40, At(90), state_);
  EXPECT_EQ(held.replicas, 40);
  EXPECT_THAT(held.hpa_limits, Contains(policy::Limit::kStabilization));
  EXPECT_EQ(KedaStep(so, Poll(0, false), 40, At(105), state_).replicas, 40);
  // More than cooldownPeriod after the last active poll KEDA takes it to 0; when it comes back,
  // the HPA still remembers 40 from less than 300 s ago.
  EXPECT_EQ(KedaStep(so, Poll(0, false), 40, At(121), state_).replicas, 0);
  ASSERT_EQ(KedaStep(so, Poll(2, true), 0, At(150), state_).replicas, 1);
  EXPECT_EQ(KedaStep(so, Poll(2, true), 1, At(165), state_).replicas, 4);  // 2, held up, capped
}

TEST_F(KedaHpaTest, TheScaledObjectsBehaviorApplies) {
  // `behavior: {}` gets the API's defaults: a scale-down waits out the 300 s window.
  config::LocalScaledObject so = PassThrough();
  so.hpa_behavior = policy::Behavior{};
  ASSERT_EQ(KedaStep(so, Poll(8, true), 8, At(0), state_).replicas, 8);
  ScaleDecision d = KedaStep(so, Poll(2, true), 8, At(30), state_);
  EXPECT_EQ(d.replicas, 8);
  EXPECT_THAT(d.hpa_limits, Contains(policy::Limit::kStabilization));
  EXPECT_EQ(KedaStep(so, Poll(2, true), 8, At(301), state_).replicas, 2);
  // ...and scale-up is rate-limited: max(+100 %, +4 pods) per 15 s, from the count at the start
  // of the period (8 right after the scale-down, as the HPA counts it; 2 once it is 15 s old).
  EXPECT_EQ(KedaStep(so, Poll(30, true), 2, At(302), state_).replicas, 10);
  EXPECT_EQ(KedaStep(so, Poll(30, true), 2, At(330), state_).replicas, 6);
}

// KEDA's operator and the HPA on their own clocks: the poll does 0 ↔ 1 and leaves the rest to
// the HPA, which does nothing at 0 replicas and acts only at its syncs.
TEST_F(KedaHpaTest, ThePollLeavesScalingAboveZeroToTheHpaSync) {
  config::LocalScaledObject so = PassThrough();
  ScaleDecision up = KedaPoll(so, Poll(7, true), 0, At(0), state_);
  EXPECT_EQ(up.reason, ScaleReason::kActivate);
  EXPECT_EQ(up.replicas, 1);
  // The HPA at 0 replicas: "scaling is disabled".
  EXPECT_EQ(HpaSync(so, Poll(7, true), 0, At(0), state_).reason, ScaleReason::kIdle);
  // Next poll at 1 with demand 7: KEDA leaves it where it is, the next sync takes it to 7.
  ScaleDecision poll = KedaPoll(so, Poll(7, true), 1, At(2), state_);
  EXPECT_EQ(poll.reason, ScaleReason::kHpa);
  EXPECT_EQ(poll.replicas, 1);
  ScaleDecision sync = HpaSync(so, Poll(7, true), 1, At(5), state_);
  EXPECT_EQ(sync.reason, ScaleReason::kHpa);
  EXPECT_EQ(sync.replicas, 7);
  // A failed metric read at a sync holds, as the HPA's ScalingActive=False does.
  PollResult failed = Poll(0, false);
  failed.status = absl::UnavailableError("source failing");
  EXPECT_EQ(HpaSync(so, failed, 7, At(20), state_).reason, ScaleReason::kHold);
  EXPECT_EQ(HpaSync(so, failed, 7, At(20), state_).replicas, 7);
  // Inactive within cooldownPeriod: KEDA waits, the HPA still decides.
  // (last active poll at t=2, cooldownPeriod 10 s)
  EXPECT_EQ(KedaPoll(so, Poll(0, false), 7, At(8), state_).reason, ScaleReason::kCooldown);
  EXPECT_EQ(KedaPoll(so, Poll(0, false), 7, At(8), state_).replicas, 7);
  EXPECT_EQ(KedaPoll(so, Poll(0, false), 7, At(13), state_).reason, ScaleReason::kDeactivate);
}

// With `behavior` too, the HPA object (and its stabilization history) outlives KEDA's 1 → 0 → 1:
// recommendations from before the workload went to 0 still count in their window.
TEST_F(KedaHpaTest, BehaviorHistoryOutlivesZero) {
  config::LocalScaledObject so = PassThrough();
  so.hpa_behavior->scale_up.policies = {{policy::ScalingPolicyType::kPods, 2, seconds(60)}};
  so.cooldown_period = seconds(5);
  ASSERT_EQ(HpaSync(so, Poll(3, true), 1, At(0), state_).replicas, 3);  // +2 in 60 s
  ASSERT_EQ(KedaPoll(so, Poll(0, false), 3, At(10), state_).replicas, 0);
  ASSERT_EQ(KedaPoll(so, Poll(9, true), 0, At(20), state_).replicas, 1);
  // The HPA's own +2 of t=0 is still inside its 60 s period (KEDA's 3 → 0 is not an HPA scale
  // event): period start = 1 − 2 = −1, limit −1 + 2 = 1, and a limit below the current count
  // holds it (horizontal.go: "We shouldn't scale up further until the scaleUpEvents will be
  // cleaned up"). A fresh HPA would have gone to 3.
  ScaleDecision d = HpaSync(so, Poll(9, true), 1, At(30), state_);
  EXPECT_EQ(d.replicas, 1);
  EXPECT_THAT(d.hpa_limits, Contains(policy::Limit::kScaleUpRate));
}

// --- Errors and `fallback` (KEDA pkg/fallback/fallback.go, pkg/scaling/executor) ---

PollResult Failed(const char* rpc = "GetMetrics") {
  PollResult p = Poll(0, false);
  p.status = absl::UnavailableError("source failing");
  p.failed_rpc = rpc;
  if (std::string(rpc) == "GetMetricSpec") p.target = 0;
  return p;
}

config::LocalScaledObject WithFallback(
    int64_t threshold, int64_t replicas,
    config::FallbackBehavior behavior = config::FallbackBehavior::kStatic) {
  config::LocalScaledObject so = PassThrough();
  so.fallback = config::LocalFallback{threshold, replicas, behavior};
  return so;
}

// GetMetricsWithFallback: IncrementFailure on every failed observation; the fallback applies
// once numberOfFailures > failureThreshold (strictly), and the HPA is given replicas × target.
TEST_F(KedaHpaTest, FallbackAppliesOnceFailuresPassTheThreshold) {
  config::LocalScaledObject so = WithFallback(3, 6);
  for (int i = 1; i <= 3; ++i) {
    ScaleDecision d = HpaSync(so, Failed(), 2, At(i), state_);
    EXPECT_EQ(d.reason, ScaleReason::kHold) << "failure " << i;
    EXPECT_EQ(d.replicas, 2);
  }
  EXPECT_EQ(state_.failures, 3);
  ScaleDecision d = HpaSync(so, Failed(), 2, At(4), state_);
  EXPECT_EQ(d.reason, ScaleReason::kFallback);
  EXPECT_EQ(d.replicas, 6);
  EXPECT_EQ(d.hpa_raw, 6);
  // A good answer resets the count (UpdateHealthStatus: Happy, 0) and the metric decides again.
  d = HpaSync(so, Poll(2, true), 6, At(5), state_);
  EXPECT_EQ(state_.failures, 0);
  EXPECT_EQ(d.reason, ScaleReason::kHpa);
  EXPECT_EQ(d.replicas, 2);
  EXPECT_EQ(HpaSync(so, Failed(), 2, At(6), state_).reason, ScaleReason::kHold);
}

// failureThreshold 0: the first failure is already past it.
TEST_F(KedaHpaTest, FailureThresholdZeroFallsBackOnTheFirstFailure) {
  EXPECT_EQ(HpaSync(WithFallback(0, 3), Failed(), 1, At(0), state_).replicas, 3);
}

// The operator's poll and the HPA's metrics queries are separate observations, and both count.
TEST_F(KedaHpaTest, OperatorPollsAndHpaQueriesBothCountFailures) {
  config::LocalScaledObject so = WithFallback(2, 5);
  EXPECT_EQ(KedaPoll(so, Failed(), 2, At(0), state_).reason, ScaleReason::kHold);
  EXPECT_EQ(HpaSync(so, Failed(), 2, At(1), state_).reason, ScaleReason::kHold);
  EXPECT_EQ(state_.failures, 2);
  // The third failure is the operator's: it counts the trigger as active and leaves the count to
  // the HPA, whose next query (the fourth failure) applies the fallback.
  EXPECT_EQ(KedaPoll(so, Failed(), 2, At(2), state_).reason, ScaleReason::kFallback);
  EXPECT_EQ(state_.last_active, At(2));
  EXPECT_EQ(HpaSync(so, Failed(), 2, At(3), state_).replicas, 5);
  EXPECT_EQ(state_.failures, 4);
}

// getScalerState: "when fallback is active, the scaler should be considered active": a
// workload at 0 is woken, and the HPA then scales it to the fallback count.
TEST_F(KedaHpaTest, AnActiveFallbackWakesAWorkloadAtZero) {
  config::LocalScaledObject so = WithFallback(1, 4);
  EXPECT_EQ(KedaPoll(so, Failed(), 0, At(0), state_).reason, ScaleReason::kHold);
  ScaleDecision d = KedaPoll(so, Failed(), 0, At(2), state_);
  EXPECT_EQ(d.reason, ScaleReason::kActivate);
  EXPECT_EQ(d.replicas, 1);
  EXPECT_EQ(HpaSync(so, Failed(), 1, At(5), state_).replicas, 4);
  // The HPA reads nothing at 0 replicas, so it counts nothing there either.
  ScaleState fresh;
  EXPECT_EQ(HpaSync(so, Failed(), 0, At(0), fresh).reason, ScaleReason::kIdle);
  EXPECT_EQ(fresh.failures, 0);
}

// Without `fallback` an error keeps the replicas however long it lasts, even past cooldown.
TEST_F(KedaHpaTest, WithoutFallbackErrorsHoldForever) {
  config::LocalScaledObject so = PassThrough();
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(KedaStep(so, Failed(), 2, At(i * 30), state_).replicas, 2);
  }
  EXPECT_EQ(state_.failures, 0);  // KEDA only keeps health with a fallback configured
}

// A failed GetMetricSpec (poolscaler unreachable) leaves KEDA without a metric: nothing to fall
// back for, nothing counted (README "not when poolscaler itself is unreachable").
TEST_F(KedaHpaTest, AnUnreachableScalerGetsNoFallback) {
  config::LocalScaledObject so = WithFallback(0, 6);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(KedaStep(so, Failed("GetMetricSpec"), 2, At(i), state_).replicas, 2);
  }
  EXPECT_EQ(state_.failures, 0);
}

// The executor: isError with fallback.replicas 0 is not held but falls through to the inactive
// cases, so a ScaledObject with minReplicaCount 0 goes to 0 after cooldownPeriod.
TEST_F(KedaHpaTest, FallbackReplicasZeroLetsAnErrorScaleToZero) {
  config::LocalScaledObject so = WithFallback(5, 0);
  state_.last_active = At(0);
  EXPECT_EQ(KedaPoll(so, Failed(), 3, At(5), state_).reason, ScaleReason::kCooldown);
  ScaleDecision d = KedaPoll(so, Failed(), 3, At(11), state_);
  EXPECT_EQ(d.reason, ScaleReason::kDeactivate);
  EXPECT_EQ(d.replicas, 0);
}

// doFallback's behaviors, against a current count of 5 and fallback.replicas 3.
TEST_F(KedaHpaTest, FallbackBehaviorsPickTheReplicas) {
  using B = config::FallbackBehavior;
  for (auto [behavior, want] :
       std::vector<std::pair<B, int64_t>>{{B::kStatic, 3},
                                          {B::kCurrentReplicas, 5},
                                          {B::kCurrentReplicasIfHigher, 5},
                                          {B::kCurrentReplicasIfLower, 3}}) {
    ScaleState state;
    EXPECT_EQ(HpaSync(WithFallback(0, 3, behavior), Failed(), 5, At(0), state).hpa_raw, want)
        << static_cast<int>(behavior);
  }
  ScaleState state;
  EXPECT_EQ(
      HpaSync(WithFallback(0, 8, B::kCurrentReplicasIfLower), Failed(), 5, At(0), state).hpa_raw,
      5);
}

// The fallback count goes through the HPA's rules: here the legacy path (no behavior) caps the
// step at max(2 × current, 4), and maxReplicaCount caps the count.
TEST_F(KedaHpaTest, TheFallbackCountGoesThroughTheHpasRules) {
  config::LocalScaledObject so = WithFallback(0, 50);
  so.hpa_behavior.reset();
  ScaleDecision d = HpaSync(so, Failed(), 1, At(0), state_);
  EXPECT_EQ(d.reason, ScaleReason::kFallback);
  EXPECT_EQ(d.replicas, 4);
  EXPECT_EQ(HpaSync(so, Failed(), 4, At(15), state_).replicas, 8);
  EXPECT_EQ(HpaSync(so, Failed(), 8, At(30), state_).replicas, 10);  // maxReplicaCount
}

// KEDA v2.21 scale_handler.go startPushScalers: "inactivation events are ignored and
// inactivation happens through the standard metric scaling logic"; an active push is
// RequestScale(isActive=true, isError=false) without a poll.
TEST_F(KedaHpaTest, AnInactivePushIsIgnoredAndOnlyAPollScalesToZero) {
  config::LocalScaledObject so = PassThrough();
  ASSERT_EQ(KedaPoll(so, Poll(5, true), 2, At(0), state_).reason, ScaleReason::kHpa);
  ScaleDecision pushed = KedaPush(so, false, 2, At(30), state_);
  EXPECT_EQ(pushed.reason, ScaleReason::kHold);
  EXPECT_EQ(pushed.replicas, 2);  // cooldownPeriod (10 s) is long over, still no scale-down
  EXPECT_EQ(KedaPoll(so, Poll(0, false), 2, At(31), state_).replicas, 0);
}

TEST_F(KedaHpaTest, AnActivePushWakesZeroAndRefreshesLastActiveTime) {
  config::LocalScaledObject so = PassThrough();
  so.min_replicas = 0;
  ScaleDecision woken = KedaPush(so, true, 0, At(0), state_);
  EXPECT_EQ(woken.reason, ScaleReason::kActivate);
  EXPECT_EQ(woken.replicas, 1);
  // Running: the count is the HPA's, but lastActiveTime moves to the push (t = 20), so an
  // inactive poll at 25 is inside cooldownPeriod and one at 31 is past it.
  EXPECT_EQ(KedaPush(so, true, 3, At(20), state_).replicas, 3);
  EXPECT_EQ(KedaPoll(so, Poll(0, false), 3, At(25), state_).reason, ScaleReason::kCooldown);
  EXPECT_EQ(KedaPoll(so, Poll(0, false), 3, At(31), state_).replicas, 0);
  // minReplicaCount applies to the wake-up.
  so.min_replicas = 2;
  EXPECT_EQ(KedaPush(so, true, 0, At(40), state_).replicas, 2);
}

TEST(ScaleReasonTest, Names) {
  EXPECT_STREQ(ScaleReasonName(ScaleReason::kDeactivate), "deactivate");
  EXPECT_STREQ(ScaleReasonName(ScaleReason::kHpa), "hpa");
  EXPECT_STREQ(ScaleReasonName(ScaleReason::kFallback), "fallback");
}

}  // namespace
}  // namespace poolscaler::local
