// The KEDA-like client against a real redis-server: GetMetricSpec → GetMetrics → IsActive as KEDA
// calls them each polling interval, in raw mode and pool mode, and the errors KEDA sees.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include <nlohmann/json.hpp>

#include "support/scaler_fixture.h"

namespace poolscaler::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class KedaFlowTest : public ScalerFixture {};

// Polls until the answer has status OK and `value` (and, for value 0, the trigger is inactive
// again), or 5 s pass; returns the last poll.
Poll PollUntilValue(KedaClient& keda, const std::map<std::string, std::string>& meta,
                    double value) {
  Poll p;
  Eventually([&] {
    p = keda.PollOnce(meta);
    return p.status.ok() && p.value == value && (value != 0 || !p.active);
  });
  return p;
}

TEST_F(KedaFlowTest, RawModeLagFollowsEntriesReadsAndAcks) {
  StartScaler();
  CreateGroup("jobs", "workers");
  auto meta = RawMeta("jobs", "workers", {{"lagThreshold", "5"}, {"sampleInterval", "100ms"}});

  Poll p = PollUntilValue(*keda_, meta, 0);
  ASSERT_TRUE(p.status.ok()) << p.failed_rpc << ": " << p.status.error_message();
  EXPECT_EQ(p.metric_name, "redis-streams-jobs-workers");
  EXPECT_EQ(p.target, 5);
  EXPECT_FALSE(p.active);
  EXPECT_EQ(p.HpaReplicas(), 0);

  AddEntries("jobs", 12);
  p = PollUntilValue(*keda_, meta, 12);
  EXPECT_EQ(p.value, 12);
  EXPECT_TRUE(p.active);
  EXPECT_EQ(p.HpaReplicas(), 3);

  // Delivered but not acknowledged is still outstanding work.
  std::vector<std::string> taken = ReadGroup("jobs", "workers", 5);
  ASSERT_EQ(taken.size(), 5u);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(keda_->PollOnce(meta).value, 12);

  Ack("jobs", "workers", taken);
  p = PollUntilValue(*keda_, meta, 7);
  EXPECT_EQ(p.HpaReplicas(), 2);

  Ack("jobs", "workers", ReadGroup("jobs", "workers", 100));
  p = PollUntilValue(*keda_, meta, 0);
  EXPECT_EQ(p.value, 0);
  EXPECT_FALSE(p.active);
}

TEST_F(KedaFlowTest, KedaRedisKeysPickTheirMeasure) {
  StartScaler();
  CreateGroup("jobs", "workers");
  AddEntries("jobs", 12);
  ReadGroup("jobs", "workers", 5);  // 7 undelivered, 5 pending
  auto pending = RawMeta("jobs", "workers", {{"pendingEntriesCount", "2"}, {"sampleInterval", "100ms"}});
  auto lag = RawMeta("jobs", "workers", {{"lagCount", "2"}, {"sampleInterval", "100ms"}});
  auto length = RawMeta("jobs", "", {{"streamLength", "4"}, {"sampleInterval", "100ms"}});

  Poll p = PollUntilValue(*keda_, pending, 5);
  EXPECT_EQ(p.target, 2);
  EXPECT_EQ(p.HpaReplicas(), 3);
  EXPECT_EQ(PollUntilValue(*keda_, lag, 7).value, 7);
  p = PollUntilValue(*keda_, length, 12);
  EXPECT_EQ(p.value, 12);
  EXPECT_EQ(p.target, 4);
}

TEST_F(KedaFlowTest, PoolModeServesDesiredReplicasWithTargetOne) {
  StartScaler(R"(
sources:
  - name: jobs
    type: redis-streams
    address: $REDIS
    stream: jobs
    consumerGroup: workers
    sampleInterval: 100ms
pools:
  - name: workers
    minReplicas: 0
    maxReplicas: 4
    signals:
      - source: jobs
        lagThreshold: 10
)");
  CreateGroup("jobs", "workers");
  std::map<std::string, std::string> meta = {{"scalerAddress", "poolscaler:9090"},
                                             {"pool", "workers"}};
  Poll p = PollUntilValue(*keda_, meta, 0);
  ASSERT_TRUE(p.status.ok()) << p.failed_rpc << ": " << p.status.error_message();
  EXPECT_EQ(p.metric_name, "pool-workers");
  EXPECT_EQ(p.target, 1);
  EXPECT_FALSE(p.active);

  AddEntries("jobs", 25);
  p = PollUntilValue(*keda_, meta, 3);
  EXPECT_TRUE(p.active);
  EXPECT_EQ(p.HpaReplicas(), 3);

  AddEntries("jobs", 100);
  p = PollUntilValue(*keda_, meta, 4);
  EXPECT_EQ(p.HpaReplicas(), 4);
  EXPECT_THAT(HttpGet("/pools"), HasSubstr(R"("limitedBy": [
      "max"
    ])"));
  EXPECT_EQ(MetricValue(R"(poolscaler_pool_limited{limit="max",pool="workers"})"), 1);
  EXPECT_EQ(MetricValue(R"(poolscaler_pool_desired_replicas{pool="workers"})"), 4);
  EXPECT_EQ(MetricValue(R"(poolscaler_pool_raw_desired_replicas{pool="workers"})"), 13);
  EXPECT_EQ(MetricValue(R"(poolscaler_source_value{measure="outstanding",source="jobs"})"), 125);
  EXPECT_GE(MetricValue(R"(poolscaler_source_sample_age_seconds{source="jobs"})"), 0);
  EXPECT_GE(MetricValue(R"(poolscaler_grpc_requests_total{code="OK",method="GetMetrics"})"), 3);
}

TEST_F(KedaFlowTest, MetricNameIsMatchedTheWayKedaSendsIt) {
  StartScaler();
  CreateGroup("Jobs", "Workers");
  auto meta = RawMeta("Jobs", "Workers", {{"sampleInterval", "100ms"}});
  ASSERT_TRUE(PollUntilValue(*keda_, meta, 0).status.ok());
  auto ref = KedaClient::Ref(meta);
  externalscaler::GetMetricsResponse resp;
  EXPECT_TRUE(keda_->GetMetrics(ref, "redis-streams-jobs-workers", &resp).ok());
  EXPECT_TRUE(keda_->GetMetrics(ref, "REDIS-STREAMS-JOBS-WORKERS", &resp).ok());
  EXPECT_TRUE(keda_->GetMetrics(ref, "s0-redis-streams-jobs-workers", &resp).ok());
  // A stream with dots: KEDA turns them into dashes before it asks.
  CreateGroup("jobs.parse", "workers");
  auto dotted = RawMeta("jobs.parse", "workers", {{"sampleInterval", "100ms"}});
  ASSERT_TRUE(PollUntilValue(*keda_, dotted, 0).status.ok());
  EXPECT_TRUE(keda_->GetMetrics(KedaClient::Ref(dotted), "redis-streams-jobs-parse-workers", &resp).ok());
  grpc::Status other = keda_->GetMetrics(ref, "something-else", &resp);
  EXPECT_EQ(other.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(other.error_message(), HasSubstr("something-else"));
}

TEST_F(KedaFlowTest, BadMetadataIsInvalidArgumentNamingKeyAndValue) {
  StartScaler();
  externalscaler::GetMetricSpecResponse spec;
  auto bad_number = RawMeta("jobs", "workers", {{"lagThreshold", "five"}});
  grpc::Status st = keda_->GetMetricSpec(KedaClient::Ref(bad_number), &spec);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(st.error_message(), HasSubstr("lagThreshold"));
  EXPECT_THAT(st.error_message(), HasSubstr("five"));

  auto unknown = RawMeta("jobs", "workers", {{"lagTreshold", "5"}});
  st = keda_->GetMetricSpec(KedaClient::Ref(unknown), &spec);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(st.error_message(), HasSubstr("lagTreshold"));

  // A secret delivered through *FromEnv never comes back in an error.
  auto secret = RawMeta("jobs", "workers",
                        {{"passwordFromEnv", "hunter2-very-secret"}, {"sampleInterval", "-1s"}});
  st = keda_->GetMetricSpec(KedaClient::Ref(secret), &spec);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(st.error_message(), HasSubstr("sampleInterval"));
  EXPECT_THAT(st.error_message(), Not(HasSubstr("hunter2")));

  bool active = false;
  st = keda_->IsActive(KedaClient::Ref({{"source", "kafka"}}), &active);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(st.error_message(), HasSubstr("kafka"));
}

TEST_F(KedaFlowTest, UnknownPoolIsNotFound) {
  StartScaler();
  externalscaler::GetMetricSpecResponse spec;
  grpc::Status st = keda_->GetMetricSpec(KedaClient::Ref({{"pool", "nope"}}), &spec);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(st.error_message(), HasSubstr("nope"));
}

TEST_F(KedaFlowTest, MissingGroupIsUnavailableWithTheReason) {
  StartScaler();
  AddEntries("jobs", 1);
  auto meta = RawMeta("jobs", "ghost", {{"sampleInterval", "100ms"}});
  Poll p;
  ASSERT_TRUE(Eventually([&] {
    p = keda_->PollOnce(meta);
    return p.status.error_message().find("ghost") != std::string::npos;
  }));
  EXPECT_EQ(p.status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(p.failed_rpc, "GetMetrics");
}

TEST_F(KedaFlowTest, FiftyScaledObjectsOnOneStreamCostOneQueryPerInterval) {
  StartScaler(R"(
sources:
  - name: jobs
    type: redis-streams
    address: $REDIS
    stream: jobs
    consumerGroup: workers
    sampleInterval: 500ms
pools:
  - name: workers
    maxReplicas: 10
    signals:
      - source: jobs
)");
  CreateGroup("jobs", "workers");
  AddEntries("jobs", 40);
  // 50 ScaledObjects: 25 raw triggers (with different thresholds, so different implicit pools)
  // and 25 pool-mode triggers, all reading the same stream and group.
  std::vector<std::map<std::string, std::string>> triggers;
  for (int i = 0; i < 25; ++i) {
    triggers.push_back(RawMeta("jobs", "workers", {{"lagThreshold", std::to_string(5 + i)},
                                                   {"sampleInterval", "500ms"}}));
    triggers.push_back({{"pool", "workers"}});
  }
  for (const auto& t : triggers) {
    ASSERT_TRUE(PollUntilValue(*keda_, t, t.count("pool") ? 8 : 40).status.ok());  // 40 / 5
  }
  redis_->Command({"CONFIG", "RESETSTAT"});
  auto start = std::chrono::steady_clock::now();
  int polls = 0, failures = 0;
  // At least 3 s (6 sample intervals) and at least 100 polls, however slow the machine.
  auto elapsed = [&] { return std::chrono::steady_clock::now() - start; };
  while ((elapsed() < std::chrono::seconds(3) || polls < 100) &&
         elapsed() < std::chrono::seconds(60)) {
    for (size_t i = 0; i < triggers.size(); ++i) {
      Poll p = keda_->PollOnce(triggers[i], "so-" + std::to_string(i));
      ++polls;
      if (!p.status.ok()) ++failures;
    }
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  long long xinfo = redis_->CommandCalls("xinfo|groups");
  long long xlen = redis_->CommandCalls("xlen");
  double intervals = seconds / 0.5;
  std::printf("[figures] %d KEDA polls (%d RPCs) from 50 ScaledObjects in %.2f s: "
              "%lld XINFO GROUPS + %lld XLEN calls, %.1f sample intervals\n",
              polls, polls * 3, seconds, xinfo, xlen, intervals);
  EXPECT_EQ(failures, 0);
  ASSERT_GE(polls, 100);
  // At most one sample (one XLEN + one XINFO GROUPS, pipelined) per interval, whatever the poll
  // count: the polls read the store, they do not reach the broker. (A loaded machine may fall
  // behind the interval; the sampler's pace itself is proven on a simulated clock.)
  EXPECT_LE(xinfo, static_cast<long long>(intervals) + 2);
  EXPECT_GE(xinfo, 1);
  EXPECT_GT(polls, 10 * xinfo);
  EXPECT_EQ(xlen, xinfo);
}

TEST_F(KedaFlowTest, HealthServiceAndReadiness) {
  StartScaler(R"(
sources:
  - name: jobs
    type: redis-streams
    address: $REDIS
    stream: jobs
    sampleInterval: 100ms
)");
  int status = 0;
  ASSERT_TRUE(Eventually([&] {
    HttpGet("/readyz", &status);
    return status == 200;
  }));
  EXPECT_EQ(HttpGet("/healthz", &status), "ok\n");
  EXPECT_EQ(status, 200);
  EXPECT_EQ(MetricValue(R"(poolscaler_source_up{source="jobs"})"), 1);
}

// Raw triggers nobody polls any more are retired by the maintenance sweep: their pool leaves
// /pools, their source stops being sampled (no more calls reach Redis) and leaves /metrics. A
// config source a raw trigger shares stays. A later poll brings the trigger back.
class RetireIdleTest : public ScalerFixture {
 protected:
  void AdjustOptions(runtime::Options& options) override {
    options.maintenance_interval = std::chrono::milliseconds(200);
  }
  // Pools in /pools with `mode` ("raw" or "pool").
  int PoolsWithMode(const std::string& mode) const {
    nlohmann::json pools = nlohmann::json::parse(HttpGet("/pools"), nullptr, false);
    int n = 0;
    if (pools.is_array()) {
      for (const nlohmann::json& p : pools) n += p.value("mode", "") == mode;
    }
    return n;
  }
  // Sources with a sample-age series in /metrics.
  int SourceSeries() const {
    std::string text = HttpGet("/metrics");
    int n = 0;
    for (size_t at = 0;
         (at = text.find("\npoolscaler_source_sample_age_seconds{", at)) != std::string::npos;
         ++at) {
      ++n;
    }
    return n;
  }
};

TEST_F(RetireIdleTest, IdleRawTriggersAreRetiredAndComeBackOnTheNextPoll) {
  StartScaler(R"(
defaults: {rawSourceIdle: 1s, sampleInterval: 100ms}
sources:
  - {name: jobs, type: redis-streams, address: $REDIS, stream: jobs, consumerGroup: workers}
pools:
  - {name: workers, maxReplicas: 10, signals: [{source: jobs, lagThreshold: 5}]}
)");
  CreateGroup("jobs", "workers");
  CreateGroup("other", "workers");
  AddEntries("other", 6);
  const auto other = RawMeta("other", "workers", {{"lagThreshold", "2"}});
  // The same stream and group as the config source "jobs": sampled by it, not by a second one.
  const auto shared = RawMeta("jobs", "workers", {{"lagThreshold", "2"}});
  ASSERT_TRUE(PollUntilValue(*keda_, other, 6).status.ok());
  ASSERT_TRUE(PollUntilValue(*keda_, shared, 0).status.ok());
  EXPECT_EQ(PoolsWithMode("raw"), 2);
  EXPECT_EQ(SourceSeries(), 2);  // jobs, and the raw source for "other"

  // Nobody polls: after rawSourceIdle (1 s) a sweep (every 200 ms) retires both raw pools and
  // the source only they used. A generous deadline: the order is what is checked.
  auto idle_from = std::chrono::steady_clock::now();
  ASSERT_TRUE(Eventually([&] { return PoolsWithMode("raw") == 0 && SourceSeries() == 1; },
                         std::chrono::seconds(20), std::chrono::milliseconds(100)))
      << HttpGet("/pools");
  const double retired_after =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - idle_from).count();
  std::printf(
      "[figures] idle raw triggers retired %.2f s after the last poll (rawSourceIdle 1s, "
      "sweep every 200ms)\n",
      retired_after);
  EXPECT_GE(retired_after, 0.9);  // never before the idle period
  EXPECT_EQ(PoolsWithMode("pool"), 1);
  EXPECT_GE(MetricValue(R"(poolscaler_source_sample_age_seconds{source="jobs"})"), 0);
  // The retired source is not sampled any more: Redis sees only the config source's calls.
  redis_->Command({"CONFIG", "RESETSTAT"});
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));  // ten intervals of each source
  const long long xinfo = redis_->CommandCalls("xinfo|groups");
  EXPECT_LE(xinfo, 12) << "one source at 100 ms for 1 s, not two";
  EXPECT_GE(xinfo, 1);
  // The config pool never stopped answering.
  Poll pool = keda_->PollOnce({{"pool", "workers"}});
  EXPECT_TRUE(pool.status.ok()) << pool.status.error_message();

  // The next poll of a retired trigger registers it again and answers with the real lag.
  AddEntries("other", 2);
  EXPECT_EQ(PollUntilValue(*keda_, other, 8).value, 8);
  EXPECT_EQ(PoolsWithMode("raw"), 1);
}

}  // namespace
}  // namespace poolscaler::testing
