// Queue lag and CPU in one pool, end to end: a real redis-server stream and the kubernetes-resources
// source (against the HTTPS API stub) feed a whole poolscaler; the KEDA-like client sees the max
// of the two signals, the winner is recorded, and an idle queue takes the pool to 0 although the
// pods' CPU stays busy.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>

#include "support/kube_api_stub.h"
#include "support/scaler_fixture.h"

namespace poolscaler::testing {
namespace {

using ::testing::HasSubstr;

// Generous for sanitizer builds on a loaded machine; a pass takes about half a second.
constexpr std::chrono::milliseconds kWait{15000};

constexpr char kConfig[] = R"(
sources:
  - name: jobs
    type: redis-streams
    address: $REDIS
    stream: jobs
    consumerGroup: workers
    sampleInterval: 100ms
  - name: web-usage
    type: kubernetes-resources
    namespace: web
    labelSelector: app=web
    apiServer: $KUBE
    tokenFile: $TOKEN
    caFile: $CA
    cpuRequest: 500m
    sampleInterval: 500ms
pools:
  - name: web
    minReplicas: 0
    maxReplicas: 20
    # Wide scale-up rates: the lag signal alone may decide first (the CPU signal is known a
    # moment later), and the default max(+100 %, +4) per 15 s would then hold 10 back.
    behavior:
      scaleUp: {policies: [{type: Percent, value: 1000, periodSeconds: 15}]}
    signals:
      - source: jobs
        lagThreshold: 5
      - source: web-usage
        measure: cpu_utilization
        targetUtilization: 50
)";

class ResourcesKedaTest : public ScalerFixture {
 protected:
  void SetUp() override {
    ScalerFixture::SetUp();
    ASSERT_TRUE(MakeTestCertificates(dir_));
    const std::string d = dir_.path() + "/";
    stub_ = std::make_unique<StubApiServer>(d + "server.pem", d + "server.key");
    expansions_["$KUBE"] = stub_->url();
    expansions_["$TOKEN"] = dir_.Write("token", kStubToken);
    expansions_["$CA"] = d + "ca.pem";
  }
  void TearDown() override {
    ScalerFixture::TearDown();
    stub_.reset();
  }
  std::unique_ptr<StubApiServer> stub_;
};

TEST_F(ResourcesKedaTest, MaxOfLagAndCpuWinsAndIdleQueueReachesZero) {
  CreateGroup("jobs", "workers");
  AddEntries("jobs", 10);  // lag asks for ceil(10 / 5) = 2
  StartScaler(kConfig);
  const std::map<std::string, std::string> meta = {{"pool", "web"}};

  // CPU: 2 pods at 100.1% of their 500m request, target 50% → ceil(2 × 2.002) = 5 wins.
  Poll poll;
  ASSERT_TRUE(Eventually([&] {
    poll = keda_->PollOnce(meta);
    return poll.status.ok() && poll.value == 5;
  }, kWait)) << poll.status.error_message() << " value=" << poll.value;
  EXPECT_TRUE(poll.active);
  EXPECT_EQ(MetricValue(R"(poolscaler_pool_winning_signal{pool="web",signal="web-usage/cpu_utilization"})"), 1);
  EXPECT_THAT(HttpGet("/pools"), HasSubstr("web-usage/cpu_utilization"));
  EXPECT_EQ(MetricValue(R"(poolscaler_source_value{measure="pods",source="web-usage"})"), 2);

  // More work: lag asks for ceil(50 / 5) = 10 and wins.
  AddEntries("jobs", 40);
  ASSERT_TRUE(Eventually([&] {
    poll = keda_->PollOnce(meta);
    return poll.status.ok() && poll.value == 10;
  }, kWait)) << poll.value;
  EXPECT_EQ(MetricValue(R"(poolscaler_pool_winning_signal{pool="web",signal="jobs/outstanding"})"), 1);

  // The queue drains; the pods still burn CPU. minReplicas is 0: the pool goes to 0 anyway.
  Ack("jobs", "workers", ReadGroup("jobs", "workers", 50));
  // One poll is GetMetrics then IsActive: an evaluation between the two can give the old value
  // with the new activity, so wait for both to agree.
  ASSERT_TRUE(Eventually([&] {
    poll = keda_->PollOnce(meta);
    return poll.status.ok() && !poll.active && poll.value == 0;
  }, kWait)) << poll.value << " active=" << poll.active;
  EXPECT_EQ(poll.HpaReplicas(), 0);
  EXPECT_EQ(MetricValue(R"(poolscaler_pool_raw_desired_replicas{pool="web"})"), 5);  // CPU's ask
  EXPECT_EQ(MetricValue(R"(poolscaler_pool_limited{limit="inactive",pool="web"})"), 1);
  std::printf("[figures] lag 10 + CPU 100%%/50%% on 2 pods → 5 (cpu wins); lag 50 → 10 (lag wins); "
              "queue drained with CPU still busy → 0, inactive\n");
}

}  // namespace
}  // namespace poolscaler::testing
