// PoolTable: evaluation from the store, unavailability without losing history, watchers on
// active changes / spec changes / removal, raw pools and their retirement.
#include "poolscaler/pools/pool_table.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace poolscaler::pools {
namespace {

using ::testing::HasSubstr;

TimePoint At(double s) { return TimePoint{} + FromSeconds(100 + s); }

PoolDefinition Pool(const std::string& name, double cooldown_s = 0) {
  PoolDefinition d;
  d.id = name;
  d.name = name;
  d.metric_name = "pool-" + name;
  d.params.min_replicas = 0;
  d.params.max_replicas = 10;
  d.params.cooldown = FromSeconds(cooldown_s);
  d.signals.push_back({"orders/outstanding", "k", "outstanding", 5, 0});
  return d;
}

class PoolTableTest : public ::testing::Test {
 protected:
  void SetUp() override { store_.Register("k", "orders", "", FromSeconds(30)); }
  void Lag(double v, double t) { Outstanding("k", v, t); }
  void Outstanding(const std::string& key, double v, double t) {
    store_.Record(key, sources::Reading{{{"outstanding", v}}, ""}, At(t), {});
  }
  sampler::SampleStore store_;
  PoolTable table_;
};

TEST_F(PoolTableTest, EvaluatesFromTheStore) {
  table_.SetConfigPools({Pool("w")});
  Lag(23, 0);
  table_.EvaluateAll(store_, At(0));
  PoolState st = *table_.Get("w");
  ASSERT_TRUE(st.status.ok());
  EXPECT_EQ(st.decision.desired, 5);
  EXPECT_TRUE(st.decision.active);
  EXPECT_EQ(st.decision.winning_signal, "orders/outstanding");
  ASSERT_EQ(st.signals.size(), 1u);
  EXPECT_EQ(st.signals[0].value, 23);
  EXPECT_EQ(st.signals[0].replicas, 5);
}

TEST_F(PoolTableTest, MissingValueMakesThePoolUnavailableAndKeepsHistory) {
  table_.SetConfigPools({Pool("w", /*cooldown=*/60)});
  Lag(23, 0);
  table_.EvaluateAll(store_, At(0));
  // The reading goes stale: no decision, but the last one and the cooldown state are kept.
  table_.EvaluateAll(store_, At(31));
  PoolState st = *table_.Get("w");
  EXPECT_EQ(st.status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(st.status.message(), HasSubstr("orders/outstanding"));
  EXPECT_TRUE(st.has_decision);
  Lag(0, 40);
  table_.EvaluateAll(store_, At(40));
  EXPECT_TRUE(table_.Get("w")->decision.active);  // still inside the 60 s cooldown from t=0
}

// Two signals, one of them from a second source whose reading goes stale: the HPA's rule for
// invalid metrics (horizontal.go computeReplicasForMetrics) through the table.
class TwoSignalPoolTest : public PoolTableTest {
 protected:
  void SetUp() override {
    PoolTableTest::SetUp();
    store_.Register("k2", "audit", "", FromSeconds(30));
    PoolDefinition d = Pool("w");
    d.signals.push_back({"audit/outstanding", "k2", "outstanding", 5, 0});
    table_.SetConfigPools({d});
  }
  void Audit(double v, double t) { Outstanding("k2", v, t); }
};

TEST_F(TwoSignalPoolTest, OneMissingSignalBlocksScaleDownOnly) {
  Lag(40, 0);
  Audit(5, 0);
  table_.EvaluateAll(store_, At(0));
  EXPECT_EQ(table_.Get("w")->decision.desired, 8);
  // audit stops at t=0 and is stale from t=31; orders keeps reporting.
  Lag(10, 31);
  table_.EvaluateAll(store_, At(31));
  PoolState st = *table_.Get("w");
  ASSERT_TRUE(st.status.ok()) << st.status;  // served, not UNAVAILABLE
  EXPECT_EQ(st.decision.desired, 8);         // 2 asked, scale-down refused
  EXPECT_TRUE(st.decision.Limited(policy::Limit::kSignalMissing));
  ASSERT_EQ(st.signals.size(), 2u);
  EXPECT_EQ(st.signals[1].status.code(), absl::StatusCode::kUnavailable);
  Lag(60, 35);
  table_.EvaluateAll(store_, At(35));
  st = *table_.Get("w");
  EXPECT_EQ(st.decision.desired, 10);  // scale-up on the known signal (12, clamped to max 10)
  EXPECT_FALSE(st.decision.Limited(policy::Limit::kSignalMissing));
}

TEST_F(TwoSignalPoolTest, AllSignalsMissingIsUnavailable) {
  Lag(40, 0);
  Audit(5, 0);
  table_.EvaluateAll(store_, At(0));
  table_.EvaluateAll(store_, At(31));
  PoolState st = *table_.Get("w");
  EXPECT_EQ(st.status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(st.status.message(), HasSubstr("orders/outstanding"));
  EXPECT_EQ(st.decision.desired, 8);  // the last good decision, kept but not served
}

TEST_F(PoolTableTest, WatchersHearActiveChangesOnly) {
  table_.SetConfigPools({Pool("w")});
  std::vector<bool> seen;
  uint64_t h = table_.Watch("w", [&](const PoolState& s) { seen.push_back(s.decision.active); });
  Lag(0, 0);
  table_.EvaluateAll(store_, At(0));  // first decision: reported
  table_.EvaluateAll(store_, At(1));
  Lag(9, 2);
  table_.EvaluateAll(store_, At(2));
  Lag(12, 3);
  table_.EvaluateAll(store_, At(3));  // still active: nothing
  Lag(0, 4);
  table_.EvaluateAll(store_, At(4));
  EXPECT_EQ(seen, (std::vector<bool>{false, true, false}));
  table_.Unwatch(h);
  Lag(9, 5);
  table_.EvaluateAll(store_, At(5));
  EXPECT_EQ(seen.size(), 3u);
}

TEST_F(PoolTableTest, ReloadKeepsHistoryAndReportsSpecChangesAndRemovals) {
  table_.SetConfigPools({Pool("w", 60)});
  Lag(9, 0);
  table_.EvaluateAll(store_, At(0));
  std::vector<std::string> events;
  table_.Watch("w", [&](const PoolState& s) {
    events.push_back(s.status.ok() ? s.definition.metric_name : std::string(s.status.message()));
  });
  PoolDefinition renamed = Pool("w", 60);
  renamed.metric_name = "workers-lag";
  table_.SetConfigPools({renamed});
  Lag(0, 10);
  table_.EvaluateAll(store_, At(10));
  EXPECT_TRUE(table_.Get("w")->decision.active);  // history survived the reload
  table_.SetConfigPools({});
  EXPECT_FALSE(table_.Get("w").has_value());
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0], "workers-lag");
  EXPECT_THAT(events[1], HasSubstr("removed"));
}

TEST_F(PoolTableTest, RawPoolsSurviveReloadsAndRetireWhenIdleAndUnwatched) {
  PoolDefinition raw = Pool("raw:abc");
  raw.raw = true;
  raw.name = "raw/redis-streams-orders";
  table_.EnsureRawPool(raw, At(0));
  table_.SetConfigPools({Pool("w")});
  EXPECT_TRUE(table_.Get("raw:abc").has_value());
  EXPECT_EQ(table_.RawSourceKeys(), std::vector<std::string>{"k"});

  uint64_t h = table_.Watch("raw:abc", [](const PoolState&) {});
  EXPECT_TRUE(table_.RetireIdleRaw(At(1000), FromSeconds(600)).empty());  // watched
  table_.Unwatch(h);
  table_.TouchRaw("raw:abc", At(500));
  EXPECT_TRUE(table_.RetireIdleRaw(At(1000), FromSeconds(600)).empty());  // used at 500
  EXPECT_EQ(table_.RetireIdleRaw(At(1101), FromSeconds(600)),
            std::vector<std::string>{"raw/redis-streams-orders"});
  EXPECT_TRUE(table_.Get("w").has_value());
}

TEST_F(PoolTableTest, RawPoolsWithTheSameMetricNameGetDistinctLabels) {
  PoolDefinition a = Pool("raw:a"), b = Pool("raw:b");
  a.raw = b.raw = true;
  a.name = b.name = "raw/redis-streams-orders";
  table_.EnsureRawPool(a, At(0));
  table_.EnsureRawPool(b, At(0));
  EXPECT_NE(table_.Get("raw:a")->definition.name, table_.Get("raw:b")->definition.name);
}

// The cross-pool step: two GPU pools of one tier group over a budget of 3 GPUs; the higher
// priority is served first and the other names the limit.
TEST_F(PoolTableTest, TierBudgetCutsTheLowerPriorityPoolAndNamesTheLimit) {
  PoolDefinition hi = Pool("gpu-hi");
  PoolDefinition lo = Pool("gpu-lo");
  for (PoolDefinition* d : {&hi, &lo}) {
    d->params.tier_group = "gpu";
    d->params.cost = {8, 32e9, 1};
  }
  hi.params.priority = 10;
  policy::TierGroup group{"gpu", {}};
  group.budget.gpus = 3;
  table_.SetConfigPools({hi, lo}, {group});
  Lag(10, 0);  // both pools read the same signal: 2 replicas each
  table_.EvaluateAll(store_, At(0));
  EXPECT_EQ(table_.Get("gpu-hi")->decision.desired, 2);
  PoolState cut = *table_.Get("gpu-lo");
  EXPECT_EQ(cut.decision.desired, 1);
  EXPECT_THAT(cut.decision.limits, ::testing::ElementsAre(policy::Limit::kBudgetGpu));
  EXPECT_EQ(cut.limited_total[static_cast<size_t>(policy::Limit::kBudgetGpu)], 1u);
  // Without the group the same pools are not cut.
  table_.SetConfigPools({hi, lo});
  table_.EvaluateAll(store_, At(1));
  EXPECT_EQ(table_.Get("gpu-lo")->decision.desired, 2);
}

}  // namespace
}  // namespace poolscaler::pools
