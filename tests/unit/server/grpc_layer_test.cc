// The gRPC layer over ScalerCore, in process on a loopback port with KEDA's client calls: the
// integer fields KEDA falls back to are rounded (targetSize never below 1), the float fields
// carry the exact value, statuses keep their codes, and an exception below a handler becomes
// INTERNAL instead of crossing into gRPC.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>

#include "poolscaler/pools/from_config.h"
#include "poolscaler/server/grpc_server.h"
#include "poolscaler/sources/source.h"
#include "support/keda_client.h"
#include "support/manual_clock.h"

namespace poolscaler::server {
namespace {

using ::testing::HasSubstr;

Metadata Raw(const std::string& lag_threshold) {
  return {{"source", "redis-streams"},
          {"address", "127.0.0.1:6399"},
          {"stream", "payments"},
          {"consumerGroup", "billing"},
          {"lagThreshold", lag_threshold}};
}

class GrpcLayerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<config::Config> parsed = config::ParseConfig("sources: []\npools: []\n");
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    cfg_ = std::make_shared<config::Config>(std::move(*parsed));
    ASSERT_TRUE(server_.Start("127.0.0.1:0").ok());
    client_ = std::make_unique<testing::KedaClient>("127.0.0.1:" + std::to_string(server_.port()));
  }
  void TearDown() override { server_.Shutdown(std::chrono::seconds(1)); }

  // Records a lag for the raw trigger's source (as the sampler would) and evaluates.
  void Lag(const Metadata& m, double lag) {
    absl::StatusOr<config::TriggerSpec> t = config::ParseTrigger(m, cfg_->defaults);
    ASSERT_TRUE(t.ok()) << t.status();
    store_.Record(
        t->source.Key(),
        sources::Reading{
            {{"outstanding", lag}, {"pending", 0}, {"undelivered", lag}, {"length", lag}}, ""},
        clock_.Now(), {});
    table_.EvaluateAll(store_, clock_.Now());
  }

  testing::ManualClock clock_;
  std::shared_ptr<const config::Config> cfg_;
  std::atomic<bool> throw_{false};  // read on gRPC's threads
  std::unique_ptr<sources::SourceFactory> factory_ = sources::MakeDefaultFactory();
  sampler::SampleStore store_;
  sampler::Sampler sampler_{store_, clock_, 1};  // never started
  sampler::SourceRegistry registry_{*factory_, sampler_, store_};
  pools::PoolTable table_;
  ScalerCore core_{{[this] {
                      if (throw_) throw std::runtime_error("config store broken");
                      return cfg_;
                    },
                    &registry_, &table_, &store_, &clock_}};
  telemetry::Metrics metrics_{"test"};
  GrpcServer server_{core_, metrics_};
  std::unique_ptr<testing::KedaClient> client_;
};

TEST_F(GrpcLayerTest, TargetsAreRoundedForTheIntegerFieldAndNeverBelowOne) {
  for (const auto& [threshold, size] : std::vector<std::pair<std::string, int64_t>>{
           {"2.5", 3}, {"10", 10}, {"0.6", 1}, {"0.25", 1}, {"7.49", 7}}) {
    externalscaler::GetMetricSpecResponse spec;
    grpc::Status st = client_->GetMetricSpec(testing::KedaClient::Ref(Raw(threshold)), &spec);
    ASSERT_TRUE(st.ok()) << threshold << ": " << st.error_message();
    ASSERT_EQ(spec.metricspecs_size(), 1);
    EXPECT_DOUBLE_EQ(spec.metricspecs(0).targetsizefloat(), std::stod(threshold)) << threshold;
    EXPECT_EQ(spec.metricspecs(0).targetsize(), size) << threshold;
  }
}

TEST_F(GrpcLayerTest, ValuesCarryTheExactFloatAndARoundedInteger) {
  const Metadata m = Raw("10");
  externalscaler::GetMetricSpecResponse spec;
  ASSERT_TRUE(client_->GetMetricSpec(testing::KedaClient::Ref(m), &spec).ok());
  const std::string metric = spec.metricspecs(0).metricname();
  // Before the first sample: UNAVAILABLE, code kept.
  externalscaler::GetMetricsResponse pending;
  EXPECT_EQ(client_->GetMetrics(testing::KedaClient::Ref(m), metric, &pending).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  Lag(m, 35.6);
  externalscaler::GetMetricsResponse values;
  grpc::Status st = client_->GetMetrics(testing::KedaClient::Ref(m), metric, &values);
  ASSERT_TRUE(st.ok()) << st.error_message();
  ASSERT_EQ(values.metricvalues_size(), 1);
  EXPECT_EQ(values.metricvalues(0).metricname(), metric);
  EXPECT_EQ(values.metricvalues(0).metricvalue(), 36);
  EXPECT_DOUBLE_EQ(values.metricvalues(0).metricvaluefloat(), 35.6);
  bool active = false;
  ASSERT_TRUE(client_->IsActive(testing::KedaClient::Ref(m), &active).ok());
  EXPECT_TRUE(active);
}

TEST_F(GrpcLayerTest, BadMetadataIsInvalidArgumentNamingTheKey) {
  externalscaler::GetMetricSpecResponse spec;
  grpc::Status st = client_->GetMetricSpec(testing::KedaClient::Ref(Raw("ten")), &spec);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(st.error_message(), HasSubstr("lagThreshold"));
  externalscaler::GetMetricSpecResponse none;
  st = client_->GetMetricSpec(testing::KedaClient::Ref({{"pool", "gpu"}}), &none);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(st.error_message(), HasSubstr("\"gpu\""));
}

TEST_F(GrpcLayerTest, AnExceptionBelowAHandlerIsInternal) {
  throw_ = true;
  externalscaler::GetMetricSpecResponse spec;
  grpc::Status st = client_->GetMetricSpec(testing::KedaClient::Ref(Raw("10")), &spec);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_THAT(st.error_message(), HasSubstr("internal error: config store broken"));
  bool active = true;
  EXPECT_EQ(client_->IsActive(testing::KedaClient::Ref(Raw("10")), &active).error_code(),
            grpc::StatusCode::INTERNAL);
  // The server goes on answering once the cause is gone.
  throw_ = false;
  EXPECT_TRUE(client_->GetMetricSpec(testing::KedaClient::Ref(Raw("10")), &spec).ok());
}

}  // namespace
}  // namespace poolscaler::server
