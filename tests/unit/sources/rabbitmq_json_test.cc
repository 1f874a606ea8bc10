// The management API decoders and the rate window behind MessageRate.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "poolscaler/sources/counter_window.h"
#include "poolscaler/sources/rabbitmq_json.h"

namespace poolscaler::sources {
namespace {

using ::testing::HasSubstr;
using std::chrono::seconds;

TEST(RabbitMqJsonTest, DecodesAQueue) {
  auto q = DecodeQueue(R"({"name":"jobs","messages_ready":10,"messages_unacknowledged":4,
      "consumers":2,"message_stats":{"publish":138,"publish_details":{"rate":55.0},
      "deliver_get":124,"ack":120,"ack_details":{"rate":2.5}}})");
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(q->name, "jobs");
  EXPECT_EQ(q->ready, 10);
  EXPECT_EQ(q->unacked, 4);
  EXPECT_EQ(q->consumers, 2);
  EXPECT_EQ(q->publish_count, 138);
  EXPECT_EQ(q->deliver_get_count, 124);
  EXPECT_EQ(q->publish_rate, 55);
  EXPECT_EQ(q->ack_rate, 2.5);
  EXPECT_EQ(q->deliver_get_rate, 0);
}

TEST(RabbitMqJsonTest, AQueueWithoutStatisticsHasNoCounts) {
  auto q = DecodeQueue(R"({"name":"fresh","durable":true})");
  ASSERT_TRUE(q.ok());
  EXPECT_FALSE(q->ready.has_value());
  EXPECT_EQ(q->publish_count, 0);
}

TEST(RabbitMqJsonTest, MalformedInputIsNamed) {
  EXPECT_THAT(DecodeQueue("nope").status().message(), HasSubstr("not JSON"));
  EXPECT_THAT(DecodeQueue("[]").status().message(), HasSubstr("not a JSON object"));
  EXPECT_THAT(DecodeQueue(R"({"messages_ready":1})").status().message(), HasSubstr("name"));
  EXPECT_THAT(DecodeQueue(R"({"name":"q","messages_ready":-1})").status().message(),
              HasSubstr("messages_ready"));
  EXPECT_THAT(DecodeQueueList(R"([{"name":"a"},{"x":1}])").status().message(),
              HasSubstr("item 1"));
}

TEST(RabbitMqJsonTest, ListsPlainAndPaginated) {
  auto plain = DecodeQueueList(R"([{"name":"a","messages_ready":1},{"name":"b"}])");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->size(), 2u);
  auto paged = DecodeQueueList(R"({"items":[{"name":"a"}],"page":1})");
  ASSERT_TRUE(paged.ok());
  EXPECT_EQ(paged->size(), 1u);
  EXPECT_EQ(ManagementErrorReason(R"({"error":"Object Not Found","reason":"Not Found"})"),
            "Not Found");
  EXPECT_EQ(ManagementErrorReason("<html>"), "");
}

TimePoint At(double s) { return TimePoint() + FromSeconds(1000 + s); }

// The broker refreshes the counter every 5 s; we sample every second. A steady 20/s gives 20.
TEST(CounterWindowTest, SteadyRateThroughSteps) {
  CounterWindow w(seconds(12));
  EXPECT_FALSE(w.Rate().has_value());
  for (int t = 0; t <= 60; ++t) {
    w.Add(At(t), 100.0 * (t / 5));
    if (t >= 12) {
      ASSERT_TRUE(w.Rate().has_value()) << t;
      EXPECT_NEAR(*w.Rate(), 20, 0.01) << t;
    }
  }
}

// A burst raises the average once and lets it fall once: no flip-flop.
TEST(CounterWindowTest, BurstRisesOnceAndFallsOnce) {
  CounterWindow w(seconds(12));
  std::vector<double> rates;
  for (int t = 0; t <= 90; ++t) {
    double count = 100.0 * (t / 5) + (t >= 40 ? 400 : 0);
    w.Add(At(t), count);
    if (t >= 30) rates.push_back(w.Rate().value_or(-1));
  }
  int reversals = 0, direction = 0;
  for (size_t i = 1; i < rates.size(); ++i) {
    double d = rates[i] - rates[i - 1];
    if (std::abs(d) < 0.5) continue;
    int dir = d > 0 ? 1 : -1;
    if (direction != 0 && dir != direction) ++reversals;
    direction = dir;
  }
  EXPECT_LE(reversals, 1);
  EXPECT_NEAR(rates.front(), 20, 0.01);
  EXPECT_NEAR(rates.back(), 20, 0.01);
  EXPECT_GT(*std::max_element(rates.begin(), rates.end()), 40);
}

TEST(CounterWindowTest, StoppedPublisherDecaysToZero) {
  CounterWindow w(seconds(10));
  for (int t = 0; t <= 30; ++t) w.Add(At(t), 100.0 * (t / 5));
  EXPECT_NEAR(*w.Rate(), 20, 0.01);
  double last = 20;
  for (int t = 31; t <= 70; ++t) {
    w.Add(At(t), 600);
    double r = *w.Rate();
    EXPECT_LE(r, last + 1e-9) << t;
    last = r;
  }
  EXPECT_EQ(last, 0);
}

TEST(CounterWindowTest, CounterResetRestarts) {
  CounterWindow w(seconds(10));
  for (int t = 0; t <= 20; ++t) w.Add(At(t), 10.0 * t);
  EXPECT_NEAR(*w.Rate(), 10, 0.01);
  w.Add(At(21), 5);  // broker restarted
  EXPECT_FALSE(w.Rate().has_value());
  w.Add(At(22), 15);
  EXPECT_NEAR(*w.Rate(), 10, 0.01);
}

}  // namespace
}  // namespace poolscaler::sources
