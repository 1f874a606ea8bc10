// ObserveReplicas: the workload's replica count (scale.spec.replicas) as the policy's "current
// replicas": the window seed after a restart, counts no decision explains (kubectl scale), and
// counts the workload passes through on its way to a decision. Time is simulated: At(s).
#include <gtest/gtest.h>

#include "poolscaler/policy/policy.h"

namespace poolscaler::policy {
namespace {

TimePoint At(double seconds) { return TimePoint{} + FromSeconds(1000 + seconds); }
const Duration kSettle = std::chrono::seconds(70);

SignalInput Lag(double value) { return {"orders/outstanding", value, 1, 0}; }

// HPA default rates, a 120 s scale-down window, no tolerance.
PoolParams Params() {
  PoolParams p;
  p.min_replicas = 0;
  p.max_replicas = 100;
  p.cooldown = std::chrono::seconds(30);
  p.behavior.scale_down.stabilization_window = std::chrono::seconds(120);
  p.behavior.scale_up.tolerance = p.behavior.scale_down.tolerance = 0;
  return p;
}

class Pool {
 public:
  Observation Observe(double t, int64_t replicas) {
    return ObserveReplicas(params_, history_, replicas, At(t), kSettle);
  }
  int64_t Step(double t, double backlog) {
    Evaluation e = Evaluate(params_, {Lag(backlog)}, history_, At(t));
    history_ = e.history;
    return e.decision.desired;
  }
  const PoolHistory& history() const { return history_; }
  PoolHistory& mutable_history() { return history_; }
  PoolParams params_ = Params();

 private:
  PoolHistory history_;
};

TEST(ObserveReplicas, ARestartSeedsTheWindowWithTheWorkloadsCount) {
  // The case: 20 replicas, the backlog cut to 2 replicas of work, poolscaler restarted.
  Pool p;
  EXPECT_EQ(p.Observe(0, 20), Observation::kSeeded);
  EXPECT_TRUE(p.history().active);
  for (double t = 0; t < 120; t += 5) {
    ASSERT_EQ(p.Step(t, 2), 20) << "at " << t << " s, inside the window";
    EXPECT_EQ(p.Observe(t + 1, 20), Observation::kUnchanged);
  }
  // After the window the rate policy (-100 % per 15 s) lets it go to 2 at once.
  EXPECT_EQ(p.Step(121, 2), 2);
}

TEST(ObserveReplicas, WithoutASeedTheRestartedPoolDropsAtOnce) {
  // The behaviour the seed fixes, kept as a test so the difference stays visible.
  Pool p;
  EXPECT_EQ(p.Step(0, 2), 2);
}

TEST(ObserveReplicas, AnIdleWorkloadSeedsZeroAndStaysInactive) {
  Pool p;
  EXPECT_EQ(p.Observe(0, 0), Observation::kSeeded);
  EXPECT_FALSE(p.history().active);
  EXPECT_EQ(p.Step(1, 0), 0);
}

TEST(ObserveReplicas, ASeededPoolKeepsItsCooldownFromTheRestart) {
  Pool p;
  p.Observe(0, 5);
  EXPECT_EQ(p.Step(1, 0), 5);  // idle queue, but the cooldown (30 s) runs from the restart
  EXPECT_TRUE(p.history().active);
  p.Step(31, 0);
  EXPECT_FALSE(p.history().active);
}

TEST(ObserveReplicas, AManualScaleIsAdoptedAndRatesStartFromIt) {
  Pool p;
  p.Observe(0, 20);
  EXPECT_EQ(p.Step(0, 20), 20);
  EXPECT_EQ(p.Observe(10, 30), Observation::kAdopted);  // kubectl scale --replicas=30
  EXPECT_EQ(p.history().behavior.current, 30);
  // Demand 200: scale-up from 30 is max(+100 %, +4) per 15 s = 60, not 40 (from 20).
  EXPECT_EQ(p.Step(11, 200), 60);
}

TEST(ObserveReplicas, TheWorkloadCatchingUpIsNotNews) {
  Pool p;
  p.Observe(0, 4);
  EXPECT_EQ(p.Step(0, 40), 8);  // +100 % from 4
  // KEDA/HPA have not applied 8 yet: the workload still says 4.
  EXPECT_EQ(p.Observe(1, 4), Observation::kUnchanged);
  EXPECT_EQ(p.Step(1, 40), 8);  // not pulled back to 4 by a stale count
  EXPECT_EQ(p.Observe(12, 8), Observation::kExplained);
  EXPECT_EQ(p.Step(16, 40), 16);
  // A count on its way to a recent target is explained too.
  EXPECT_EQ(p.Observe(20, 8), Observation::kUnchanged);
  EXPECT_EQ(p.Observe(25, 16), Observation::kExplained);
  EXPECT_EQ(p.history().behavior.current, 16);
}

TEST(ObserveReplicas, AnOldTargetNoLongerExplainsACount) {
  Pool p;
  p.Observe(0, 10);
  p.Step(0, 10);
  p.Step(1, 15);  // target 15
  p.Observe(2, 15);
  // 200 s later someone sets 10 again: target 10 was decided long before the settle time.
  EXPECT_EQ(p.Observe(200, 10), Observation::kAdopted);
  EXPECT_EQ(p.history().behavior.current, 10);
}

TEST(ObserveReplicas, NegativeCountsAreZero) {
  Pool p;
  p.Observe(0, -3);
  EXPECT_EQ(p.history().behavior.current, 0);
  EXPECT_EQ(p.history().observed, 0);
}

TEST(ObserveReplicas, RecentTargetsStayBounded) {
  Pool p;
  p.Observe(0, 1);
  for (int i = 0; i < 200; ++i) p.Step(i * 20.0, 1 + (i % 7) * 3);
  EXPECT_LE(p.history().recent_targets.size(), kRecentTargets);
}

TEST(ObserveReplicas, NamesAreStable) {
  EXPECT_STREQ(ObservationName(Observation::kSeeded), "seeded");
  EXPECT_STREQ(ObservationName(Observation::kAdopted), "adopted");
  EXPECT_STREQ(ObservationName(Observation::kExplained), "explained");
  EXPECT_STREQ(ObservationName(Observation::kUnchanged), "unchanged");
}

// Targets restored from history (a previous process's poolscaler_pool_desired_replicas): the
// window holds the highest of them until a full window after it was served.
TEST(RestoreTargets, TheWindowHoldsWhatWasServedBeforeTheRestart) {
  Pool pool;
  PoolHistory& h = pool.mutable_history();
  // The backlog fell at 40 s; the window kept serving 20 until the restart at 100 s.
  std::vector<std::pair<TimePoint, int64_t>> served;
  for (double t = 0; t <= 95; t += 5) served.emplace_back(At(t), 20);
  ASSERT_TRUE(RestoreTargets(pool.params_, h, served, At(100)));
  EXPECT_EQ(h.behavior.current, 20);
  EXPECT_TRUE(h.active);
  EXPECT_EQ(pool.Step(100, 2), 20);
  // Held until 120 s after the last 20 served (95 s): the restored window counts from what was
  // served, so a scale-down held at the restart is held a little longer, never shorter.
  EXPECT_EQ(pool.Step(214, 2), 20);
  EXPECT_EQ(pool.Step(216, 2), 2);
}

TEST(RestoreTargets, NothingToRestoreOrATargetAlreadyDecidedChangesNothing) {
  Pool pool;
  PoolHistory& h = pool.mutable_history();
  EXPECT_FALSE(RestoreTargets(pool.params_, h, {}, At(0)));
  EXPECT_FALSE(h.behavior.current);
  pool.Step(0, 3);
  EXPECT_FALSE(RestoreTargets(pool.params_, h, {{At(-5), 50}}, At(1)));
  EXPECT_EQ(h.behavior.current, 3);
}

TEST(RestoreTargets, TargetsOlderThanTheWindowHoldNothing) {
  Pool pool;
  PoolHistory& h = pool.mutable_history();
  ASSERT_TRUE(RestoreTargets(pool.params_, h, {{At(0), 20}, {At(10), 0}}, At(200)));
  EXPECT_FALSE(h.active);
  EXPECT_EQ(pool.Step(200, 2), 2);
}

}  // namespace
}  // namespace poolscaler::policy
