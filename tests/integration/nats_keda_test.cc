// The KEDA-like client against a whole poolscaler sampling a real `nats-server -js`: raw mode
// (lag = pending + ack_pending), pool mode with the tiered JOBS example, a server that goes away
// (UNAVAILABLE after staleAfter, fresh values after a restart), and a 3-node cluster whose stream
// leader is killed (lag keeps being right; never a made-up 0).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <thread>

#include "support/nats_server.h"
#include "support/scaler_fixture.h"

namespace poolscaler::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using Clock = std::chrono::steady_clock;

constexpr char kTieredConfig[] = R"(
sources:
  - {name: jobs-small, type: nats-jetstream, servers: [$NATS], stream: JOBS, consumer: parse-small, sampleInterval: 100ms}
  - {name: jobs-large, type: nats-jetstream, natsServer: $NATS, stream: JOBS, consumer: parse-large, sampleInterval: 100ms}
  - {name: jobs-gpu, type: nats-jetstream, natsServer: $NATS, stream: JOBS, consumer: parse-gpu, sampleInterval: 100ms}
pools:
  - name: parse-small
    maxReplicas: 50
    signals: [{source: jobs-small, lagThreshold: 5, activationLagThreshold: 1}]
  - name: parse-large
    maxReplicas: 10
    behavior: {scaleUp: {policies: [{type: Pods, value: 10, periodSeconds: 15}]}}
    signals: [{source: jobs-large, lagThreshold: 5, activationLagThreshold: 1}]
  - name: parse-gpu
    maxReplicas: 5
    signals: [{source: jobs-gpu, lagThreshold: 5, activationLagThreshold: 1}]
)";

class NatsKedaTest : public ScalerFixture {
 protected:
  bool UsesRedis() const override { return false; }
  void SetUp() override {
    ScalerFixture::SetUp();
    nats_ = NatsServer::Start();
    ASSERT_NE(nats_, nullptr);
    expansions_["$NATS"] = nats_->url();
    client_ = NatsClient::Connect(nats_->url());
    ASSERT_NE(client_, nullptr);
    ASSERT_TRUE(client_->AddStream("JOBS", {"jobs.>"}));
    for (const char* tier : {"small", "large", "gpu"}) {
      ASSERT_TRUE(client_->AddPullConsumer("JOBS", std::string("parse-") + tier,
                                           std::string("jobs.parse.") + tier));
    }
  }
  void TearDown() override {
    ScalerFixture::TearDown();
    client_.reset();
    nats_.reset();
  }
  std::map<std::string, std::string> NatsMeta(const std::string& consumer,
                                              std::map<std::string, std::string> extra = {}) {
    std::map<std::string, std::string> m = {{"scalerAddress", "poolscaler.keda:9090"},
                                            {"source", "nats-jetstream"},
                                            {"natsServer", nats_->url()},
                                            {"stream", "JOBS"},
                                            {"consumer", consumer},
                                            {"lagThreshold", "5"},
                                            {"activationLagThreshold", "1"}};
    for (auto& [k, v] : extra) m[k] = v;
    return m;
  }
  std::unique_ptr<NatsServer> nats_;
  std::unique_ptr<NatsClient> client_;
};

Poll PollUntil(KedaClient& keda, const std::map<std::string, std::string>& meta, double value,
               std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  Poll p;
  Eventually(
      [&] {
        p = keda.PollOnce(meta);
        return p.status.ok() && p.value == value;
      },
      timeout);
  return p;
}

TEST_F(NatsKedaTest, RawModeLagIsPendingPlusAckPending) {
  StartScaler();
  auto meta = NatsMeta("parse-small", {{"sampleInterval", "100ms"}});
  Poll p = PollUntil(*keda_, meta, 0);
  ASSERT_TRUE(p.status.ok()) << p.failed_rpc << ": " << p.status.error_message();
  EXPECT_EQ(p.metric_name, "nats-jetstream-jobs-parse-small");
  EXPECT_EQ(p.target, 5);
  EXPECT_FALSE(p.active);

  ASSERT_TRUE(client_->Publish("jobs.parse.small", 12));
  ASSERT_TRUE(client_->Publish("jobs.parse.large", 40));  // another consumer's work
  p = PollUntil(*keda_, meta, 12);
  EXPECT_TRUE(p.active);
  EXPECT_EQ(p.HpaReplicas(), 3);

  ASSERT_EQ(client_->Fetch("JOBS", "parse-small", 5), 5);  // in flight: still work
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(keda_->PollOnce(meta).value, 12);
  ASSERT_EQ(client_->Ack("parse-small", 5), 5);
  p = PollUntil(*keda_, meta, 7);
  EXPECT_EQ(p.HpaReplicas(), 2);

  // A trigger on the stream alone reports its length.
  auto length = NatsMeta("", {{"sampleInterval", "100ms"}});
  length.erase("consumer");
  p = PollUntil(*keda_, length, 52);
  EXPECT_EQ(p.metric_name, "nats-jetstream-jobs");
}

TEST_F(NatsKedaTest, PoolModeTieredJobsExample) {
  StartScaler(kTieredConfig);
  std::map<std::string, std::string> small = {{"scalerAddress", "x:9090"}, {"pool", "parse-small"}};
  std::map<std::string, std::string> large = {{"scalerAddress", "x:9090"}, {"pool", "parse-large"}};
  std::map<std::string, std::string> gpu = {{"scalerAddress", "x:9090"}, {"pool", "parse-gpu"}};
  ASSERT_TRUE(PollUntil(*keda_, small, 0).status.ok());
  ASSERT_TRUE(client_->Publish("jobs.parse.small", 23));   // ceil(23/5) = 5
  ASSERT_TRUE(client_->Publish("jobs.parse.large", 120));  // 24 → max 10
  ASSERT_TRUE(client_->Publish("jobs.parse.gpu", 1));      // 1 is not above activation 1
  Poll p = PollUntil(*keda_, small, 5);
  EXPECT_TRUE(p.active);
  EXPECT_EQ(p.HpaReplicas(), 5);
  p = PollUntil(*keda_, large, 10);
  EXPECT_EQ(p.HpaReplicas(), 10);
  EXPECT_EQ(MetricValue(R"(poolscaler_pool_limited{limit="max",pool="parse-large"})"), 1);
  p = keda_->PollOnce(gpu);
  EXPECT_TRUE(p.status.ok());
  EXPECT_FALSE(p.active);
  ASSERT_TRUE(client_->Publish("jobs.parse.gpu", 1));
  p = PollUntil(*keda_, gpu, 1);
  EXPECT_TRUE(p.active);
  EXPECT_EQ(MetricValue(R"(poolscaler_source_value{measure="pending",source="jobs-small"})"), 23);
  EXPECT_EQ(MetricValue(R"(poolscaler_source_value{measure="ack_pending",source="jobs-small"})"),
            0);
}

TEST_F(NatsKedaTest, MonitoringEndpointKeyIsInvalidArgumentWithTheReason) {
  StartScaler();
  auto meta = NatsMeta("parse-small");
  meta.erase("natsServer");
  meta["natsServerMonitoringEndpoint"] = "nats.nats.svc:8222";
  externalscaler::GetMetricSpecResponse spec;
  grpc::Status st = keda_->GetMetricSpec(KedaClient::Ref(meta), &spec);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(st.error_message(), HasSubstr("natsServerMonitoringEndpoint"));
  EXPECT_THAT(st.error_message(), HasSubstr("use \"natsServer\" with a nats:// URL"));
  // A secret delivered through *FromEnv never comes back in an error.
  meta = NatsMeta("parse-small", {{"passwordFromEnv", "hunter2-very-secret"}});
  st = keda_->GetMetricSpec(KedaClient::Ref(meta), &spec);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(st.error_message(), HasSubstr("userFromEnv"));
  EXPECT_THAT(st.error_message(), Not(HasSubstr("hunter2")));
}

TEST_F(NatsKedaTest, ServerKilledIsUnavailableAfterStaleAfterThenRecovers) {
  StartScaler();
  ASSERT_TRUE(client_->Publish("jobs.parse.small", 8));
  auto meta = NatsMeta("parse-small",
                       {{"sampleInterval", "200ms"}, {"staleAfter", "1s"}, {"timeout", "200ms"}});
  ASSERT_TRUE(PollUntil(*keda_, meta, 8).status.ok());
  client_.reset();

  auto stopped = Clock::now();
  nats_->Kill();
  Poll early = keda_->PollOnce(meta);
  EXPECT_TRUE(early.status.ok()) << early.status.error_message();
  EXPECT_EQ(early.value, 8);
  Poll p;
  ASSERT_TRUE(Eventually(
      [&] {
        p = keda_->PollOnce(meta);
        EXPECT_TRUE(!p.status.ok() || p.value == 8) << "a made-up value: " << p.value;
        return !p.status.ok();
      },
      std::chrono::seconds(5)));
  double to_unavailable = std::chrono::duration<double>(Clock::now() - stopped).count();
  std::printf("[figures] nats killed: UNAVAILABLE after %.2f s (staleAfter 1s): %s\n",
              to_unavailable, p.status.error_message().c_str());
  EXPECT_EQ(p.status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(p.status.error_message(), HasSubstr(std::to_string(nats_->port())));
  // Not before staleAfter (less one 250 ms interval); how much later is the figure above.
  EXPECT_GE(to_unavailable, 0.75);
  bool active = true;
  EXPECT_EQ(keda_->IsActive(KedaClient::Ref(meta), &active).error_code(),
            grpc::StatusCode::UNAVAILABLE);

  // Restart on the same port and store: the stream and its 8 messages come back.
  ASSERT_TRUE(nats_->Restart());
  auto restarted = Clock::now();
  p = PollUntil(*keda_, meta, 8, std::chrono::seconds(15));
  ASSERT_TRUE(p.status.ok()) << p.status.error_message();
  std::printf("[figures] nats restarted: fresh value after %.2f s\n",
              std::chrono::duration<double>(Clock::now() - restarted).count());
  client_ = NatsClient::Connect(nats_->url());
  ASSERT_NE(client_, nullptr);
  ASSERT_TRUE(client_->Publish("jobs.parse.small", 2));
  EXPECT_EQ(PollUntil(*keda_, meta, 10).value, 10);
}

// ---- cluster ----

class NatsClusterKedaTest : public ScalerFixture {
 protected:
  bool UsesRedis() const override { return false; }
};

TEST_F(NatsClusterKedaTest, StreamLeaderKilledLagStaysRightAndNeverZero) {
  auto cluster = NatsCluster::Start();
  ASSERT_NE(cluster, nullptr);
  auto client = NatsClient::Connect(cluster->urls());
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->AddStream("JOBS", {"jobs.>"}, 3));
  ASSERT_TRUE(client->AddPullConsumer("JOBS", "parse-small", "jobs.parse.small", 3));
  ASSERT_TRUE(client->Publish("jobs.parse.small", 30));
  ASSERT_EQ(client->Fetch("JOBS", "parse-small", 10), 10);
  ASSERT_EQ(client->Ack("parse-small", 4), 4);  // 20 pending + 6 ack pending = 26
  StartScaler();
  // poolscaler is pointed at the stream leader only, so killing it also forces nats.c to
  // reconnect to a node it learnt from the cluster (discovered servers).
  std::string leader = client->StreamLeader("JOBS");
  NatsServer* victim = cluster->ByName(leader);
  ASSERT_NE(victim, nullptr) << "leader " << leader;
  std::map<std::string, std::string> meta = {
      {"source", "nats-jetstream"}, {"natsServer", victim->url()}, {"stream", "JOBS"},
      {"consumer", "parse-small"},  {"sampleInterval", "250ms"},   {"staleAfter", "2s"},
      {"timeout", "250ms"},         {"lagThreshold", "5"}};
  ASSERT_TRUE(PollUntil(*keda_, meta, 26).status.ok());
  const std::string age_series =
      "poolscaler_source_sample_age_seconds{source=\"nats-jetstream/127.0.0.1:" +
      std::to_string(victim->port()) + "/JOBS/parse-small\"}";
  ASSERT_GE(MetricValue(age_series), 0);
  std::printf("[figures] cluster: killing stream leader %s (port %d); consumer leader is %s\n",
              leader.c_str(), victim->port(),
              client->ConsumerLeader("JOBS", "parse-small").c_str());
  auto killed = Clock::now();
  victim->Kill();

  // Poll as KEDA would for 8 s: every OK answer must be 26; errors are allowed (fallback).
  int ok = 0, errors = 0, wrong = 0;
  double max_age = 0, max_age_ok = 0;  // of the store's reading; the latter right after an OK
  auto until = Clock::now() + std::chrono::seconds(8);
  while (Clock::now() < until) {
    Poll p = keda_->PollOnce(meta);
    if (!p.status.ok()) {
      if (errors++ % 10 == 0) {
        std::printf("[figures] cluster: %.2f s after the kill: %s\n",
                    std::chrono::duration<double>(Clock::now() - killed).count(),
                    p.status.error_message().c_str());
      }
    } else if (p.value != 26) {
      ++wrong;
      ADD_FAILURE() << "wrong lag " << p.value << " after the leader change";
    } else {
      ++ok;
    }
    const double age = MetricValue(age_series);  // how old the reading in the store is
    max_age = std::max(max_age, age);
    if (p.status.ok()) max_age_ok = std::max(max_age_ok, age);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  client.reset();
  client = NatsClient::Connect(cluster->urls());
  ASSERT_NE(client, nullptr);
  std::string new_leader;
  Eventually([&] { return !(new_leader = client->StreamLeader("JOBS")).empty(); },
             std::chrono::seconds(10), std::chrono::milliseconds(200));
  // New work on the new leader is counted too.
  ASSERT_TRUE(client->Publish("jobs.parse.small", 4));
  auto published = Clock::now();
  Poll p = PollUntil(*keda_, meta, 30, std::chrono::seconds(10));
  EXPECT_TRUE(p.status.ok()) << p.status.error_message();
  double seen_after = std::chrono::duration<double>(Clock::now() - published).count();
  std::printf(
      "[figures] cluster: new leader %s; KEDA polls over 8 s: %d ok (all 26), %d errors, "
      "%d wrong; oldest reading in the store %.2f s, beside an OK answer %.2f s (interval "
      "250ms, staleAfter 2s); then 4 more "
      "published: lag 30 seen after %.2f s\n",
      new_leader.c_str(), ok, errors, wrong, max_age, max_age_ok, seen_after);
  // When the consumer's own leader was on the killed node too, NATS needs a Raft election
  // (seconds) before it answers again, and KEDA gets UNAVAILABLE meanwhile, never a wrong or an
  // old value: an OK answer comes from a reading younger than staleAfter (2 s). The bound adds
  // 2 s for the /metrics read that follows the poll on a loaded machine.
  EXPECT_LT(max_age_ok, 4.0);
  EXPECT_EQ(wrong, 0);
  EXPECT_GT(ok, 0);
  EXPECT_NE(new_leader, leader);
}

}  // namespace
}  // namespace poolscaler::testing
