// The pools' `behavior:` map (HPA autoscaling/v2 shape): every key, defaults, the v1 alias,
// and errors naming path, line and value.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "poolscaler/config/config.h"
#include "unit/config/status_matchers.h"

namespace poolscaler::config {
namespace {

using ::poolscaler::testing::IsOk;
using ::testing::ElementsAre;
using std::chrono::seconds;

constexpr char kHead[] = R"(sources:
  - name: orders
    type: redis-streams
    address: 127.0.0.1:6379
    stream: orders
    consumerGroup: workers
pools:
  - name: p
    signals: [{source: orders}]
)";

std::vector<std::string> Errors(const std::string& pool_keys) {
  std::vector<std::string> errors;
  absl::StatusOr<Config> c = ParseConfig(kHead + pool_keys, &errors);
  EXPECT_FALSE(c.ok());
  return errors;
}

TEST(BehaviorConfig, EveryKey) {
  auto c = ParseConfig(std::string(kHead) + R"(    behavior:
      scaleUp:
        tolerance: 0.05
        stabilizationWindowSeconds: 30
        selectPolicy: Min
        policies:
          - {type: Pods, value: 2, periodSeconds: 60}
          - {type: Percent, value: 50, periodSeconds: 30}
      scaleDown:
        stabilizationWindowSeconds: 600
        selectPolicy: Disabled
        tolerance: 200m
)");
  ASSERT_THAT(c, IsOk());
  const policy::Behavior& b = c->pools[0].params.behavior;
  // behavior.scaleUp/scaleDown.tolerance, as the HPA API has them (a quantity).
  EXPECT_DOUBLE_EQ(b.scale_up.tolerance, 0.05);
  EXPECT_DOUBLE_EQ(b.scale_down.tolerance, 0.2);
  EXPECT_EQ(b.scale_up.stabilization_window, seconds(30));
  EXPECT_EQ(b.scale_up.select, policy::SelectPolicy::kMin);
  ASSERT_EQ(b.scale_up.policies.size(), 2u);
  EXPECT_EQ(b.scale_up.policies[0].type, policy::ScalingPolicyType::kPods);
  EXPECT_EQ(b.scale_up.policies[0].value, 2);
  EXPECT_EQ(b.scale_up.policies[0].period, seconds(60));
  EXPECT_EQ(b.scale_up.policies[1].type, policy::ScalingPolicyType::kPercent);
  EXPECT_EQ(b.scale_up.policies[1].value, 50);
  EXPECT_EQ(b.scale_down.stabilization_window, seconds(600));
  EXPECT_EQ(b.scale_down.select, policy::SelectPolicy::kDisabled);
  // scaleDown set no policies: the HPA default (100 % per 15 s) stays.
  ASSERT_EQ(b.scale_down.policies.size(), 1u);
  EXPECT_EQ(b.scale_down.policies[0].value, 100);
}

TEST(BehaviorConfig, AbsentMeansHpaDefaults) {
  auto c = ParseConfig(kHead);
  ASSERT_THAT(c, IsOk());
  const policy::Behavior& b = c->pools[0].params.behavior;
  EXPECT_DOUBLE_EQ(b.scale_up.tolerance, 0.1);
  EXPECT_DOUBLE_EQ(b.scale_down.tolerance, 0.1);
  EXPECT_EQ(b.scale_down.stabilization_window, seconds(300));
  EXPECT_EQ(b.scale_up.policies.size(), 2u);
}

TEST(BehaviorConfig, V1ScaleDownWindowIsTheScaleDownStabilizationWindow) {
  auto c = ParseConfig(std::string(kHead) + "    scaleDownWindowSeconds: 45\n");
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->pools[0].params.behavior.scale_down.stabilization_window, seconds(45));
  EXPECT_THAT(Errors(R"(    scaleDownWindowSeconds: 45
    behavior:
      scaleDown: {stabilizationWindowSeconds: 60}
)"),
              ElementsAre("pools[0].scaleDownWindowSeconds (line 10): conflicts with "
                          "behavior.scaleDown.stabilizationWindowSeconds; set only one "
                          "(value \"45\")"));
}

TEST(BehaviorConfig, ErrorsNamePathLineAndValue) {
  EXPECT_THAT(
      Errors(R"(    behavior:
      tolerance: 1.5
      scaleUp:
        tolerance: -1
        stabilizationWindowSeconds: 4000
        selectPolicy: Maximum
        policies:
          - {type: Pod, value: 0, periodSeconds: 2000}
          - {type: Percent}
      scaleDown:
        policies: []
      scaleSideways: 1
)"),
      ElementsAre(
          // A top-level tolerance is not in the HPA API: it has one per direction.
          "pools[0].behavior.tolerance (line 11): is not a field of the HPA's behavior: set "
          "scaleUp.tolerance and scaleDown.tolerance (the band below and above the target) "
          "(value \"1.5\")",
          "pools[0].behavior.scaleSideways (line 21): unknown key \"scaleSideways\" (value "
          "\"1\"); expected \"scaleUp\" or \"scaleDown\"",
          "pools[0].behavior.scaleUp.stabilizationWindowSeconds (line 14): must be between 0 "
          "and 3600 (value \"4000\")",
          "pools[0].behavior.scaleUp.selectPolicy (line 15): expected \"Max\", \"Min\" or "
          "\"Disabled\" (value \"Maximum\")",
          "pools[0].behavior.scaleUp.tolerance (line 13): expected a Kubernetes quantity of at "
          "least 0 (e.g. 0.05 or 50m) (value \"-1\")",
          "pools[0].behavior.scaleUp.policies[0].type (line 17): expected \"Pods\" or "
          "\"Percent\" (value \"Pod\")",
          "pools[0].behavior.scaleUp.policies[0].value (line 17): must be between 1 and "
          "1000000 (value \"0\")",
          "pools[0].behavior.scaleUp.policies[0].periodSeconds (line 17): must be between 1 "
          "and 1800 (value \"2000\")",
          "pools[0].behavior.scaleUp.policies[1].value (line 18): is required",
          "pools[0].behavior.scaleUp.policies[1].periodSeconds (line 18): is required",
          "pools[0].behavior.scaleDown.policies (line 20): expected a list of at least one "
          "policy"));
}

}  // namespace
}  // namespace poolscaler::config
