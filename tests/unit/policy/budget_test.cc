// Tier-group budgets: priorities, proportional sharing, minReplicas always honoured, the
// limiting resource named.
#include "poolscaler/policy/budget.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace poolscaler::policy {
namespace {

using ::testing::ElementsAre;

BudgetDemand Gpu(int64_t priority, int64_t min, int64_t desired, double gpus = 1) {
  return {priority, {8, 32e9, gpus}, min, desired};
}

std::vector<int64_t> Replicas(const std::vector<BudgetGrant>& g) {
  std::vector<int64_t> out;
  for (const BudgetGrant& x : g) out.push_back(x.replicas);
  return out;
}

TEST(ShareBudget, EverythingFitsNothingIsCut) {
  Budget b;
  b.gpus = 5;
  auto g = ShareBudget(b, {Gpu(0, 0, 2), Gpu(0, 0, 3)});
  EXPECT_THAT(Replicas(g), ElementsAre(2, 3));
  EXPECT_FALSE(g[0].limit);
  EXPECT_FALSE(g[1].limit);
}

TEST(ShareBudget, HigherPriorityIsServedFirst) {
  Budget b;
  b.gpus = 5;
  auto g = ShareBudget(b, {Gpu(1, 0, 4), Gpu(10, 0, 4)});
  EXPECT_THAT(Replicas(g), ElementsAre(1, 4));
  EXPECT_EQ(g[0].limit, Limit::kBudgetGpu);
  EXPECT_FALSE(g[1].limit);
}

TEST(ShareBudget, EqualPrioritySharesInProportionToDemand) {
  Budget b;
  b.gpus = 6;
  auto g = ShareBudget(b, {Gpu(0, 0, 3), Gpu(0, 0, 9)});  // demand 1:3 → 1.5 : 4.5
  EXPECT_EQ(g[0].replicas + g[1].replicas, 6);
  EXPECT_GE(g[0].replicas, 1);
  EXPECT_LE(g[0].replicas, 2);
  EXPECT_EQ(g[0].limit, Limit::kBudgetGpu);
  EXPECT_EQ(g[1].limit, Limit::kBudgetGpu);
  auto even = ShareBudget(b, {Gpu(0, 0, 10), Gpu(0, 0, 10)});
  EXPECT_THAT(Replicas(even), ElementsAre(3, 3));
}

TEST(ShareBudget, MinReplicasAlwaysHonoured) {
  Budget b;
  b.gpus = 2;
  auto g = ShareBudget(b, {Gpu(10, 0, 5), Gpu(0, 2, 5)});  // low priority but min 2
  EXPECT_THAT(Replicas(g), ElementsAre(0, 2));
  EXPECT_EQ(g[0].limit, Limit::kBudgetGpu);
  // Minimums above the budget are still granted.
  auto over = ShareBudget(b, {Gpu(0, 3, 3)});
  EXPECT_THAT(Replicas(over), ElementsAre(3));
}

TEST(ShareBudget, APoolIsOnlyLimitedByResourcesItCosts) {
  Budget b;
  b.gpus = 1;
  b.cpu_cores = 100;
  BudgetDemand small{0, {1, 2e9, 0}, 0, 50};  // no GPU
  auto g = ShareBudget(b, {Gpu(5, 0, 3), small});
  EXPECT_THAT(Replicas(g), ElementsAre(1, 50));
  EXPECT_EQ(g[0].limit, Limit::kBudgetGpu);
  EXPECT_FALSE(g[1].limit);
}

TEST(ShareBudget, NamesTheResourceThatRanOut) {
  Budget b;
  b.cpu_cores = 20;
  b.gpus = 10;
  auto g = ShareBudget(b, {Gpu(0, 0, 5)});  // 8 cpu each: 2 fit
  EXPECT_THAT(Replicas(g), ElementsAre(2));
  EXPECT_EQ(g[0].limit, Limit::kBudgetCpu);
  Budget m;
  m.memory_bytes = 64e9;
  auto gm = ShareBudget(m, {Gpu(0, 0, 5)});
  EXPECT_THAT(Replicas(gm), ElementsAre(2));
  EXPECT_EQ(gm[0].limit, Limit::kBudgetMemory);
}

TEST(ShareBudget, FractionalCostsFitExactly) {
  Budget b;
  b.cpu_cores = 0.3;
  BudgetDemand d{0, {0.1, 0, 0}, 0, 5};
  auto g = ShareBudget(b, {d});
  EXPECT_THAT(Replicas(g), ElementsAre(3));
}

TEST(ShareBudget, NeverExceedsTheBudgetAboveMinimums) {
  for (int gpus = 0; gpus <= 12; ++gpus) {
    Budget b;
    b.gpus = gpus;
    b.cpu_cores = 40;
    std::vector<BudgetDemand> d = {Gpu(2, 0, 7), Gpu(1, 1, 4), Gpu(1, 0, 9, 2),
                                   {0, {2, 0, 0}, 0, 30}};
    auto g = ShareBudget(b, d);
    ReplicaCost total = TotalCost(d, Replicas(g));
    // Minimums are granted even over the budget (pool 2's min 1 costs 1 gpu and 8 cpu); above
    // them nothing may exceed it: the bound is the larger of the budget and the minimums' cost.
    std::vector<int64_t> mins;
    for (const BudgetDemand& x : d) mins.push_back(x.min_replicas);
    const ReplicaCost floor = TotalCost(d, mins);
    EXPECT_LE(total.gpus, std::max<double>(gpus, floor.gpus)) << gpus;
    EXPECT_LE(total.cpu_cores, std::max(40.0, floor.cpu_cores)) << gpus;
    for (size_t i = 0; i < d.size(); ++i) {
      EXPECT_GE(g[i].replicas, d[i].min_replicas);
      EXPECT_LE(g[i].replicas, d[i].desired);
    }
  }
}

}  // namespace
}  // namespace poolscaler::policy
