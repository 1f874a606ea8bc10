// `tierGroups:` and the pool keys tierGroup / priority / cost.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "poolscaler/config/config.h"
#include "unit/config/status_matchers.h"

namespace poolscaler::config {
namespace {

using ::poolscaler::testing::IsOk;
using ::testing::ElementsAre;

constexpr char kSources[] = R"(sources:
  - name: jobs
    type: redis-streams
    address: 127.0.0.1:6379
    stream: jobs
    consumerGroup: workers
)";

std::vector<std::string> Errors(const std::string& yaml) {
  std::vector<std::string> errors;
  EXPECT_FALSE(ParseConfig(kSources + yaml, &errors).ok());
  return errors;
}

TEST(TiersConfig, GroupsAndPoolCosts) {
  auto c = ParseConfig(std::string(kSources) + R"(tierGroups:
  - name: parse
    budget: {cpu: 200, memory: 800Gi, gpu: 5}
pools:
  - name: gpu
    tierGroup: parse
    priority: 10
    cost: {cpu: 8, memory: 32Gi, gpu: 1}
    signals: [{source: jobs}]
  - name: small
    tierGroup: parse
    cost: {cpu: 1000m, memory: 2Gi}
    signals: [{source: jobs}]
)");
  ASSERT_THAT(c, IsOk());
  ASSERT_EQ(c->tier_groups.size(), 1u);
  const policy::TierGroup& g = c->tier_groups[0];
  EXPECT_EQ(g.name, "parse");
  EXPECT_EQ(g.budget.cpu_cores, 200);
  EXPECT_EQ(g.budget.memory_bytes, 800.0 * 1024 * 1024 * 1024);
  EXPECT_EQ(g.budget.gpus, 5);
  EXPECT_EQ(c->FindTierGroup("parse"), &g);
  const policy::PoolParams& gpu = c->pools[0].params;
  EXPECT_EQ(gpu.tier_group, "parse");
  EXPECT_EQ(gpu.priority, 10);
  EXPECT_EQ(gpu.cost.cpu_cores, 8);
  EXPECT_EQ(gpu.cost.gpus, 1);
  const policy::PoolParams& small = c->pools[1].params;
  EXPECT_EQ(small.priority, 0);
  EXPECT_DOUBLE_EQ(small.cost.cpu_cores, 1);
  EXPECT_EQ(small.cost.memory_bytes, 2.0 * 1024 * 1024 * 1024);
  EXPECT_EQ(small.cost.gpus, 0);
}

TEST(TiersConfig, Errors) {
  EXPECT_THAT(Errors(R"(tierGroups:
  - name: a
    budget: {gpu: two, disk: 1}
  - name: a
    budget: {gpu: 1}
  - name: b
pools:
  - name: p
    tierGroup: nope
    priority: x
    signals: [{source: jobs}]
  - name: q
    tierGroup: b
    signals: [{source: jobs}]
)"),
              ElementsAre("tierGroups[0].budget.gpu (line 9): expected a quantity of at least 0 "
                          "such as 4, 500m, 16Gi (value \"two\")",
                          "tierGroups[0].budget.disk (line 9): unknown key \"disk\" (value "
                          "\"1\"); expected \"cpu\", \"memory\" or \"gpu\"",
                          "tierGroups[1].name (line 10): duplicate tier group name (also "
                          "tierGroups[0]) (value \"a\")",
                          "tierGroups[2].budget (line 12): is required: set at least one of cpu, "
                          "memory, gpu",
                          "pools[0].tierGroup (line 15): no tier group with this name in "
                          "\"tierGroups\" (value \"nope\")",
                          "pools[0].priority (line 16): expected a whole number (value \"x\")",
                          "pools[1].tierGroup (line 19): no tier group with this name in "
                          "\"tierGroups\" (value \"b\")"));
}

TEST(TiersConfig, MinimumsOverBudgetAreRejected) {
  EXPECT_THAT(Errors(R"(tierGroups:
  - name: g
    budget: {gpu: 2}
pools:
  - name: p
    tierGroup: g
    minReplicas: 3
    cost: {gpu: 1}
    signals: [{source: jobs}]
)"),
              ElementsAre("tierGroups[0].budget.gpu: the pools' minReplicas alone need 3, more "
                          "than the budget (value \"2\")"));
}

}  // namespace
}  // namespace poolscaler::config
