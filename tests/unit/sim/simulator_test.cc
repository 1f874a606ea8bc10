// The simulator's model on small hand-checked traces, the trace parser, and the baselines'
// defining behaviour (KEDA's 30 s poll / 300 s cooldown, KPA's panic mode).
#include "poolscaler/sim/simulator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace poolscaler::sim {
namespace {

using ::testing::HasSubstr;
using std::chrono::seconds;

// A pool whose policy passes recommendations straight through, deciding every second, with
// pods that start instantly: the model can be checked by hand.
SimPool Plain(const std::string& name = "w") {
  SimPool p;
  p.name = name;
  p.params.min_replicas = 0;
  p.params.max_replicas = 10;
  p.params.behavior = policy::Behavior::PassThrough();
  p.lag_threshold = 2;
  p.sample_interval = seconds(1);
  p.per_replica_rate = 1;
  p.startup = seconds(0);
  p.backlog_age_slo = seconds(2);
  return p;
}

std::vector<SecondRow> RowsOf(const SimResult& r, const std::string& pool) {
  std::vector<SecondRow> out;
  for (const SecondRow& row : r.rows) {
    if (row.pool == pool) out.push_back(row);
  }
  return out;
}

TEST(ParseTrace, ReadsRowsHeaderCommentsAndCrlf) {
  auto rows = ParseTrace("t,pool,arrivals\r\n# a comment\n0,w,3\n\n5, w ,0.5\r\n");
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[1].t, 5);
  EXPECT_EQ((*rows)[1].pool, "w");
  EXPECT_EQ((*rows)[1].arrivals, 0.5);
}

TEST(ParseTrace, ErrorsNameTheLineAndValue) {
  EXPECT_EQ(ParseTrace("0,w\n").status().message(),
            "trace line 1: expected three columns t,pool,arrivals (value \"0,w\")");
  EXPECT_EQ(ParseTrace("0,w,1\n-1,w,1\n").status().message(),
            "trace line 2: t must be a whole second 0..2678400 (value \"-1\")");
  EXPECT_EQ(ParseTrace("0,w,x\n").status().message(),
            "trace line 1: arrivals must be a number 0..1e12 (value \"x\")");
  EXPECT_EQ(ParseTrace("0,,1\n").status().message(),
            "trace line 1: pool must be a name of 1..253 characters (value \"\")");
}

// 6 jobs at t=0, threshold 2 → 3 replicas at once (no start-up delay), each finishing 1 job/s:
// backlog 3 after t=0, 0 after t=1; then the pool goes inactive (cooldown 0) → 0 replicas.
TEST(Simulate, HandCheckedBurst) {
  auto r = Simulate({Plain()}, {}, {{0, "w", 6}}, PolicyKind::kPoolscaler, seconds(3));
  ASSERT_TRUE(r.ok()) << r.status();
  std::vector<SecondRow> rows = RowsOf(*r, "w");
  ASSERT_EQ(rows.size(), 4u);  // t = 0..3
  EXPECT_EQ(rows[0].desired, 3);
  EXPECT_EQ(rows[0].replicas, 3);
  EXPECT_DOUBLE_EQ(rows[0].backlog, 3);
  EXPECT_DOUBLE_EQ(rows[0].oldest_age_s, 1);
  EXPECT_EQ(rows[1].desired, 2);  // lag 3 → ceil(3 / 2)
  EXPECT_DOUBLE_EQ(rows[1].backlog, 1);
  EXPECT_EQ(rows[2].desired, 1);
  EXPECT_DOUBLE_EQ(rows[2].backlog, 0);
  EXPECT_EQ(rows[3].desired, 0);
  EXPECT_FALSE(rows[3].active);
  const Summary& s = r->summaries[0];
  EXPECT_DOUBLE_EQ(s.replica_seconds, 3 + 2 + 1 + 0);
  EXPECT_EQ(s.scale_changes, 4);  // 0→3, 3→2, 2→1, 1→0
  EXPECT_EQ(s.max_replicas, 3);
  EXPECT_EQ(s.seconds_over_slo, 0);
}

// Start-up delay: pods exist (and cost replica-seconds) before they work; the oldest job ages.
TEST(Simulate, StartupDelayAgesTheBacklog) {
  SimPool p = Plain();
  p.startup = seconds(3);
  p.params.cooldown = seconds(100);
  auto r = Simulate({p}, {}, {{0, "w", 2}}, PolicyKind::kPoolscaler, seconds(5));
  ASSERT_TRUE(r.ok());
  std::vector<SecondRow> rows = RowsOf(*r, "w");
  EXPECT_EQ(rows[0].replicas, 1);
  EXPECT_DOUBLE_EQ(rows[2].backlog, 2);       // nothing done while the pod starts
  EXPECT_DOUBLE_EQ(rows[2].oldest_age_s, 3);  // > SLO of 2 s
  EXPECT_DOUBLE_EQ(rows[3].backlog, 1);       // ready at t=3
  EXPECT_DOUBLE_EQ(rows[4].backlog, 0);
  EXPECT_EQ(r->summaries[0].seconds_over_slo, 2);  // t=2 (age 3) and t=3 (age 4)
}

TEST(Simulate, FifoAgeFollowsTheFrontOfTheQueue) {
  SimPool p = Plain();
  p.params.max_replicas = 1;
  p.params.cooldown = seconds(100);
  auto r = Simulate({p}, {}, {{0, "w", 1}, {1, "w", 1}, {2, "w", 1}}, PolicyKind::kPoolscaler,
                    seconds(2));
  ASSERT_TRUE(r.ok());
  for (const SecondRow& row : RowsOf(*r, "w")) EXPECT_DOUBLE_EQ(row.backlog, 0) << row.t;
}

// Drain-time mode: 3 slow jobs (5 min each) to drain within 10 min need 2 replicas, where the
// lag rule (threshold 5) gives 1; the first sample has no arrival rate yet, so the lag rule.
TEST(Simulate, DrainTimeModeSizesSlowJobsByWork) {
  SimPool p = Plain();
  p.lag_threshold = 5;
  p.per_replica_rate = 1.0 / 300;
  p.params.drain.per_replica_rate = 1.0 / 300;
  p.params.drain.target_drain = seconds(600);
  p.params.cooldown = seconds(1000);
  auto r = Simulate({p}, {}, {{0, "w", 3}}, PolicyKind::kPoolscaler, seconds(5));
  ASSERT_TRUE(r.ok());
  std::vector<SecondRow> rows = RowsOf(*r, "w");
  EXPECT_EQ(rows[0].desired, 1);
  EXPECT_EQ(rows[0].signal, "w/lag");
  EXPECT_EQ(rows[1].desired, 2);
  EXPECT_EQ(rows[1].signal, "w/drain-time");
}

TEST(Simulate, UnknownPoolInTraceIsAnError) {
  auto r = Simulate({Plain()}, {}, {{7, "ghost", 1}}, PolicyKind::kPoolscaler);
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("pool \"ghost\" (second 7) is not a pool of the config"));
}

TEST(Simulate, TierBudgetIsNeverExceededByPoolscaler) {
  SimPool a = Plain("a"), b = Plain("b");
  for (SimPool* p : {&a, &b}) {
    p->params.tier_group = "gpu";
    p->params.cost.gpus = 1;
  }
  a.params.priority = 1;
  policy::TierGroup g{"gpu", {}};
  g.budget.gpus = 4;
  std::vector<TraceRow> trace = {{0, "a", 20}, {0, "b", 20}};
  auto ours = Simulate({a, b}, {g}, trace, PolicyKind::kPoolscaler, seconds(20));
  ASSERT_TRUE(ours.ok());
  for (const Summary& s : ours->summaries) EXPECT_EQ(s.budget_violations, 0) << s.pool;
  std::vector<SecondRow> rows = RowsOf(*ours, "b");
  EXPECT_EQ(rows[0].desired, 1);  // a (priority 1) takes 3 of the 4 GPUs... b keeps its 1
  EXPECT_THAT(rows[0].limited_by, HasSubstr("budget:gpu"));
  auto keda = Simulate({a, b}, {g}, trace, PolicyKind::kKedaDefault, seconds(20));
  ASSERT_TRUE(keda.ok());
  EXPECT_GT(keda->summaries[0].budget_violations, 0);  // baselines know no budgets
}

// KEDA: the first poll at t=0 sees nothing; the job at t=1 waits for the t=30 poll; the HPA
// then holds the workload; zero comes back only at a poll more than cooldownPeriod (300 s) after
// the last active one.
TEST(KedaDefault, PollingIntervalAndCooldownPeriod) {
  SimPool p = Plain();
  auto r = Simulate({p}, {}, {{1, "w", 1}}, PolicyKind::kKedaDefault, seconds(400));
  ASSERT_TRUE(r.ok());
  std::vector<SecondRow> rows = RowsOf(*r, "w");
  EXPECT_EQ(rows[29].desired, 0);
  EXPECT_EQ(rows[30].desired, 1);
  EXPECT_TRUE(rows[30].active);
  // Last active poll at t=30. KEDA scales to 0 when lastActiveTime + cooldownPeriod is strictly
  // before now (scale_scaledobjects.go): not at the t=330 poll (exactly 300 s), at t=360.
  EXPECT_EQ(rows[359].desired, 1);
  EXPECT_EQ(rows[360].desired, 0);
}

// KPA: a burst ≥ 200 % of ready pods in the 6 s panic window scales up on the next 2 s tick
// and does not scale down while panicking.
TEST(Kpa, PanicScalesUpFastAndHolds) {
  SimPool p = Plain();
  p.params.max_replicas = 100;
  p.per_replica_rate = 0.01;  // slow jobs: the backlog stays
  auto r = Simulate({p}, {}, {{0, "w", 1}, {10, "w", 60}}, PolicyKind::kKpa, seconds(30));
  ASSERT_TRUE(r.ok());
  std::vector<SecondRow> rows = RowsOf(*r, "w");
  EXPECT_EQ(rows[0].desired, 1);  // the activator wakes it at once
  EXPECT_GT(rows[10].desired, 5);
  EXPECT_THAT(rows[10].limited_by, HasSubstr("kpa-panic"));
  for (int t = 11; t < 40; ++t) EXPECT_GE(rows[t].desired, rows[t - 1].desired) << t;
}

TEST(Report, CsvHeadersAndSvg) {
  auto r = Simulate({Plain()}, {}, {{0, "w", 6}}, PolicyKind::kPoolscaler, seconds(1));
  ASSERT_TRUE(r.ok());
  std::string decisions = DecisionsCsv(r->rows);
  EXPECT_THAT(decisions, HasSubstr("t,pool,policy,arrivals,backlog,oldest_age_s,replicas,desired,"
                                   "active,signal,limited_by\n0,w,poolscaler,6,3.000,1,3,3,1,w/lag,"));
  EXPECT_THAT(SummaryCsv(r->summaries),
              HasSubstr("policy,pool,replica_seconds,seconds_over_slo,scale_changes,"
                        "max_replicas,budget_violations"));
  std::string svg = PlotSvg(r->rows);
  EXPECT_THAT(svg, HasSubstr("<svg"));
  EXPECT_THAT(svg, HasSubstr("<polyline"));
  EXPECT_THAT(svg, HasSubstr("</svg>"));
}

}  // namespace
}  // namespace poolscaler::sim
