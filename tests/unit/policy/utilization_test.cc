// Utilization (CPU/memory) signals next to queue lag: the HPA formula and tolerance, the max over
// signals with the winner recorded, and scale-to-zero that busy CPU does not block.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>

#include "poolscaler/policy/policy.h"

namespace poolscaler::policy {
namespace {

using ::testing::ElementsAre;

TimePoint At(double seconds) { return TimePoint{} + FromSeconds(1000 + seconds); }

SignalInput Lag(double value, double threshold = 5, std::string name = "orders/outstanding") {
  SignalInput s;
  s.name = std::move(name);
  s.value = value;
  s.lag_threshold = threshold;
  return s;
}

// `usage` per pod (e.g. percent of requests) on `pods` pods, against `target` per pod.
SignalInput Cpu(double pods, double usage, double target = 70,
                std::string name = "web/cpu_utilization") {
  SignalInput s;
  s.name = std::move(name);
  s.kind = SignalKind::kUtilization;
  s.pods = pods;
  s.value = usage;
  s.lag_threshold = target;
  return s;
}

PoolParams Params(int64_t min, int64_t max, double cooldown_s = 0) {
  PoolParams p;
  p.min_replicas = min;
  p.max_replicas = max;
  p.cooldown = FromSeconds(cooldown_s);
  // These tests are about how signals combine; windows and rate limits have their own tests
  // (behavior_test). The HPA's tolerance stays.
  p.behavior = Behavior::PassThrough();
  p.behavior.scale_up.tolerance = p.behavior.scale_down.tolerance = kHpaTolerance;
  return p;
}

TEST(ReplicasForUtilization, HpaFormula) {
  EXPECT_EQ(ReplicasForUtilization(4, 140, 70), 8);   // 2 × 4
  EXPECT_EQ(ReplicasForUtilization(3, 35, 70), 2);    // ceil(1.5)
  EXPECT_EQ(ReplicasForUtilization(10, 90, 75), 12);  // the Kubernetes docs' 90/75 example (×10)
  EXPECT_EQ(ReplicasForUtilization(1, 1, 70), 1);     // ceil(0.014)
  EXPECT_EQ(ReplicasForUtilization(5, 0, 70), 0);     // idle pods: HPA would go to 0 (min clamps)
  EXPECT_EQ(ReplicasForUtilization(2, 0.9, 0.5), 4);  // cores per pod, ceil(3.6)
}

TEST(ReplicasForUtilization, WithinToleranceKeepsThePodCount) {
  // 0.9 <= ratio <= 1.1 → no change, even where ceil(pods × ratio) would differ.
  EXPECT_EQ(ReplicasForUtilization(10, 76, 70), 10);    // ratio 1.086
  // Like the HPA's float64 test since Kubernetes 1.33 (replica_calculator.go Tolerances.isWithin:
  // usageRatio <= 1.0 + tolerance): 110/100 and 1.0 + 0.1 are the same double, so 1.1 is
  // inside. (Before 1.33 the HPA tested |1 − ratio| <= 0.1, and 0.10000000000000009 was not.)
  EXPECT_EQ(ReplicasForUtilization(10, 110, 100), 10);
  EXPECT_EQ(ReplicasForUtilization(10, 111, 100), 12);  // ceil(11.1)
  EXPECT_EQ(ReplicasForUtilization(10, 109, 100), 10);
  EXPECT_EQ(ReplicasForUtilization(10, 63, 70), 10);    // ratio 0.9
  EXPECT_EQ(ReplicasForUtilization(10, 72, 70), 10);    // would be 11
  EXPECT_EQ(ReplicasForUtilization(10, 77.5, 70), 12);  // ratio 1.107: ceil(11.07)
  EXPECT_EQ(ReplicasForUtilization(10, 62, 70), 9);     // ratio 0.886: ceil(8.86)
  EXPECT_EQ(ReplicasForUtilization(10, 72, 70, 0), 11); // tolerance 0
  // Per direction (behavior.scaleUp/scaleDown.tolerance): {up 0, down 0.5}.
  EXPECT_EQ(ReplicasForUtilization(10, 72, 70, Tolerance(0, 0.5)), 11);  // up: no band
  EXPECT_EQ(ReplicasForUtilization(10, 40, 70, Tolerance(0, 0.5)), 10);  // ratio 0.57: kept
  EXPECT_EQ(ReplicasForUtilization(10, 30, 70, Tolerance(0, 0.5)), 5);   // 0.43: ceil(4.3)
}

TEST(ReplicasForUtilization, BadInputs) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(ReplicasForUtilization(0, 90, 70), 0);
  EXPECT_EQ(ReplicasForUtilization(-1, 90, 70), 0);
  EXPECT_EQ(ReplicasForUtilization(nan, 90, 70), 0);
  EXPECT_EQ(ReplicasForUtilization(3, nan, 70), 0);
  EXPECT_EQ(ReplicasForUtilization(3, -5, 70), 0);
  EXPECT_EQ(ReplicasForUtilization(3, 90, 0), 0);
  EXPECT_EQ(ReplicasForUtilization(3, 1e300, 1e-300), std::numeric_limits<int64_t>::max() / 2);
}

TEST(EvaluateWithResources, LagAndCpuTakeTheMaxAndRecordTheWinner) {
  PoolParams p = Params(0, 50);
  // Lag asks for 3 (15 / 5), CPU for 8 (4 pods at 140% of a 70% target): CPU wins.
  Evaluation e = Evaluate(p, {Lag(15), Cpu(4, 140)}, {}, At(0));
  EXPECT_TRUE(e.decision.active);
  EXPECT_EQ(e.decision.raw_desired, 8);
  EXPECT_EQ(e.decision.desired, 8);
  EXPECT_EQ(e.decision.winning_signal, "web/cpu_utilization");
  EXPECT_EQ(e.decision.winning_value, 140);
  // Lag asks for 20, CPU for 8: lag wins.
  e = Evaluate(p, {Lag(100), Cpu(4, 140)}, e.history, At(1));
  EXPECT_EQ(e.decision.desired, 20);
  EXPECT_EQ(e.decision.winning_signal, "orders/outstanding");
}

TEST(EvaluateWithResources, IdleQueueWithBusyCpuReachesZero) {
  PoolParams p = Params(0, 50);
  Evaluation e = Evaluate(p, {Lag(10), Cpu(2, 95)}, {}, At(0));
  ASSERT_TRUE(e.decision.active);
  // The queue is empty; the pods are still busy (finishing work, or a busy loop): 0 anyway.
  e = Evaluate(p, {Lag(0), Cpu(2, 95)}, e.history, At(5));
  EXPECT_FALSE(e.decision.active);
  EXPECT_EQ(e.decision.desired, 0);
  EXPECT_THAT(e.decision.limits, ElementsAre(Limit::kInactive));
  EXPECT_EQ(e.decision.raw_desired, 3);  // what CPU alone would have asked for
  // Busy CPU alone never wakes a pool that rests at 0.
  e = Evaluate(p, {Lag(0), Cpu(2, 300)}, e.history, At(10));
  EXPECT_FALSE(e.decision.active);
  EXPECT_EQ(e.decision.desired, 0);
}

TEST(EvaluateWithResources, CooldownStillHoldsOnCpuWhileIdle) {
  PoolParams p = Params(0, 50, /*cooldown_s=*/30);
  Evaluation e = Evaluate(p, {Lag(10), Cpu(2, 140)}, {}, At(0));
  e = Evaluate(p, {Lag(0), Cpu(2, 140)}, e.history, At(10));
  EXPECT_TRUE(e.decision.active);  // inside the cooldown: CPU sizes the pool
  EXPECT_EQ(e.decision.desired, 4);
  e = Evaluate(p, {Lag(0), Cpu(2, 140)}, e.history, At(31));
  EXPECT_FALSE(e.decision.active);
  EXPECT_EQ(e.decision.desired, 0);
}

TEST(EvaluateWithResources, ConfigCanLetResourcesKeepThePoolUp) {
  PoolParams p = Params(0, 50);
  p.resource_signals_activate = true;
  Evaluation e = Evaluate(p, {Lag(0), Cpu(2, 95)}, {}, At(0));
  EXPECT_TRUE(e.decision.active);
  EXPECT_EQ(e.decision.desired, 3);
}

TEST(EvaluateWithResources, MinAboveZeroBehavesLikeTheHpa) {
  // With minReplicas >= 1 the pool never rests at 0, so CPU sizes it like an HPA would.
  PoolParams p = Params(2, 10);
  Evaluation e = Evaluate(p, {Lag(0), Cpu(3, 140)}, {}, At(0));
  EXPECT_TRUE(e.decision.active);
  EXPECT_EQ(e.decision.desired, 6);
  e = Evaluate(p, {Lag(0), Cpu(3, 10)}, e.history, At(1));
  EXPECT_EQ(e.decision.desired, 2);  // ceil(0.43) = 1, clamped up to min
  EXPECT_THAT(e.decision.limits, ElementsAre(Limit::kMinReplicas));
}

TEST(EvaluateWithResources, OnlyResourceSignalsStillScale) {
  PoolParams p = Params(0, 10);
  Evaluation e = Evaluate(p, {Cpu(3, 140)}, {}, At(0));
  EXPECT_TRUE(e.decision.active);
  EXPECT_EQ(e.decision.desired, 6);
  e = Evaluate(p, {Cpu(0, 0)}, e.history, At(1));  // no pods, no usage
  EXPECT_FALSE(e.decision.active);
  EXPECT_EQ(e.decision.desired, 0);
}

}  // namespace
}  // namespace poolscaler::policy
