// The rabbitmq source against a real rabbitmq-server (management plugin on), one broker for the
// whole binary (it takes ~10 s to start), a vhost per test: ready/unacked as messages are
// published, got without ack, acked and requeued, with AMQP and HTTP agreeing on ready; regex
// with sum/max/avg; errors naming what was wrong; the windowed rate under a steady publisher and
// a burst; one AMQP connection shared by sources.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <thread>

#include "poolscaler/config/trigger.h"
#include "poolscaler/sources/rabbitmq.h"
#include "support/eventually.h"
#include "support/rabbitmq_server.h"

namespace poolscaler::testing {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using std::chrono::milliseconds;
using std::chrono::seconds;

RabbitMqServer* g_broker = nullptr;

class BrokerEnvironment : public ::testing::Environment {
 public:
  void SetUp() override { g_broker = RabbitMqServer::Start().release(); }
  void TearDown() override {
    delete g_broker;
    g_broker = nullptr;
  }
};
const auto* const kEnv = ::testing::AddGlobalTestEnvironment(new BrokerEnvironment);

config::SourceSpec Spec(std::map<std::string, std::string> meta) {
  meta["source"] = "rabbitmq";
  auto trigger = config::ParseTrigger(meta, config::Defaults{});
  EXPECT_TRUE(trigger.ok()) << trigger.status();
  return trigger.ok() ? trigger->source : config::SourceSpec{};
}

class RabbitMqTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NE(g_broker, nullptr) << "rabbitmq-server did not start"; }
  std::unique_ptr<sources::Source> Make(std::map<std::string, std::string> meta) {
    auto source = factory_.Create(Spec(std::move(meta)));
    EXPECT_TRUE(source.ok()) << source.status();
    return source.ok() ? std::move(*source) : nullptr;
  }
  static absl::StatusOr<sources::Reading> Sample(sources::Source& s) {
    return s.Sample(RealClock::Instance().Now() + seconds(3));
  }
  // Samples until a sample succeeds (a queue declared a moment ago has no statistics yet).
  static absl::StatusOr<sources::Reading> SampleOk(sources::Source& s) {
    absl::StatusOr<sources::Reading> r;
    Eventually([&] { return (r = Sample(s)).ok(); }, seconds(15), milliseconds(200));
    return r;
  }
  // Waits until `measure` of `s` equals `want`; returns the last value seen (-1 on error).
  static double WaitFor(sources::Source& s, const std::string& measure, double want) {
    double last = -1;
    Eventually([&] {
      auto r = Sample(s);
      last = r.ok() ? r->measures.at(measure) : -1;
      return last == want;
    }, seconds(15), milliseconds(200));
    return last;
  }
  sources::RabbitMqFactory factory_;
};

TEST_F(RabbitMqTest, ReadyAndUnackedThroughPublishGetAckRequeue) {
  ASSERT_TRUE(g_broker->AddVhost("counts"));
  ASSERT_TRUE(g_broker->AddQueue("counts", "work"));
  auto http = Make({{"host", g_broker->http_url() + "/counts"}, {"queueName", "work"}});
  auto amqp = Make({{"host", g_broker->amqp_url("counts")}, {"queueName", "work"}});
  ASSERT_TRUE(http && amqp);
  EXPECT_EQ(http->spec().DefaultMeasure(), "outstanding");  // QueueLength over HTTP
  EXPECT_EQ(amqp->spec().DefaultMeasure(), "ready");        // QueueLength over AMQP
  auto client = AmqpTestClient::Connect(g_broker->amqp_port(), "counts");
  ASSERT_NE(client, nullptr);

  ASSERT_TRUE(client->Publish("work", 10));
  EXPECT_EQ(WaitFor(*amqp, "ready", 10), 10);
  EXPECT_EQ(WaitFor(*http, "ready", 10), 10);
  EXPECT_EQ(Sample(*http)->measures.at("unacked"), 0);

  ASSERT_EQ(client->Get("work", 4), 4);  // consumed, not acked
  EXPECT_EQ(WaitFor(*amqp, "ready", 6), 6);
  EXPECT_EQ(WaitFor(*http, "unacked", 4), 4);
  auto r = Sample(*http);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->measures.at("ready"), 6);
  EXPECT_EQ(r->measures.at("outstanding"), 10);  // in-flight work still counts

  ASSERT_EQ(client->Ack(2), 2);
  EXPECT_EQ(WaitFor(*http, "outstanding", 8), 8);
  EXPECT_EQ(Sample(*http)->measures.at("unacked"), 2);
  // Drain-time counters: 10 published, 2 acknowledged (the broker's counters move with its
  // statistics interval, like the counts above).
  EXPECT_EQ(WaitFor(*http, "completed_total", 2), 2);
  EXPECT_EQ(Sample(*http)->measures.at("arrived_total"), 10);

  ASSERT_EQ(client->Requeue(2), 2);  // back to ready
  EXPECT_EQ(WaitFor(*amqp, "ready", 8), 8);
  EXPECT_EQ(WaitFor(*http, "ready", 8), 8);
  EXPECT_EQ(Sample(*http)->measures.at("unacked"), 0);
  EXPECT_EQ(Sample(*amqp)->measures.at("ready"), Sample(*http)->measures.at("ready"));
}

TEST_F(RabbitMqTest, RegexSumMaxAvg) {
  ASSERT_TRUE(g_broker->AddVhost("regex"));
  auto client = AmqpTestClient::Connect(g_broker->amqp_port(), "regex");
  ASSERT_NE(client, nullptr);
  for (auto [queue, n] : {std::pair{"jobs-a", 3}, {"jobs-b", 5}, {"jobs-c", 10}, {"other", 100}}) {
    ASSERT_TRUE(g_broker->AddQueue("regex", queue));
    ASSERT_TRUE(client->Publish(queue, n));
  }
  auto meta = [](const char* op) {
    return std::map<std::string, std::string>{{"host", g_broker->http_url()}, {"vhostName", "regex"},
                                              {"queueName", "^jobs-"}, {"useRegex", "true"},
                                              {"operation", op}};
  };
  auto sum = Make(meta("sum")), max = Make(meta("max")), avg = Make(meta("avg"));
  ASSERT_TRUE(sum && max && avg);
  EXPECT_EQ(WaitFor(*sum, "ready", 18), 18);
  EXPECT_EQ(WaitFor(*max, "ready", 10), 10);
  EXPECT_EQ(WaitFor(*avg, "ready", 6), 6);
  EXPECT_EQ(Sample(*sum)->measures.at("consumers"), 0);

  // The regex path asks for selected columns: message_stats (the rate counters) must be among them.
  auto meta_rate = meta("sum");
  meta_rate["mode"] = "MessageRate";
  meta_rate["rateWindow"] = "5s";
  auto rate = Make(meta_rate);
  ASSERT_NE(rate, nullptr);
  double publish_rate = 0;
  EXPECT_TRUE(Eventually([&] {
    client->Publish("jobs-a", 5);
    auto r = Sample(*rate);
    publish_rate = r.ok() ? r->measures.at("publish_rate") : 0;
    return publish_rate > 0;
  }, seconds(20), milliseconds(200)));

  auto none = Make({{"host", g_broker->http_url() + "/regex"}, {"queueName", "^nothing"},
                    {"useRegex", "true"}});
  auto r = Sample(*none);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(r.status().message(), AllOf(HasSubstr("^nothing"), HasSubstr("regex")));
}

TEST_F(RabbitMqTest, ErrorsNameWhatWasWrong) {
  ASSERT_TRUE(g_broker->AddVhost("errors"));
  ASSERT_TRUE(g_broker->AddQueue("errors", "q"));
  ASSERT_TRUE(g_broker->AddUser("alice", "right-horse", "errors"));
  const std::string http = "127.0.0.1:" + std::to_string(g_broker->http_port());
  const std::string amqp = "127.0.0.1:" + std::to_string(g_broker->amqp_port());
  for (const std::string scheme : {"http", "amqp"}) {
    SCOPED_TRACE(scheme);
    const std::string hostport = scheme == "http" ? http : amqp;
    // Wrong password, given in the URL: UNAUTHENTICATED, never echoing it.
    auto wrong = Make({{"host", scheme + "://alice:wrong-battery@" + hostport + "/errors"},
                       {"queueName", "q"}});
    ASSERT_NE(wrong, nullptr);
    EXPECT_THAT(wrong->spec().Key() + wrong->spec().Describe() + wrong->spec().name,
                AllOf(Not(HasSubstr("wrong-battery")), Not(HasSubstr("alice"))));
    auto r = Sample(*wrong);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kUnauthenticated) << r.status();
    EXPECT_THAT(r.status().message(), AllOf(HasSubstr("refused the login"),
                                            Not(HasSubstr("wrong-battery")), Not(HasSubstr("alice"))));
    // The right one works.
    auto right = Make({{"host", scheme + "://alice:right-horse@" + hostport + "/errors"},
                       {"queueName", "q"}});
    r = SampleOk(*right);
    EXPECT_TRUE(r.ok()) << r.status();
    // Unknown vhost, unknown queue: NOT_FOUND naming which.
    auto vhost = Make({{"host", scheme + "://" + hostport + "/nosuchvhost"}, {"queueName", "q"}});
    r = Sample(*vhost);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound) << r.status();
    EXPECT_THAT(r.status().message(), AllOf(HasSubstr("vhost \"nosuchvhost\" not found")));
    auto queue = Make({{"host", scheme + "://" + hostport + "/errors"}, {"queueName", "nosuchq"}});
    r = Sample(*queue);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound) << r.status();
    EXPECT_THAT(r.status().message(),
                AllOf(HasSubstr("queue \"nosuchq\" not found in vhost \"errors\"")));
    // And the connection still serves the queue that exists.
    auto ok = Make({{"host", scheme + "://" + hostport + "/errors"}, {"queueName", "q"}});
    r = SampleOk(*ok);
    EXPECT_TRUE(r.ok()) << r.status();
    r = Sample(*queue);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound) << r.status();
    r = Sample(*ok);
    EXPECT_TRUE(r.ok()) << r.status();
  }
}

TEST_F(RabbitMqTest, SourcesOnOneBrokerShareOneAmqpConnection) {
  ASSERT_TRUE(g_broker->AddVhost("shared"));
  ASSERT_TRUE(g_broker->AddQueue("shared", "a"));
  ASSERT_TRUE(g_broker->AddQueue("shared", "b"));
  auto a = Make({{"host", g_broker->amqp_url("shared")}, {"queueName", "a"}});
  auto b = Make({{"host", g_broker->amqp_url("shared")}, {"queueName", "b"}});
  ASSERT_TRUE(a && b);
  EXPECT_TRUE(SampleOk(*a).ok());
  EXPECT_TRUE(SampleOk(*b).ok());
  EXPECT_EQ(factory_.AmqpConnections(), 1u);
  a.reset();
  b.reset();
  EXPECT_EQ(factory_.AmqpConnections(), 0u);
}

// A steady publisher gives a steady rate; a burst raises it once and lets it decay once (no
// flip-flop), because the rate is averaged over the window rather than the broker's last 5 s.
TEST_F(RabbitMqTest, MessageRateIsSteadyAndABurstDoesNotFlap) {
  ASSERT_TRUE(g_broker->AddVhost("rates"));
  ASSERT_TRUE(g_broker->AddQueue("rates", "events"));
  auto source = Make({{"host", g_broker->http_url() + "/rates"}, {"queueName", "events"},
                      {"mode", "MessageRate"}, {"rateWindow", "12s"}});
  ASSERT_NE(source, nullptr);
  EXPECT_EQ(source->spec().DefaultMeasure(), "publish_rate");
  auto client = AmqpTestClient::Connect(g_broker->amqp_port(), "rates");
  ASSERT_NE(client, nullptr);
  std::atomic<bool> stop{false};
  std::atomic<int> published{0};
  std::thread publisher([&] {  // 20 messages per second (fewer if the machine cannot keep up)
    auto next = std::chrono::steady_clock::now();
    while (!stop) {
      if (client->Publish("events", 1)) ++published;
      next += milliseconds(50);
      std::this_thread::sleep_until(next);
    }
  });
  // The rate the publisher really achieved over a span, to compare the broker's figure with.
  struct Span {
    std::chrono::steady_clock::time_point at;
    int count;
  };
  auto mark = [&] { return Span{std::chrono::steady_clock::now(), published.load()}; };
  auto rate_since = [&](const Span& from) {
    Span now = mark();
    return (now.count - from.count) / std::chrono::duration<double>(now.at - from.at).count();
  };
  auto series = [&](std::chrono::milliseconds span) {
    std::vector<double> out;
    auto end = std::chrono::steady_clock::now() + span;
    while (std::chrono::steady_clock::now() < end) {
      auto r = Sample(*source);
      if (r.ok()) out.push_back(r->measures.at("publish_rate"));
      std::this_thread::sleep_for(milliseconds(500));
    }
    return out;
  };
  series(seconds(15));  // fill the window
  Span steady_from = mark();
  std::vector<double> steady = series(seconds(6));
  const double real_rate = rate_since(steady_from);
  ASSERT_FALSE(steady.empty());
  std::string steady_trace;
  for (double v : steady) steady_trace += std::to_string(static_cast<int>(v)) + " ";
  std::printf("[figures] publish_rate, steady %.1f/s published (every 500 ms): %s\n", real_rate,
              steady_trace.c_str());
  // The broker's rate follows what was really published (its statistics are sampled every
  // second, so single readings wander by a few messages per second).
  const double tolerance = std::max(4.0, 0.25 * real_rate);
  for (double v : steady) EXPECT_NEAR(v, real_rate, tolerance) << steady_trace;

  ASSERT_TRUE(AmqpTestClient::Connect(g_broker->amqp_port(), "rates")->Publish("events", 400));
  std::vector<double> after = series(seconds(20));
  stop = true;
  publisher.join();
  // Direction changes beyond 1 msg/s: up (burst enters) then down (burst leaves) at most.
  int reversals = 0, direction = 0;
  for (size_t i = 1; i < after.size(); ++i) {
    double d = after[i] - after[i - 1];
    if (std::abs(d) < 1) continue;
    int dir = d > 0 ? 1 : -1;
    if (direction != 0 && dir != direction) ++reversals;
    direction = dir;
  }
  std::string trace;
  for (double v : after) trace += std::to_string(static_cast<int>(v)) + " ";
  std::printf("publish_rate after a 400-message burst (every 500 ms): %s\n", trace.c_str());
  EXPECT_LE(reversals, 1) << trace;
  EXPECT_GT(*std::max_element(after.begin(), after.end()), 50) << trace;  // the burst shows
  // And leaves with the window: back to the steady rate.
  EXPECT_NEAR(after.back(), real_rate, tolerance) << trace;
}

}  // namespace
}  // namespace poolscaler::testing
