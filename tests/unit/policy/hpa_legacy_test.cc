// The HPA without `behavior` (what KEDA creates for a ScaledObject without
// advanced.horizontalPodAutoscalerConfig.behavior): golden cases worked out from kubernetes
// pkg/controller/podautoscaler/horizontal.go (normalizeDesiredReplicas, stabilizeRecommendation,
// calculateScaleUpLimit, recordInitialRecommendation) and replica_calculator.go
// (GetExternalPerPodMetricReplicas), one sync every 15 s.
#include "poolscaler/policy/hpa_legacy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace poolscaler::policy {
namespace {

using std::chrono::seconds;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

class LegacyHpaTest : public ::testing::Test {
 protected:
  TimePoint At(int s) const { return t0_ + seconds(s); }
  // One sync at `t` with the Deployment at `current_`; the result becomes current.
  LegacySync Sync(int t, double metric, int64_t max = 100, int64_t min = 1) {
    LegacySync s = LegacyHpaSync(metric, 1, current_, min, max, At(t), h_);
    current_ = s.replicas;
    return s;
  }
  const TimePoint t0_ = TimePoint{} + std::chrono::hours(1);
  LegacyHpaHistory h_;
  int64_t current_ = 1;
};

// The case the behavior defaults get wrong: from 1 replica, demand 40 then 10. The real HPA
// doubles per sync (max(2 × current, 4)) and then holds the highest recommendation of the last
// 300 s; the behavior defaults (+100 % or +4 per 15 s, 300 s scale-down window) would give
// 5, 10, 20, 40 and the same hold.
TEST_F(LegacyHpaTest, OneToFortyThenTenDoublesAndHoldsForFiveMinutes) {
  std::vector<int64_t> up;
  for (int t = 0; t <= 60; t += 15) up.push_back(Sync(t, 40).replicas);
  EXPECT_THAT(up, ElementsAre(4, 8, 16, 32, 40));
  // Demand falls to 10 at t=75: the recommendations of 40 (t=0..60) hold the count until the
  // newest of them is older than 300 s; one exactly 300 s old still counts (t=360).
  for (int t = 75; t <= 360; t += 15) {
    LegacySync s = Sync(t, 10);
    ASSERT_EQ(s.replicas, 40) << "t=" << t;
    EXPECT_THAT(s.limits, ElementsAre(Limit::kStabilization)) << "t=" << t;
  }
  LegacySync down = Sync(375, 10);
  EXPECT_EQ(down.replicas, 10);
  EXPECT_THAT(down.limits, IsEmpty());
}

TEST_F(LegacyHpaTest, ScaleUpLimitIsTwiceCurrentOrFour) {
  current_ = 10;
  LegacySync s = Sync(0, 100);
  EXPECT_EQ(s.replicas, 20);
  EXPECT_EQ(s.raw, 100);
  EXPECT_THAT(s.limits, ElementsAre(Limit::kScaleUpRate));
  // maxReplicas below the rate cap: the cap is maxReplicas.
  LegacySync capped = Sync(15, 100, /*max=*/25);
  EXPECT_EQ(capped.replicas, 25);
  EXPECT_THAT(capped.limits, ElementsAre(Limit::kMaxReplicas));
}

// The controller's tolerance (0.1) both ways, on metric / (target × current).
TEST_F(LegacyHpaTest, ToleranceKeepsTheCurrentCount) {
  current_ = 10;
  LegacySync s = Sync(0, 10.9);
  EXPECT_EQ(s.replicas, 10);
  EXPECT_THAT(s.limits, ElementsAre(Limit::kTolerance));
  EXPECT_EQ(Sync(15, 11.5).replicas, 12);
  // 9.1 / 12 is below 0.9: 10 is proposed, and the recommendations of 10 and 12 hold 12.
  LegacySync held = Sync(30, 9.1);
  EXPECT_EQ(held.replicas, 12);
  EXPECT_THAT(held.limits, ElementsAre(Limit::kStabilization));
}

// recordInitialRecommendation: the count the HPA first saw is a recommendation too, so an HPA
// put on a Deployment at 5 keeps 5 for 300 s even when the metric asks for 1.
TEST_F(LegacyHpaTest, TheInitialCountIsARecommendation) {
  current_ = 5;
  EXPECT_EQ(Sync(0, 1).replicas, 5);
  EXPECT_EQ(Sync(285, 1).replicas, 5);
  EXPECT_EQ(Sync(300, 1).replicas, 5);  // exactly 300 s old: still inside
  EXPECT_EQ(Sync(315, 1).replicas, 1);
}

// A metric of 0 asks for 0; the HPA's floor is minReplicas (KEDA's HPA: max(minReplicaCount,
// 1)), and KEDA itself takes the workload to 0. The first sync's count (1) is a recommendation
// for 300 s, so at first stabilization holds it, not the floor.
TEST_F(LegacyHpaTest, ZeroMetricStopsAtMinReplicas) {
  LegacySync first = Sync(0, 0);
  EXPECT_EQ(first.replicas, 1);
  EXPECT_EQ(first.raw, 0);
  EXPECT_THAT(first.limits, ElementsAre(Limit::kStabilization));
  LegacySync later = Sync(315, 0);
  EXPECT_EQ(later.replicas, 1);
  EXPECT_THAT(later.limits, ElementsAre(Limit::kMinReplicas));
  current_ = 3;
  LegacySync min2 = Sync(330, 0, 100, /*min=*/2);
  EXPECT_EQ(min2.replicas, 2);
  EXPECT_THAT(min2.limits, ElementsAre(Limit::kMinReplicas));
}

}  // namespace
}  // namespace poolscaler::policy
