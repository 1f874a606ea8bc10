// Drain-time mode keys of a pool (targetDrainSeconds, perReplicaRate, learnPerReplicaRate,
// rateHalfLifeSeconds): which signals get counters, and the errors that name key and value.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "poolscaler/config/config.h"
#include "unit/config/status_matchers.h"

namespace poolscaler::config {
namespace {

using ::poolscaler::testing::IsOk;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using std::chrono::seconds;

constexpr char kSources[] = R"(sources:
  - {name: orders, type: redis-streams, address: 127.0.0.1:6379, stream: orders, consumerGroup: w}
  - {name: plain, type: redis-streams, address: 127.0.0.1:6379, stream: events}
  - {name: jobs, type: nats-jetstream, natsServer: nats://127.0.0.1:4222, stream: JOBS, consumer: c}
  - {name: runs, type: rabbitmq, host: http://127.0.0.1:15672/ci, queueName: runs}
  - {name: amqp, type: rabbitmq, host: amqp://127.0.0.1:5672/ci, queueName: runs}
  - {name: prom, type: prometheus, serverAddress: http://127.0.0.1:9090, query: up}
pools:
)";

std::vector<std::string> Errors(const std::string& pools) {
  std::vector<std::string> errors;
  absl::StatusOr<Config> c = ParseConfig(kSources + pools, &errors);
  EXPECT_FALSE(c.ok());
  return errors;
}

TEST(DrainConfig, EveryKeyAndTheCounterBindings) {
  auto c = ParseConfig(std::string(kSources) + R"(  - name: p
    targetDrainSeconds: 300
    perReplicaRate: 0.25
    learnPerReplicaRate: true
    rateHalfLifeSeconds: 20
    signals:
      - {source: orders}
      - {source: jobs}
      - {source: runs}
      - {source: prom, threshold: 3}
)");
  ASSERT_THAT(c, IsOk());
  const PoolSpec& p = c->pools[0];
  EXPECT_EQ(p.params.drain.target_drain, seconds(300));
  EXPECT_EQ(p.params.drain.per_replica_rate, 0.25);
  EXPECT_TRUE(p.params.drain.learn_per_replica_rate);
  EXPECT_EQ(p.params.drain.rate_half_life, seconds(20));
  EXPECT_EQ(p.model.per_replica_rate, 0.25);  // simulate's model uses the same key
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(p.signals[i].arrived_measure, "arrived_total") << i;
    EXPECT_EQ(p.signals[i].completed_measure, "completed_total") << i;
  }
  EXPECT_EQ(p.signals[3].arrived_measure, "");  // prometheus: no counters, the lag rule
}

TEST(DrainConfig, OffByDefault) {
  auto c = ParseConfig(std::string(kSources) + "  - {name: p, signals: [{source: orders}]}\n");
  ASSERT_THAT(c, IsOk());
  EXPECT_FALSE(c->pools[0].params.drain.enabled());
  EXPECT_EQ(c->pools[0].signals[0].arrived_measure, "");
}

TEST(DrainConfig, Errors) {
  EXPECT_THAT(Errors("  - {name: p, targetDrainSeconds: 60, signals: [{source: orders}]}\n"),
              ElementsAre(HasSubstr("pools[0].targetDrainSeconds (line 9): drain-time mode needs "
                                    "perReplicaRate (jobs/s one replica finishes) or "
                                    "learnPerReplicaRate: true (value \"60\")")));
  EXPECT_THAT(
      Errors("  - {name: p, targetDrainSeconds: 60, perReplicaRate: 1, signals: [{source: plain},"
             " {source: amqp}, {source: prom}]}\n"),
      ElementsAre(HasSubstr("pools[0].targetDrainSeconds (line 9): no lag signal of this pool "
                            "has a source with arrival counters")));
  EXPECT_THAT(Errors("  - {name: p, learnPerReplicaRate: true, rateHalfLifeSeconds: 5, "
                     "signals: [{source: orders}]}\n"),
              ElementsAre(HasSubstr("pools[0].learnPerReplicaRate (line 9): applies only to "
                                    "drain-time mode: set targetDrainSeconds too"),
                          HasSubstr("pools[0].rateHalfLifeSeconds (line 9): applies only to "
                                    "drain-time mode")));
  EXPECT_THAT(Errors("  - {name: p, targetDrainSeconds: 60, perReplicaRate: 0, "
                     "rateHalfLifeSeconds: 0, signals: [{source: orders}]}\n"),
              ElementsAre(HasSubstr("pools[0].perReplicaRate (line 9)"),
                          HasSubstr("pools[0].rateHalfLifeSeconds (line 9): must be greater "
                                    "than 0 (value \"0\")"),
                          HasSubstr("pools[0].targetDrainSeconds (line 9): drain-time mode "
                                    "needs perReplicaRate")));
}

}  // namespace
}  // namespace poolscaler::config
