// Redis going away and coming back, seen through the KEDA-like client: the last good value is
// served until staleAfter, then UNAVAILABLE with the reason (never a made-up 0), and fresh values
// return after a restart without restarting poolscaler.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "support/scaler_fixture.h"

namespace poolscaler::testing {
namespace {

using ::testing::AnyOf;
using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

class ResilienceTest : public ScalerFixture {};

TEST_F(ResilienceTest, RedisStoppedIsUnavailableAfterStaleAfterThenRecovers) {
  StartScaler();
  CreateGroup("jobs", "workers");
  AddEntries("jobs", 8);
  auto meta = RawMeta("jobs", "workers", {{"sampleInterval", "200ms"}, {"staleAfter", "1s"},
                                          {"timeout", "200ms"}});
  ASSERT_TRUE(Eventually([&] {
    Poll p = keda_->PollOnce(meta);
    return p.status.ok() && p.value == 8;
  }));

  auto stopped = Clock::now();
  redis_->Stop();
  // Within staleAfter the last good reading still answers.
  Poll early = keda_->PollOnce(meta);
  EXPECT_TRUE(early.status.ok()) << early.status.error_message();
  EXPECT_EQ(early.value, 8);

  Poll p;
  ASSERT_TRUE(Eventually(
      [&] {
        p = keda_->PollOnce(meta);
        return !p.status.ok();
      },
      std::chrono::seconds(5)));
  double to_unavailable = std::chrono::duration<double>(Clock::now() - stopped).count();
  std::printf("[figures] redis stopped: UNAVAILABLE after %.2f s (staleAfter 1s)\n",
              to_unavailable);
  EXPECT_EQ(p.status.error_code(), grpc::StatusCode::UNAVAILABLE);
  // The reading can go stale between KEDA's GetMetrics and IsActive of one poll.
  EXPECT_THAT(p.failed_rpc, AnyOf("GetMetrics", "IsActive"));
  EXPECT_THAT(p.status.error_message(), HasSubstr(std::to_string(redis_->port())));
  // Not before staleAfter (less one 250 ms interval: the last sample came before the stop); how
  // much later is the figure above (the 5 s wait bounds it).
  EXPECT_GE(to_unavailable, 0.75);
  // IsActive refuses too: KEDA's fallback applies instead of a silent scale-to-zero.
  bool active = true;
  grpc::Status st = keda_->IsActive(KedaClient::Ref(meta), &active);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAVAILABLE);

  // Restart (no persistence: the stream comes back empty and is rebuilt).
  ASSERT_TRUE(redis_->Restart());
  auto restarted = Clock::now();
  CreateGroup("jobs", "workers");
  AddEntries("jobs", 3);
  ASSERT_TRUE(Eventually(
      [&] {
        p = keda_->PollOnce(meta);
        return p.status.ok() && p.value == 3;
      },
      std::chrono::seconds(15)));
  double to_fresh = std::chrono::duration<double>(Clock::now() - restarted).count();
  std::printf("[figures] redis restarted: fresh value after %.2f s\n", to_fresh);
  EXPECT_TRUE(p.active);
}

TEST_F(ResilienceTest, PoolModeDecisionIsUnavailableWhileItsSourceIsDown) {
  StartScaler(R"(
sources:
  - name: jobs
    type: redis-streams
    address: $REDIS
    stream: jobs
    consumerGroup: workers
    sampleInterval: 200ms
    staleAfter: 800ms
    timeout: 200ms
pools:
  - name: workers
    maxReplicas: 10
    signals:
      - source: jobs
)");
  CreateGroup("jobs", "workers");
  AddEntries("jobs", 20);
  std::map<std::string, std::string> meta = {{"pool", "workers"}};
  ASSERT_TRUE(Eventually([&] {
    Poll p = keda_->PollOnce(meta);
    return p.status.ok() && p.value == 4;
  }));
  redis_->Stop();
  Poll p;
  ASSERT_TRUE(Eventually([&] {
    p = keda_->PollOnce(meta);
    return !p.status.ok();
  }));
  EXPECT_EQ(p.status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(p.status.error_message(), HasSubstr("jobs"));
  EXPECT_EQ(MetricValue(R"(poolscaler_pool_decision_available{pool="workers"})"), 0);
  EXPECT_EQ(MetricValue(R"(poolscaler_source_up{source="jobs"})"), 0);
  EXPECT_GE(MetricValue(R"(poolscaler_source_errors_total{code="UNAVAILABLE",source="jobs"})"), 1);
}

}  // namespace
}  // namespace poolscaler::testing
