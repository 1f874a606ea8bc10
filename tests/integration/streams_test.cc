// Server-streaming RPCs and config reload against a real redis-server: StreamIsActive pushes
// only changes (true within 1 s of the first entry, false only after the cooldown), and
// StreamMetricSpec re-sends the spec when a reload changes it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <mutex>
#include <thread>

#include "health.grpc.pb.h"
#include "support/scaler_fixture.h"

namespace poolscaler::testing {
namespace {

using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

// Reads a server stream on its own thread, recording each message with its arrival time.
template <typename Response>
class StreamRecorder {
 public:
  using Open = std::function<std::unique_ptr<grpc::ClientReader<Response>>(grpc::ClientContext*)>;
  explicit StreamRecorder(Open open) {
    reader_ = open(&ctx_);
    thread_ = std::thread([this] {
      Response r;
      while (reader_->Read(&r)) {
        std::lock_guard lock(mu_);
        messages_.emplace_back(Clock::now(), r);
      }
      grpc::Status st = reader_->Finish();
      std::lock_guard lock(mu_);
      final_ = st;
      ended_ = true;
    });
  }
  ~StreamRecorder() {
    ctx_.TryCancel();
    thread_.join();
  }
  std::vector<std::pair<Clock::time_point, Response>> messages() {
    std::lock_guard lock(mu_);
    return messages_;
  }
  size_t count() { return messages().size(); }
  bool ended() {
    std::lock_guard lock(mu_);
    return ended_;
  }
  grpc::Status final_status() {
    std::lock_guard lock(mu_);
    return final_;
  }

 private:
  grpc::ClientContext ctx_;
  std::unique_ptr<grpc::ClientReader<Response>> reader_;
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::pair<Clock::time_point, Response>> messages_;
  grpc::Status final_;
  bool ended_ = false;
};

constexpr char kPoolConfig[] = R"(
sources:
  - name: jobs
    type: redis-streams
    address: $REDIS
    stream: jobs
    consumerGroup: workers
    sampleInterval: 250ms
pools:
  - name: workers
    maxReplicas: 10
    cooldownSeconds: 2
    signals:
      - source: jobs
        lagThreshold: 5
)";

class StreamsTest : public ScalerFixture {};

TEST_F(StreamsTest, StreamIsActiveSendsChangesOnlyAndHonoursCooldown) {
  StartScaler(kPoolConfig);
  CreateGroup("jobs", "workers");
  auto ref = KedaClient::Ref({{"pool", "workers"}});
  // Let the first sample land so the stream opens with a known state.
  ASSERT_TRUE(Eventually([&] { return keda_->PollOnce({{"pool", "workers"}}).status.ok(); }));

  using Rec = StreamRecorder<externalscaler::IsActiveResponse>;
  Rec rec([&](grpc::ClientContext* ctx) { return keda_->stub().StreamIsActive(ctx, ref); });
  ASSERT_TRUE(Eventually([&] { return rec.count() == 1; }));
  EXPECT_FALSE(rec.messages()[0].second.result());  // once at open

  // Idle for a while: no repeated messages.
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  EXPECT_EQ(rec.count(), 1u);

  auto first_entry = Clock::now();
  AddEntries("jobs", 1);
  ASSERT_TRUE(Eventually([&] { return rec.count() == 2; }, std::chrono::seconds(3)));
  auto msgs = rec.messages();
  EXPECT_TRUE(msgs[1].second.result());
  double to_true = std::chrono::duration<double>(msgs[1].first - first_entry).count();
  std::printf("[figures] StreamIsActive: true %.3f s after the first entry (250ms sampling)\n",
              to_true);
  EXPECT_GT(to_true, 0);  // after the entry; how soon is a figure (the wait above bounds it)

  // More work while active: no message.
  AddEntries("jobs", 3);
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  EXPECT_EQ(rec.count(), 2u);

  auto drained = Clock::now();
  Ack("jobs", "workers", ReadGroup("jobs", "workers", 10));
  ASSERT_TRUE(Eventually([&] { return rec.count() == 3; }, std::chrono::seconds(5)));
  msgs = rec.messages();
  EXPECT_FALSE(msgs[2].second.result());
  double to_false = std::chrono::duration<double>(msgs[2].first - drained).count();
  std::printf("[figures] StreamIsActive: false %.3f s after the queue drained (cooldown 2 s)\n",
              to_false);
  EXPECT_GE(to_false, 1.9);  // not before the cooldown (a slow machine only makes this later)
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(rec.count(), 3u);
}

TEST_F(StreamsTest, StreamMetricSpecFollowsConfigReloads) {
  StartScaler(kPoolConfig);
  CreateGroup("jobs", "workers");
  auto ref = KedaClient::Ref({{"pool", "workers"}});
  using Rec = StreamRecorder<externalscaler::GetMetricSpecResponse>;
  Rec rec([&](grpc::ClientContext* ctx) { return keda_->stub().StreamMetricSpec(ctx, ref); });
  ASSERT_TRUE(Eventually([&] { return rec.count() == 1; }));
  EXPECT_EQ(rec.messages()[0].second.metricspecs(0).metricname(), "pool-workers");
  EXPECT_EQ(rec.messages()[0].second.metricspecs(0).targetsizefloat(), 1);

  // A reload that changes the spec: sent again.
  std::string renamed = kPoolConfig;
  renamed.replace(renamed.find("    maxReplicas"), 0, "    metricName: workers-lag\n");
  WriteConfig(renamed);
  ASSERT_TRUE(Eventually([&] { return rec.count() == 2; }));
  EXPECT_EQ(rec.messages()[1].second.metricspecs(0).metricname(), "workers-lag");
  EXPECT_EQ(MetricValue(R"(poolscaler_config_reloads_total{result="success"})"), 1);

  // A broken file: the last good config keeps serving, the failure is counted, nothing is sent.
  WriteConfig("pools:\n  - name: workers\n    maxReplicas: lots\n");
  ASSERT_TRUE(Eventually(
      [&] { return MetricValue(R"(poolscaler_config_reloads_total{result="failure"})") == 1; }));
  EXPECT_EQ(MetricValue("poolscaler_config_last_reload_successful"), 0);
  externalscaler::GetMetricSpecResponse spec;
  ASSERT_TRUE(keda_->GetMetricSpec(ref, &spec).ok());
  EXPECT_EQ(spec.metricspecs(0).metricname(), "workers-lag");
  int status = 0;
  HttpGet("/readyz", &status);
  EXPECT_EQ(status, 200);
  EXPECT_EQ(rec.count(), 2u);

  // The pool is removed: the stream ends with NOT_FOUND.
  WriteConfig("pools: []\n");
  ASSERT_TRUE(Eventually([&] { return rec.ended(); }));
  EXPECT_EQ(rec.final_status().error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(rec.final_status().error_message(), HasSubstr("workers"));
}

TEST_F(StreamsTest, StreamOnBadMetadataEndsWithInvalidArgument) {
  StartScaler();
  auto ref = KedaClient::Ref({{"source", "redis-streams"}});  // no address, no stream
  using Rec = StreamRecorder<externalscaler::IsActiveResponse>;
  Rec rec([&](grpc::ClientContext* ctx) { return keda_->stub().StreamIsActive(ctx, ref); });
  ASSERT_TRUE(Eventually([&] { return rec.ended(); }));
  EXPECT_EQ(rec.final_status().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(rec.final_status().error_message(), HasSubstr("stream"));
}

TEST_F(StreamsTest, GrpcHealthServiceReportsServing) {
  StartScaler();
  auto health = grpc::health::v1::Health::NewStub(keda_->channel());
  for (const char* service : {"", "externalscaler.ExternalScaler"}) {
    grpc::ClientContext ctx;
    grpc::health::v1::HealthCheckRequest req;
    req.set_service(service);
    grpc::health::v1::HealthCheckResponse resp;
    grpc::Status st = health->Check(&ctx, req, &resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
    EXPECT_EQ(resp.status(), grpc::health::v1::HealthCheckResponse::SERVING) << service;
  }
}

TEST_F(StreamsTest, ShutdownEndsOpenStreams) {
  StartScaler(kPoolConfig);
  CreateGroup("jobs", "workers");
  auto ref = KedaClient::Ref({{"pool", "workers"}});
  ASSERT_TRUE(Eventually([&] { return keda_->PollOnce({{"pool", "workers"}}).status.ok(); }));
  using Rec = StreamRecorder<externalscaler::IsActiveResponse>;
  Rec rec([&](grpc::ClientContext* ctx) { return keda_->stub().StreamIsActive(ctx, ref); });
  ASSERT_TRUE(Eventually([&] { return rec.count() == 1; }));
  auto start = Clock::now();
  scaler_->Stop();
  double took = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("[figures] Stop() with an open stream took %.3f s\n", took);
  // The server ended the stream itself (its status says why), rather than gRPC cancelling it
  // when the shutdown grace ran out.
  ASSERT_TRUE(Eventually([&] { return rec.ended(); }));
  EXPECT_EQ(rec.final_status().error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(rec.final_status().error_message(), HasSubstr("shutting down"));
}

}  // namespace
}  // namespace poolscaler::testing
