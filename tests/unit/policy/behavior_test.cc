// HPA `behavior` semantics: golden tests from the Kubernetes documentation's worked examples
// ("Horizontal Pod Autoscaling" → "Configurable scaling behavior") and the defaults, plus the
// edges of the algorithm in kubernetes pkg/controller/podautoscaler/horizontal.go.
// Time is simulated; evaluations run every 15 s like the HPA's sync period unless said otherwise.
#include "poolscaler/policy/behavior.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "poolscaler/policy/policy.h"

namespace poolscaler::policy {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using std::chrono::seconds;

TimePoint At(double s) { return TimePoint{} + FromSeconds(1000 + s); }

// A lag signal whose raw recommendation is exactly `replicas` (threshold 1).
SignalInput Want(int64_t replicas) {
  return {"q/lag", static_cast<double>(replicas), 1, 0};
}

PoolParams Hpa(int64_t min, int64_t max) {
  PoolParams p;
  p.min_replicas = min;
  p.max_replicas = max;
  return p;  // behavior: HPA defaults
}

class Runner {
 public:
  explicit Runner(PoolParams p) : params_(std::move(p)) {}
  Decision Step(double t, int64_t want) {
    Evaluation e = Evaluate(params_, {Want(want)}, history_, At(t));
    history_ = e.history;
    return e.decision;
  }
  // Starts from a known current target: the very first evaluation is not rate-limited, so the
  // pool is at `replicas` as if it had been running there (the recommendation is recorded).
  void Settle(double t, int64_t replicas) {
    Step(t, replicas);
    ASSERT_EQ(history_.behavior.current, replicas);
  }
  const PoolHistory& history() const { return history_; }

 private:
  PoolParams params_;
  PoolHistory history_;
};

TEST(Defaults, MatchTheHpa) {
  Behavior b;
  EXPECT_DOUBLE_EQ(b.scale_up.tolerance, 0.1);
  EXPECT_DOUBLE_EQ(b.scale_down.tolerance, 0.1);
  EXPECT_EQ(b.scale_up.stabilization_window, seconds(0));
  EXPECT_EQ(b.scale_up.select, SelectPolicy::kMax);
  ASSERT_EQ(b.scale_up.policies.size(), 2u);
  EXPECT_EQ(b.scale_up.policies[0].type, ScalingPolicyType::kPercent);
  EXPECT_EQ(b.scale_up.policies[0].value, 100);
  EXPECT_EQ(b.scale_up.policies[0].period, seconds(15));
  EXPECT_EQ(b.scale_up.policies[1].type, ScalingPolicyType::kPods);
  EXPECT_EQ(b.scale_up.policies[1].value, 4);
  EXPECT_EQ(b.scale_up.policies[1].period, seconds(15));
  EXPECT_EQ(b.scale_down.stabilization_window, seconds(300));
  ASSERT_EQ(b.scale_down.policies.size(), 1u);
  EXPECT_EQ(b.scale_down.policies[0].type, ScalingPolicyType::kPercent);
  EXPECT_EQ(b.scale_down.policies[0].value, 100);
}

// Default scale-up: "double the pods or add 4, whichever is more, every 15 s".
TEST(Defaults, ScaleUpAddsFourPodsOrDoublesEvery15s) {
  Runner r(Hpa(1, 1000));
  r.Settle(0, 1);
  Decision d = r.Step(15, 100);
  EXPECT_EQ(d.desired, 5);  // max(1 × 2, 1 + 4)
  EXPECT_THAT(d.limits, ElementsAre(Limit::kScaleUpRate));
  ASSERT_EQ(d.steps.size(), 1u);
  EXPECT_EQ(d.steps[0].before, 100);
  EXPECT_EQ(d.steps[0].after, 5);
  EXPECT_EQ(r.Step(20, 100).desired, 5);   // still the same 15 s period: 1 + 4 already used
  EXPECT_EQ(r.Step(30, 100).desired, 10);  // max(5 × 2, 5 + 4)
  EXPECT_EQ(r.Step(45, 100).desired, 20);
  EXPECT_EQ(r.Step(60, 100).desired, 40);
  EXPECT_EQ(r.Step(75, 100).desired, 80);
  Decision last = r.Step(90, 100);
  EXPECT_EQ(last.desired, 100);
  EXPECT_THAT(last.limits, IsEmpty());
}

// Default scale-down: 300 s window, then everything may go at once (100 % per 15 s).
TEST(Defaults, ScaleDownWaitsForTheFiveMinuteWindowThenDropsAtOnce) {
  Runner r(Hpa(1, 100));
  r.Settle(0, 40);
  for (double t = 15; t < 300; t += 15) {
    Decision d = r.Step(t, 2);
    ASSERT_EQ(d.desired, 40) << t;
    ASSERT_THAT(d.limits, ElementsAre(Limit::kStabilization)) << t;
  }
  // The recommendation of 40 at t=0 is not strictly newer than 300 - 300: it left the window,
  // and 100 % per 15 s lets the whole drop happen in one step.
  Decision d = r.Step(300, 2);
  EXPECT_EQ(d.desired, 2);
  EXPECT_THAT(d.limits, IsEmpty());
}

// Docs: "the highest recommendation within the window is used" — a peak inside the window
// holds the target, and it steps down as older peaks leave it.
TEST(Stabilization, ScaleDownUsesTheHighestRecommendationInTheWindow) {
  PoolParams p = Hpa(1, 100);
  p.behavior.scale_down.stabilization_window = seconds(60);
  Runner r(p);
  r.Settle(0, 10);
  EXPECT_EQ(r.Step(15, 10).desired, 10);
  EXPECT_EQ(r.Step(30, 6).desired, 10);
  EXPECT_EQ(r.Step(45, 3).desired, 10);
  EXPECT_EQ(r.Step(75, 3).desired, 6);   // 10 (t=15) left the window, 6 (t=30) still in it
  EXPECT_EQ(r.Step(90, 3).desired, 3);   // t=30 is not strictly newer than 90 - 60
}

TEST(Stabilization, ScaleUpWindowUsesTheLowestRecommendation) {
  PoolParams p = Hpa(1, 100);
  p.behavior.scale_up.stabilization_window = seconds(60);
  p.behavior.scale_up.policies = {{ScalingPolicyType::kPods, 100, seconds(15)}};
  Runner r(p);
  r.Settle(0, 2);
  Decision held = r.Step(15, 10);
  EXPECT_EQ(held.desired, 2);  // 2 (t=0) is the lowest recommendation in the last 60 s
  EXPECT_THAT(held.limits, ElementsAre(Limit::kStabilization));
  EXPECT_EQ(r.Step(30, 10).desired, 2);
  EXPECT_EQ(r.Step(60, 10).desired, 10);  // t=0 is not strictly newer than 60 - 60
  EXPECT_EQ(r.Step(75, 4).desired, 10);   // and the 300 s scale-down window holds 10
}

// Docs example: scale down at most 4 pods or 10 % per minute, whichever removes more
// (selectPolicy Max): "if there are 80 replicas and the target has to be scaled down to 10
// replicas then during the first step 8 replicas will be reduced. In the next iteration when the
// number of replicas is 72, 10% of the pods is 7.2 but the number is rounded up to 8. … When the
// number of replicas falls below 40 the first policy (Pods) is applied and 4 replicas will be
// reduced at a time."
TEST(Golden, DocsScaleDownFourPodsOrTenPercentPerMinute) {
  PoolParams p = Hpa(1, 100);
  p.behavior.scale_down.stabilization_window = seconds(0);
  p.behavior.scale_down.policies = {{ScalingPolicyType::kPods, 4, seconds(60)},
                                    {ScalingPolicyType::kPercent, 10, seconds(60)}};
  Runner r(p);
  r.Settle(0, 80);
  std::vector<int64_t> per_minute;
  for (int minute = 1; minute <= 20; ++minute) {
    // Several evaluations per minute: only the first of each period may act.
    Decision d{};
    for (int k = 0; k < 4; ++k) d = r.Step(minute * 60.0 + k * 15, 10);
    per_minute.push_back(d.desired);
  }
  EXPECT_THAT(per_minute, ElementsAre(72, 64, 57, 51, 45, 40, 36, 32, 28, 24, 20, 16, 12, 10, 10,
                                      10, 10, 10, 10, 10));
}

// Docs: `selectPolicy: Disabled` on scaleDown — "the replicas will never be scaled down".
TEST(Golden, DocsDisabledScaleDownNeverScalesDown) {
  PoolParams p = Hpa(1, 100);
  p.behavior.scale_down.select = SelectPolicy::kDisabled;
  Runner r(p);
  r.Settle(0, 30);
  for (double t = 15; t <= 1200; t += 15) {
    ASSERT_EQ(r.Step(t, 1).desired, 30) << t;
  }
  EXPECT_EQ(r.Step(1215, 50).desired, 50);  // scale-up still works (+100 %)
}

// Docs example: scale up "allow 90 % more pods per minute"... selectPolicy Min picks the policy
// allowing the smallest change.
TEST(Golden, SelectMinPicksTheSmallestChange) {
  PoolParams p = Hpa(1, 1000);
  p.behavior.scale_up.select = SelectPolicy::kMin;
  Runner r(p);
  r.Settle(0, 10);
  EXPECT_EQ(r.Step(15, 100).desired, 14);  // min(10 × 2, 10 + 4)
  PoolParams q = Hpa(1, 1000);
  q.behavior.scale_down.stabilization_window = seconds(0);
  q.behavior.scale_down.select = SelectPolicy::kMin;
  q.behavior.scale_down.policies = {{ScalingPolicyType::kPods, 4, seconds(60)},
                                    {ScalingPolicyType::kPercent, 10, seconds(60)}};
  Runner down(q);
  down.Settle(0, 80);
  EXPECT_EQ(down.Step(60, 10).desired, 76);  // max(80 - 4, 72): the smaller change
}

// Docs: `selectPolicy: Disabled` on scaleUp.
TEST(Golden, DisabledScaleUpHoldsAndNamesTheRateLimit) {
  PoolParams p = Hpa(1, 100);
  p.behavior.scale_up.select = SelectPolicy::kDisabled;
  Runner r(p);
  r.Settle(0, 3);
  Decision d = r.Step(15, 50);
  EXPECT_EQ(d.desired, 3);
  EXPECT_THAT(d.limits, ElementsAre(Limit::kScaleUpRate));
}

// Percent policies round up when growing, so a pool of 1 can grow under a 10 % policy.
TEST(RateLimits, PercentScaleUpRoundsUp) {
  PoolParams p = Hpa(1, 100);
  p.behavior.scale_up.policies = {{ScalingPolicyType::kPercent, 10, seconds(60)}};
  Runner r(p);
  r.Settle(0, 1);
  EXPECT_EQ(r.Step(15, 50).desired, 2);  // ceil(1 × 1.1)
}

// Rate periods look back over changes made within the period (periodStartReplicas).
TEST(RateLimits, ChangesInsideThePeriodCountAgainstIt) {
  PoolParams p = Hpa(1, 100);
  p.behavior.scale_up.policies = {{ScalingPolicyType::kPods, 4, seconds(60)}};
  Runner r(p);
  r.Settle(0, 2);
  EXPECT_EQ(r.Step(10, 3).desired, 3);   // +1
  EXPECT_EQ(r.Step(20, 50).desired, 6);  // period start 2 → at most 6
  EXPECT_EQ(r.Step(69, 50).desired, 6);  // +1 at t=10 is still inside (69 - 60 < 10)
  EXPECT_EQ(r.Step(71, 50).desired, 7);  // only +3 at t=20 remains: start 3 → 7
  EXPECT_EQ(r.Step(81, 50).desired, 10);  // +3 at t=20 left: start 7 - 1 = 6 → 10
}

TEST(RateLimits, MaxBindsBeforeTheRateAndIsNamed) {
  Runner r(Hpa(1, 6));
  r.Settle(0, 4);
  Decision d = r.Step(15, 50);
  EXPECT_EQ(d.desired, 6);
  EXPECT_THAT(d.limits, ElementsAre(Limit::kMaxReplicas));
}

// Tolerance: within 10 % of the current target nothing changes (usage ratio 0.9 .. 1.1).
TEST(Tolerance, WithinTenPercentKeepsTheCurrentTarget) {
  PoolParams p = Hpa(1, 100);
  PoolHistory h;
  Evaluation e0 = Evaluate(p, {{"q/lag", 10, 1, 0}}, h, At(0));
  ASSERT_EQ(e0.decision.desired, 10);
  Evaluation e1 = Evaluate(p, {{"q/lag", 10.5, 1, 0}}, e0.history, At(15));  // ratio 1.05
  EXPECT_EQ(e1.decision.desired, 10);
  EXPECT_EQ(e1.decision.raw_desired, 10);
  EXPECT_THAT(e1.decision.limits, ElementsAre(Limit::kTolerance));
  ASSERT_EQ(e1.decision.steps.size(), 1u);
  EXPECT_EQ(e1.decision.steps[0].before, 11);
  EXPECT_EQ(e1.decision.steps[0].after, 10);
  Evaluation e2 = Evaluate(p, {{"q/lag", 11.5, 1, 0}}, e1.history, At(30));  // ratio 1.15
  EXPECT_EQ(e2.decision.desired, 12);
  EXPECT_THAT(e2.decision.limits, IsEmpty());
  Evaluation e3 = Evaluate(p, {{"q/lag", 10.9, 1, 0}}, e2.history, At(45));  // 10.9/12 = 0.908
  EXPECT_EQ(e3.decision.raw_desired, 12);
  Evaluation e4 = Evaluate(p, {{"q/lag", 10.7, 1, 0}}, e3.history, At(60));  // 0.89: outside
  EXPECT_EQ(e4.decision.raw_desired, 11);
  EXPECT_EQ(e4.decision.desired, 12);  // the scale-down window still holds 12
  EXPECT_THAT(e4.decision.limits, ElementsAre(Limit::kStabilization));
}

TEST(Activation, ComingBackFromZeroStartsAtTheFloorAndRampsLikeTheHpa) {
  Runner r(Hpa(0, 100));
  Decision idle = r.Step(0, 0);
  EXPECT_FALSE(idle.active);
  EXPECT_EQ(idle.desired, 0);
  Decision up = r.Step(15, 40);
  EXPECT_TRUE(up.active);
  EXPECT_EQ(up.desired, 5);  // KEDA brings it to 1, the HPA may add max(100 %, 4) per 15 s
  EXPECT_THAT(up.limits, Contains(Limit::kScaleUpRate));
}

TEST(Activation, FirstEvaluationEverIsNotRateLimited) {
  // After a restart the current replica count is unknown: the recommendation stands for it.
  Runner r(Hpa(0, 100));
  EXPECT_EQ(r.Step(0, 40).desired, 40);
}

TEST(Override, BudgetCutBecomesTheCurrentTarget) {
  PoolParams p = Hpa(1, 100);
  PoolHistory h;
  Evaluation e0 = Evaluate(p, {Want(10)}, h, At(0));
  Evaluation e1 = Evaluate(p, {Want(20)}, e0.history, At(15));
  ASSERT_EQ(e1.decision.desired, 20);
  OverrideDesired(p, e1, 12, Limit::kBudgetGpu, At(15));
  EXPECT_EQ(e1.decision.desired, 12);
  EXPECT_THAT(e1.decision.limits, ElementsAre(Limit::kBudgetGpu));
  EXPECT_EQ(e1.history.behavior.current, 12);
  ASSERT_EQ(e1.history.behavior.scale_up_events.size(), 1u);
  EXPECT_EQ(e1.history.behavior.scale_up_events[0].change, 2);
}

TEST(History, StaysBoundedUnderChurn) {
  Runner r(Hpa(1, 1000));
  for (int i = 0; i < 20000; ++i) r.Step(i * 0.25, 1 + (i * 7919) % 500);
  const BehaviorHistory& h = r.history().behavior;
  EXPECT_LE(h.down_max.size(), 1201u);  // 300 s at 4 Hz
  EXPECT_LE(h.up_min.size(), 1u);       // no scale-up window
  EXPECT_LE(h.scale_up_events.size(), 61u);  // 15 s at 4 Hz
  EXPECT_LE(h.scale_down_events.size(), 61u);
}

}  // namespace
}  // namespace poolscaler::policy
