// The external metrics API end to end, as the kube-apiserver's aggregation layer uses it: a real
// redis-server stream (and the kubernetes-resources source against the HTTPS API stub) feeds a
// whole poolscaler; a client presenting the front-proxy client certificate reads discovery and
// metric values, which must be the numbers the KEDA-like gRPC client gets at the same moment,
// as exact Kubernetes quantities. Unknown metrics are 404, a missing selector 400, other methods
// 405, a stale source 503 on both APIs. (Who gets in: external_metrics_auth_test.cc.)
#include <cstdio>

#include "external_metrics_helpers.h"

namespace poolscaler::testing {
namespace {

using ::testing::HasSubstr;
using ExternalMetricsTest = ExternalMetricsFixture;

TEST_F(ExternalMetricsTest, FrontProxyClientGetsThePoolValueTheGrpcApiGets) {
  CreateGroup("orders", "workers");
  AddEntries("orders", 60);  // outstanding 60 → ceil(60 / 5) = 12 replicas
  StartScaler(kConfig);
  const auto started = std::chrono::steady_clock::now();
  std::string why;
  ASSERT_TRUE(Eventually(
      [&] { return Value("poolscaler-pool-desired", "pool=workers", &why) == "12"; }, kWait))
      << why;
  const double first_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  // Same moment: an adapter read, a gRPC read, an adapter read; when both adapter reads agree
  // the gRPC answer in between must be that number.
  int agreed = 0;
  for (int i = 0; i < 20 && agreed < 5; ++i) {
    const std::string before = Value("poolscaler-pool-desired", "pool=workers");
    const double grpc = GrpcValue("workers");
    const std::string after = Value("poolscaler-pool-desired", "pool=workers");
    if (before != after || before.empty()) continue;
    EXPECT_EQ(before, fmt::format("{}", grpc));
    ++agreed;
  }
  EXPECT_EQ(agreed, 5);
  EXPECT_EQ(Value("poolscaler-source-lag", "source=orders"), "60");

  // 3000 entries: the lag is the quantity "3k"; the pool target moves (rate-limited by the
  // default HPA behavior) and the two APIs still agree.
  AddEntries("orders", 2940);
  ASSERT_TRUE(
      Eventually([&] { return Value("poolscaler-source-lag", "source=orders") == "3k"; }, kWait));
  EXPECT_EQ(Value("poolscaler-source-lag", "source=orders,measure=undelivered"), "3k");
  EXPECT_EQ(Value("poolscaler-source-lag", "source=orders,measure=pending"), "0");
  ReadGroup("orders", "workers", 1500);
  ASSERT_TRUE(Eventually(
      [&] { return Value("poolscaler-source-lag", "source=orders,measure=pending") == "1500"; },
      kWait));
  std::string pool_now;
  ASSERT_TRUE(Eventually(
      [&] {
        const std::string before = Value("poolscaler-pool-desired", "pool=workers");
        const double grpc = GrpcValue("workers");
        pool_now = Value("poolscaler-pool-desired", "pool=workers");
        return !before.empty() && before == pool_now && before == fmt::format("{}", grpc);
      },
      kWait));

  // Fractional quantities from the kubernetes-resources source (exact nanocores summed):
  // 250123456n + 1m + 750m over 2 pods.
  std::string cpu_total;
  ASSERT_TRUE(Eventually(
      [&] {
        cpu_total = Value("poolscaler-source-lag", "source=web-usage,measure=cpu_total", &why);
        return cpu_total == "1001123456n";
      },
      kWait))
      << cpu_total << " " << why;
  EXPECT_EQ(Value("poolscaler-source-lag", "source=web-usage,measure=cpu"), "500561728n");
  EXPECT_EQ(Value("poolscaler-source-lag", "source=web-usage,measure=pods"), "2");
  std::printf(
      "[figures] external metrics: first value 12 after %.0f ms from start; 5/5 "
      "adapter-gRPC-adapter reads agreed; lag 3000 -> \"3k\"; pool desired then %s on "
      "both APIs; cpu_total -> \"1001123456n\"\n",
      first_ms, pool_now.c_str());
}

TEST_F(ExternalMetricsTest, DiscoveryDocumentsParseAndListTheMetrics) {
  StartScaler(kConfig);
  httplib::Result apis = Get("/apis", Aggregator());
  ASSERT_TRUE(apis);
  ASSERT_EQ(apis->status, 200);
  json groups = json::parse(apis->body);
  EXPECT_EQ(groups["kind"], "APIGroupList");
  EXPECT_EQ(groups["groups"][0]["preferredVersion"]["groupVersion"],
            "external.metrics.k8s.io/v1beta1");
  httplib::Result group = Get("/apis/external.metrics.k8s.io", Aggregator());
  ASSERT_TRUE(group);
  EXPECT_EQ(json::parse(group->body)["kind"], "APIGroup");
  httplib::Result version = Get("/apis/external.metrics.k8s.io/v1beta1", Aggregator());
  ASSERT_TRUE(version);
  ASSERT_EQ(version->status, 200);
  EXPECT_EQ(version->get_header_value("Content-Type"), "application/json");
  json list = json::parse(version->body);
  EXPECT_EQ(list["kind"], "APIResourceList");
  EXPECT_EQ(list["groupVersion"], "external.metrics.k8s.io/v1beta1");
  std::vector<std::string> names;
  for (const json& r : list["resources"]) {
    names.push_back(r["name"]);
    EXPECT_EQ(r["kind"], "ExternalMetricValueList");
    EXPECT_EQ(r["namespaced"], true);
    EXPECT_EQ(r["verbs"], json::array({"get"}));
  }
  EXPECT_THAT(names, ::testing::ElementsAre("poolscaler-pool-desired", "poolscaler-source-lag"));

  json unknown = ParseStatus(
      Get(std::string(kMetricPath) + "poolscaler-nope?labelSelector=pool%3Dx", Aggregator()), 404);
  EXPECT_EQ(unknown["reason"], "NotFound");
  EXPECT_THAT(unknown["message"].get<std::string>(), HasSubstr("metric \"poolscaler-nope\""));
  json no_selector =
      ParseStatus(Get(std::string(kMetricPath) + "poolscaler-pool-desired", Aggregator()), 400);
  EXPECT_EQ(no_selector["reason"], "BadRequest");
  httplib::SSLClient post("127.0.0.1", scaler_->external_metrics_port(),
                          pki_.Path("aggregator.crt"), pki_.Path("aggregator.key"));
  post.set_ca_cert_path(pki_.Path("serving.crt").c_str());
  post.enable_server_certificate_verification(true);
  json method = ParseStatus(post.Post("/apis", Caller().headers, "{}", "application/json"), 405);
  EXPECT_EQ(method["reason"], "MethodNotAllowed");
}

TEST_F(ExternalMetricsTest, StaleSourceIsServiceUnavailableOnBothApis) {
  CreateGroup("orders", "workers");
  AddEntries("orders", 23);
  StartScaler(kConfig);
  ASSERT_TRUE(
      Eventually([&] { return Value("poolscaler-pool-desired", "pool=workers") == "5"; }, kWait));
  const auto stopped = std::chrono::steady_clock::now();
  redis_->Stop();
  const std::string lag =
      std::string(kMetricPath) + "poolscaler-source-lag?labelSelector=source%3Dorders";
  ASSERT_TRUE(Eventually(
      [&] {
        httplib::Result r = Get(lag, Aggregator());
        return r && r->status == 503;
      },
      kWait));
  const double unavailable_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - stopped).count();
  json stale = ParseStatus(Get(lag, Aggregator()), 503);
  EXPECT_EQ(stale["reason"], "ServiceUnavailable");
  EXPECT_THAT(stale["message"].get<std::string>(), HasSubstr("source orders: failing for"));
  ASSERT_TRUE(Eventually(
      [&] {
        httplib::Result r =
            Get(std::string(kMetricPath) + "poolscaler-pool-desired?labelSelector=pool%3Dworkers",
                Aggregator());
        return r && r->status == 503;
      },
      kWait));
  externalscaler::GetMetricsResponse out;
  grpc::Status grpc = keda_->GetMetrics(KedaClient::Ref({{"pool", "workers"}}), "", &out);
  EXPECT_EQ(grpc.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_GE(MetricValue("poolscaler_external_metrics_requests_total{code=\"503\",resource="
                        "\"poolscaler-source-lag\"}"),
            1);
  std::printf("[figures] external metrics: redis stopped -> 503 after %.0f ms (staleAfter 1s)\n",
              unavailable_ms);
}

}  // namespace
}  // namespace poolscaler::testing
