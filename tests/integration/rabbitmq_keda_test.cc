// The KEDA-like client against a whole poolscaler sampling a real rabbitmq-server: raw mode
// with KEDA's rabbitmq keys (queue length = ready + unacked over the management API, ready over
// AMQP), pool mode with the automation-center example (2–10 workers, queue-length target), and a
// broker that stops (UNAVAILABLE after staleAfter, never a made-up value) and comes back.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <thread>

#include "support/rabbitmq_server.h"
#include "support/scaler_fixture.h"

namespace poolscaler::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using Clock = std::chrono::steady_clock;

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

// The automation-center example (deploy/examples/automation-center.yaml), on test timing.
constexpr char kAutomationConfig[] = R"(
sources:
  - name: test-runs
    type: rabbitmq
    host: $RABBIT_HTTP/ci
    queueName: test-runs
    sampleInterval: 200ms
pools:
  - name: automation-workers
    minReplicas: 2
    maxReplicas: 10
    signals:
      - {source: test-runs, lagThreshold: 10}
)";

class RabbitMqKedaTest : public ScalerFixture {
 protected:
  bool UsesRedis() const override { return false; }
  void SetUp() override {
    ASSERT_NE(g_broker, nullptr) << "rabbitmq-server did not start";
    ScalerFixture::SetUp();
    expansions_["$RABBIT_HTTP"] = g_broker->http_url();
  }
  std::map<std::string, std::string> Meta(const std::string& host, const std::string& queue,
                                          std::map<std::string, std::string> extra = {}) {
    std::map<std::string, std::string> m = {{"scalerAddress", "poolscaler.keda:9090"},
                                            {"source", "rabbitmq"},
                                            {"host", host},
                                            {"queueName", queue},
                                            {"mode", "QueueLength"},
                                            {"value", "5"},
                                            {"activationValue", "1"},
                                            {"sampleInterval", "200ms"}};
    for (auto& [k, v] : extra) m[k] = v;
    return m;
  }
};

Poll PollUntil(KedaClient& keda, const std::map<std::string, std::string>& meta, double value,
               std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
  Poll p;
  Eventually([&] {
    p = keda.PollOnce(meta);
    return p.status.ok() && p.value == value;
  }, timeout, std::chrono::milliseconds(100));
  return p;
}

TEST_F(RabbitMqKedaTest, RawModeCountsUnackedWorkOverHttpAndReadyOverAmqp) {
  ASSERT_TRUE(g_broker->AddVhost("raw"));
  ASSERT_TRUE(g_broker->AddQueue("raw", "runs"));
  StartScaler();
  // Credentials in the URL, as KEDA's host carries them.
  auto http = Meta("http://guest:guest@127.0.0.1:" + std::to_string(g_broker->http_port()) + "/raw",
                   "runs");
  auto amqp = Meta(g_broker->amqp_url("raw"), "runs");
  Poll p = PollUntil(*keda_, http, 0);
  ASSERT_TRUE(p.status.ok()) << p.failed_rpc << ": " << p.status.error_message();
  EXPECT_EQ(p.metric_name, "rabbitmq-runs");
  EXPECT_EQ(p.target, 5);
  EXPECT_FALSE(p.active);

  auto client = AmqpTestClient::Connect(g_broker->amqp_port(), "raw");
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->Publish("runs", 12));
  p = PollUntil(*keda_, http, 12);
  EXPECT_TRUE(p.active);
  EXPECT_EQ(p.HpaReplicas(), 3);
  EXPECT_EQ(PollUntil(*keda_, amqp, 12).value, 12);

  ASSERT_EQ(client->Get("runs", 5), 5);  // being worked on: still work for the pool
  EXPECT_EQ(PollUntil(*keda_, amqp, 7).value, 7);  // AMQP sees ready only
  std::this_thread::sleep_for(std::chrono::seconds(2));
  p = keda_->PollOnce(http);
  EXPECT_EQ(p.value, 12);
  EXPECT_EQ(p.HpaReplicas(), 3);
  ASSERT_EQ(client->Ack(5), 5);
  p = PollUntil(*keda_, http, 7);
  EXPECT_EQ(p.HpaReplicas(), 2);

  // KEDA's excludeUnacknowledged keeps its meaning.
  ASSERT_EQ(client->Get("runs", 3), 3);
  auto ready_only = Meta(g_broker->http_url() + "/raw", "runs", {{"excludeUnacknowledged", "true"}});
  EXPECT_EQ(PollUntil(*keda_, ready_only, 4).value, 4);
}

TEST_F(RabbitMqKedaTest, WrongPasswordIsUnavailableNamingTheLoginNotThePassword) {
  ASSERT_TRUE(g_broker->AddVhost("auth"));
  ASSERT_TRUE(g_broker->AddQueue("auth", "runs"));
  StartScaler();
  auto meta = Meta(g_broker->http_url() + "/auth", "runs",
                   {{"usernameFromEnv", "guest"}, {"passwordFromEnv", "hunter2-very-wrong"}});
  Poll p;
  // Until the first sample the scaler answers "not evaluated yet"; then the broker's refusal.
  Eventually([&] {
    p = keda_->PollOnce(meta);
    return p.status.error_message().find("refused") != std::string::npos;
  }, std::chrono::seconds(10));
  EXPECT_EQ(p.status.error_code(), grpc::StatusCode::UNAVAILABLE) << p.status.error_message();
  EXPECT_THAT(p.status.error_message(), HasSubstr("refused the login"));
  EXPECT_THAT(p.status.error_message(), Not(HasSubstr("hunter2")));
}

TEST_F(RabbitMqKedaTest, PoolModeAutomationCenterExample) {
  ASSERT_TRUE(g_broker->AddVhost("ci"));
  ASSERT_TRUE(g_broker->AddQueue("ci", "test-runs"));
  StartScaler(kAutomationConfig);
  std::map<std::string, std::string> pool = {{"scalerAddress", "x:9090"},
                                             {"pool", "automation-workers"}};
  Poll p = PollUntil(*keda_, pool, 2);  // minReplicas with an empty queue
  ASSERT_TRUE(p.status.ok()) << p.failed_rpc << ": " << p.status.error_message();
  auto client = AmqpTestClient::Connect(g_broker->amqp_port(), "ci");
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->Publish("test-runs", 45));
  ASSERT_EQ(client->Get("test-runs", 20), 20);  // 25 ready + 20 unacked = 45 → 5 workers
  p = PollUntil(*keda_, pool, 5);
  EXPECT_EQ(p.HpaReplicas(), 5);
  EXPECT_EQ(MetricValue(R"(poolscaler_source_value{measure="unacked",source="test-runs"})"), 20);
  EXPECT_EQ(MetricValue(R"(poolscaler_source_value{measure="ready",source="test-runs"})"), 25);
  ASSERT_TRUE(client->Publish("test-runs", 200));  // 245 → capped at 10
  p = PollUntil(*keda_, pool, 10);
  EXPECT_EQ(p.HpaReplicas(), 10);
}

// Last in this binary: it stops and restarts the shared broker.
TEST_F(RabbitMqKedaTest, BrokerStoppedIsUnavailableAfterStaleAfterThenRecovers) {
  ASSERT_TRUE(g_broker->AddVhost("restart"));
  ASSERT_TRUE(g_broker->AddQueue("restart", "runs"));
  StartScaler();
  auto client = AmqpTestClient::Connect(g_broker->amqp_port(), "restart");
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->Publish("runs", 8));
  client.reset();
  const auto timing = std::map<std::string, std::string>{
      {"sampleInterval", "200ms"}, {"staleAfter", "1s"}, {"timeout", "200ms"}};
  auto http = Meta(g_broker->http_url() + "/restart", "runs", timing);
  auto amqp = Meta(g_broker->amqp_url("restart"), "runs", timing);
  ASSERT_TRUE(PollUntil(*keda_, http, 8).status.ok());
  ASSERT_TRUE(PollUntil(*keda_, amqp, 8).status.ok());

  std::thread stopper([] { g_broker->Stop(); });
  auto stopped = Clock::now();
  for (const auto* meta : {&http, &amqp}) {
    Poll p;
    ASSERT_TRUE(Eventually([&] {
      p = keda_->PollOnce(*meta);
      EXPECT_TRUE(!p.status.ok() || p.value == 8) << "a made-up value: " << p.value;
      return !p.status.ok();
    }, std::chrono::seconds(30)));
    std::printf("[figures] rabbitmq %s stopping: UNAVAILABLE after %.2f s (staleAfter 1s): %s\n",
                meta == &http ? "http" : "amqp",
                std::chrono::duration<double>(Clock::now() - stopped).count(),
                p.status.error_message().c_str());
    EXPECT_EQ(p.status.error_code(), grpc::StatusCode::UNAVAILABLE);
  }
  stopper.join();

  ASSERT_TRUE(g_broker->Restart());
  auto restarted = Clock::now();
  // Transient messages do not survive a restart; the durable queue does.
  client = AmqpTestClient::Connect(g_broker->amqp_port(), "restart");
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->Publish("runs", 3));
  Poll p = PollUntil(*keda_, amqp, 3, std::chrono::seconds(40));
  ASSERT_TRUE(p.status.ok()) << p.status.error_message();
  p = PollUntil(*keda_, http, 3, std::chrono::seconds(40));
  ASSERT_TRUE(p.status.ok()) << p.status.error_message();
  std::printf("[figures] rabbitmq restarted: fresh values (AMQP and HTTP) %.2f s after the "
              "management API answered\n",
              std::chrono::duration<double>(Clock::now() - restarted).count());
}

}  // namespace
}  // namespace poolscaler::testing
