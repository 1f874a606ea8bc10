// The external metrics API end to end, as the kube-apiserver's aggregation layer uses it: a real
// redis-server stream (and the kubernetes-resources source against the HTTPS API stub) feeds a
// whole poolscaler; an HTTPS client presenting a front-proxy client certificate (certificates
// made with the openssl CLI at test time) reads discovery and metric values, which must be the
// numbers the KEDA-like gRPC client gets at the same moment. Clients without a certificate, with
// a certificate from another CA, with a CN not allowed or without X-Remote-User are refused;
// unknown metrics are 404, a stale source 503, renewed serving certificates are served without
// a restart, and every request is counted.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "support/kube_api_stub.h"
#include "support/pki.h"
#include "support/scaler_fixture.h"

namespace poolscaler::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using nlohmann::json;

// Generous for sanitizer builds on a loaded 2-core machine; a pass takes well under a second.
constexpr std::chrono::milliseconds kWait{20000};
constexpr char kAllowedCn[] = "front-proxy-client";
constexpr char kHpaUser[] = "system:serviceaccount:kube-system:horizontal-pod-autoscaler";
constexpr char kMetricPath[] = "/apis/external.metrics.k8s.io/v1beta1/namespaces/jobs/";

constexpr char kConfig[] = R"(
sources:
  - name: orders
    type: redis-streams
    address: $REDIS
    stream: orders
    consumerGroup: workers
    sampleInterval: 100ms
    staleAfter: 1s
    timeout: 100ms
  - name: web-usage
    type: kubernetes-resources
    namespace: web
    labelSelector: app=web
    apiServer: $KUBE
    tokenFile: $TOKEN
    caFile: $APICA
    sampleInterval: 200ms
pools:
  - name: workers
    minReplicas: 0
    maxReplicas: 50
    signals:
      - source: orders
        lagThreshold: 5
)";

// `text` %-encoded for a query string (unreserved characters kept).
std::string UrlEncode(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

// Who connects: a client certificate (empty: none) and the headers it sends.
struct Caller {
  std::string cert, key;
  httplib::Headers headers = {{"X-Remote-User", kHpaUser},
                              {"X-Remote-Group", "system:serviceaccounts"}};
};

class ExternalMetricsTest : public ScalerFixture {
 protected:
  void SetUp() override {
    ScalerFixture::SetUp();
    pki_.Ca("serving");
    pki_.Leaf("adapter", "serving", /*server=*/true);
    pki_.Ca("front-proxy");
    pki_.Leaf("aggregator", "front-proxy", /*server=*/false, kAllowedCn);
    pki_.Leaf("stranger", "front-proxy", /*server=*/false, "someone-else");
    pki_.Ca("rogue");
    pki_.Leaf("intruder", "rogue", /*server=*/false, kAllowedCn);
    // Trusted for serving, but not a client CA: its certificates must not get in either.
    pki_.Leaf("serving-client", "serving", /*server=*/false, kAllowedCn);

    ASSERT_TRUE(MakeTestCertificates(kube_dir_));
    stub_ = std::make_unique<StubApiServer>(kube_dir_.path() + "/server.pem",
                                            kube_dir_.path() + "/server.key");
    expansions_["$KUBE"] = stub_->url();
    expansions_["$TOKEN"] = kube_dir_.Write("token", kStubToken);
    expansions_["$APICA"] = kube_dir_.path() + "/ca.pem";
  }
  void TearDown() override {
    ScalerFixture::TearDown();
    stub_.reset();
  }
  void AdjustOptions(runtime::Options& o) override {
    o.external_metrics.listen = "127.0.0.1:0";
    o.external_metrics.tls = {pki_.Path("adapter.crt"), pki_.Path("adapter.key"),
                              pki_.Path("front-proxy.crt")};
    o.external_metrics.allowed_names = {kAllowedCn};
    o.external_metrics.tls_refresh = std::chrono::seconds(1);
  }

  Caller Aggregator() const { return {pki_.Path("aggregator.crt"), pki_.Path("aggregator.key")}; }
  Caller With(const std::string& name) const {
    return {pki_.Path(name + ".crt"), pki_.Path(name + ".key")};
  }

  // One GET over a fresh connection that verifies the server against `trust` (a CA file name).
  httplib::Result Get(const std::string& path, const Caller& who,
                      const std::string& trust = "serving.crt") const {
    httplib::SSLClient client("127.0.0.1", scaler_->external_metrics_port(), who.cert, who.key);
    client.set_ca_cert_path(pki_.Path(trust).c_str());
    client.enable_server_certificate_verification(true);
    client.set_connection_timeout(5, 0);
    client.set_read_timeout(5, 0);
    return client.Get(path.c_str(), who.headers);
  }

  // The single item's value of `metric` for `selector`, or "" (with the reason in *why).
  std::string Value(const std::string& metric, const std::string& selector,
                    std::string* why = nullptr) const {
    httplib::Result res =
        Get(kMetricPath + metric + "?labelSelector=" + UrlEncode(selector),
            Aggregator());
    if (!res || res->status != 200) {
      if (why) *why = res ? res->body : httplib::to_string(res.error());
      return "";
    }
    json j = json::parse(res->body);
    if (j["kind"] != "ExternalMetricValueList" || j["items"].size() != 1) return "";
    return j["items"][0]["value"];
  }

  double GrpcValue(const std::string& pool) {
    externalscaler::GetMetricsResponse out;
    grpc::Status st = keda_->GetMetrics(KedaClient::Ref({{"pool", pool}}), "", &out);
    return st.ok() && out.metricvalues_size() == 1 ? out.metricvalues(0).metricvaluefloat() : -1;
  }

  Pki pki_{dir_};
  TempDir kube_dir_;
  std::unique_ptr<StubApiServer> stub_;
};

json ParseStatus(const httplib::Result& res, int code) {
  EXPECT_TRUE(res) << "no answer";
  if (!res) return json::object();
  EXPECT_EQ(res->status, code) << res->body;
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  json j = json::parse(res->body);
  EXPECT_EQ(j["kind"], "Status");
  EXPECT_EQ(j["apiVersion"], "v1");
  EXPECT_EQ(j["status"], "Failure");
  EXPECT_EQ(j["code"], code);
  return j;
}

TEST_F(ExternalMetricsTest, FrontProxyClientGetsThePoolValueTheGrpcApiGets) {
  CreateGroup("orders", "workers");
  AddEntries("orders", 60);  // outstanding 60 → ceil(60 / 5) = 12 replicas
  StartScaler(kConfig);
  const auto started = std::chrono::steady_clock::now();
  std::string why;
  ASSERT_TRUE(Eventually([&] { return Value("poolscaler-pool-desired", "pool=workers", &why) == "12"; },
                         kWait))
      << why;
  const double first_ms = std::chrono::duration<double, std::milli>(
                              std::chrono::steady_clock::now() - started).count();
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
  ASSERT_TRUE(Eventually([&] { return Value("poolscaler-source-lag", "source=orders") == "3k"; },
                         kWait));
  EXPECT_EQ(Value("poolscaler-source-lag", "source=orders,measure=undelivered"), "3k");
  EXPECT_EQ(Value("poolscaler-source-lag", "source=orders,measure=pending"), "0");
  ReadGroup("orders", "workers", 1500);
  ASSERT_TRUE(Eventually(
      [&] { return Value("poolscaler-source-lag", "source=orders,measure=pending") == "1500"; },
      kWait));
  std::string pool_now;
  ASSERT_TRUE(Eventually([&] {
    const std::string before = Value("poolscaler-pool-desired", "pool=workers");
    const double grpc = GrpcValue("workers");
    pool_now = Value("poolscaler-pool-desired", "pool=workers");
    return !before.empty() && before == pool_now && before == fmt::format("{}", grpc);
  }, kWait));

  // Fractional quantities from the kubernetes-resources source (exact nanocores summed):
  // 250123456n + 1m + 750m over 2 pods.
  std::string cpu_total;
  ASSERT_TRUE(Eventually([&] {
    cpu_total = Value("poolscaler-source-lag", "source=web-usage,measure=cpu_total", &why);
    return cpu_total == "1001123456n";
  }, kWait)) << cpu_total << " " << why;
  EXPECT_EQ(Value("poolscaler-source-lag", "source=web-usage,measure=cpu"), "500561728n");
  EXPECT_EQ(Value("poolscaler-source-lag", "source=web-usage,measure=pods"), "2");
  std::printf("[figures] external metrics: first value 12 after %.0f ms from start; 5/5 "
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

  json unknown = ParseStatus(Get(std::string(kMetricPath) + "poolscaler-nope?labelSelector=pool%3Dx",
                                 Aggregator()), 404);
  EXPECT_EQ(unknown["reason"], "NotFound");
  EXPECT_THAT(unknown["message"].get<std::string>(), HasSubstr("metric \"poolscaler-nope\""));
  json no_selector = ParseStatus(Get(std::string(kMetricPath) + "poolscaler-pool-desired",
                                     Aggregator()), 400);
  EXPECT_EQ(no_selector["reason"], "BadRequest");
  httplib::SSLClient post("127.0.0.1", scaler_->external_metrics_port(),
                          pki_.Path("aggregator.crt"), pki_.Path("aggregator.key"));
  post.set_ca_cert_path(pki_.Path("serving.crt").c_str());
  post.enable_server_certificate_verification(true);
  json method = ParseStatus(post.Post("/apis", Caller().headers, "{}", "application/json"), 405);
  EXPECT_EQ(method["reason"], "MethodNotAllowed");
}

TEST_F(ExternalMetricsTest, OnlyFrontProxyCertificatesWithAUserGetIn) {
  StartScaler(kConfig);
  const std::string version = "/apis/external.metrics.k8s.io/v1beta1";
  ASSERT_TRUE(Eventually([&] {
    httplib::Result r = Get(version, Aggregator());
    return r && r->status == 200;
  }, kWait));

  // No client certificate: 401 Status (health checks need none).
  json none = ParseStatus(Get(version, Caller()), 401);
  EXPECT_EQ(none["reason"], "Unauthorized");
  EXPECT_THAT(none["message"].get<std::string>(),
              HasSubstr("a client certificate signed by the requestheader client CA is required"));
  // A bearer token is not a way in, and is never echoed.
  Caller bearer;
  bearer.headers.emplace("Authorization", "Bearer s3cr3t-token-value");
  httplib::Result with_token = Get(version, bearer);
  json token = ParseStatus(with_token, 401);
  EXPECT_THAT(token["message"].get<std::string>(), HasSubstr("bearer tokens"));
  ASSERT_TRUE(with_token);
  EXPECT_THAT(with_token->body, Not(HasSubstr("s3cr3t")));
  // Certificates from another CA (also the serving CA) end the TLS handshake: no answer at all.
  const char* rejected = "poolscaler_external_metrics_client_certificates_rejected_total";
  const double rejected_before = MetricValue(rejected);
  EXPECT_FALSE(Get(version, With("intruder"))) << "a rogue CA's certificate got an answer";
  EXPECT_FALSE(Get(version, With("serving-client"))) << "the serving CA is not a client CA";
  EXPECT_TRUE(Eventually([&] { return MetricValue(rejected) == rejected_before + 2; }, kWait))
      << MetricValue(rejected) << " rejected, " << rejected_before << " before";
  // The front-proxy CA, but a CN not in the allowed names.
  json cn = ParseStatus(Get(version, With("stranger")), 401);
  EXPECT_THAT(cn["message"].get<std::string>(),
              HasSubstr("client certificate CN \"someone-else\" is not one of "
                        "--external-metrics-requestheader-allowed-names"));
  // The right certificate, but no user named by the kube-apiserver.
  Caller anonymous = Aggregator();
  anonymous.headers = {};
  json user = ParseStatus(Get(version, anonymous), 401);
  EXPECT_THAT(user["message"].get<std::string>(), HasSubstr("no X-Remote-User header"));

  for (const char* health : {"/healthz", "/livez", "/readyz"}) {
    httplib::Result r = Get(health, Caller());
    ASSERT_TRUE(r) << health;
    EXPECT_EQ(r->status, 200) << health << ": " << r->body;
    EXPECT_EQ(r->body, "ok\n");
  }
  // And the client must be able to check the server: one not trusting the serving CA fails.
  EXPECT_FALSE(Get(version, Aggregator(), "rogue.crt"));

  EXPECT_GE(MetricValue(
                "poolscaler_external_metrics_requests_total{code=\"401\",resource=\"other\"}"),
            4);
  EXPECT_GE(MetricValue(
                "poolscaler_external_metrics_requests_total{code=\"200\",resource=\"discovery\"}"),
            1);
  EXPECT_GE(MetricValue(
                "poolscaler_external_metrics_requests_total{code=\"200\",resource=\"health\"}"),
            3);
}

TEST_F(ExternalMetricsTest, StaleSourceIsServiceUnavailableOnBothApis) {
  CreateGroup("orders", "workers");
  AddEntries("orders", 23);
  StartScaler(kConfig);
  ASSERT_TRUE(Eventually([&] { return Value("poolscaler-pool-desired", "pool=workers") == "5"; },
                         kWait));
  const auto stopped = std::chrono::steady_clock::now();
  redis_->Stop();
  const std::string lag = std::string(kMetricPath) + "poolscaler-source-lag?labelSelector=source%3Dorders";
  ASSERT_TRUE(Eventually([&] {
    httplib::Result r = Get(lag, Aggregator());
    return r && r->status == 503;
  }, kWait));
  const double unavailable_ms = std::chrono::duration<double, std::milli>(
                                    std::chrono::steady_clock::now() - stopped).count();
  json stale = ParseStatus(Get(lag, Aggregator()), 503);
  EXPECT_EQ(stale["reason"], "ServiceUnavailable");
  EXPECT_THAT(stale["message"].get<std::string>(), HasSubstr("source orders: failing for"));
  ASSERT_TRUE(Eventually([&] {
    httplib::Result r =
        Get(std::string(kMetricPath) + "poolscaler-pool-desired?labelSelector=pool%3Dworkers",
            Aggregator());
    return r && r->status == 503;
  }, kWait));
  externalscaler::GetMetricsResponse out;
  grpc::Status grpc = keda_->GetMetrics(KedaClient::Ref({{"pool", "workers"}}), "", &out);
  EXPECT_EQ(grpc.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_GE(MetricValue("poolscaler_external_metrics_requests_total{code=\"503\",resource="
                        "\"poolscaler-source-lag\"}"),
            1);
  std::printf("[figures] external metrics: redis stopped -> 503 after %.0f ms (staleAfter 1s)\n",
              unavailable_ms);
}

TEST_F(ExternalMetricsTest, RenewedServingCertificateIsServedWithoutARestart) {
  StartScaler(kConfig);
  const std::string version = "/apis/external.metrics.k8s.io/v1beta1";
  ASSERT_TRUE(Get(version, Aggregator()));
  pki_.Ca("serving2");
  pki_.Leaf("adapter2", "serving2", /*server=*/true);
  for (const char* ext : {".key", ".crt"}) {  // replaced by rename, as a Secret volume updates
    ASSERT_EQ(std::rename(pki_.Path(std::string("adapter2") + ext).c_str(),
                          pki_.Path(std::string("adapter") + ext).c_str()),
              0);
  }
  EXPECT_TRUE(Eventually([&] {
    httplib::Result r = Get(version, Aggregator(), "serving2.crt");
    return r && r->status == 200;
  }, kWait)) << "the renewed certificate was never served";
  EXPECT_FALSE(Get(version, Aggregator(), "serving.crt")) << "the old certificate is still served";
  EXPECT_GE(MetricValue("poolscaler_external_metrics_tls_reloads_total{result=\"success\"}"), 1);
}

TEST_F(ExternalMetricsTest, BadOptionsFailStartNamingTheOption) {
  runtime::Options o;
  o.grpc_listen = "127.0.0.1:0";
  o.http_listen = "127.0.0.1:0";
  o.external_metrics.listen = "127.0.0.1:0";
  o.external_metrics.tls = {pki_.Path("adapter.crt"), pki_.Path("adapter.key"), ""};
  absl::Status st = runtime::Runtime(o).Start();
  EXPECT_THAT(std::string(st.message()),
              HasSubstr("--external-metrics-listen needs --external-metrics-requestheader-client-ca"));
  o.external_metrics.tls = {pki_.Path("adapter.crt"), pki_.Path("aggregator.key"),
                            pki_.Path("front-proxy.crt")};
  st = runtime::Runtime(o).Start();
  EXPECT_THAT(std::string(st.message()),
              HasSubstr("--external-metrics-tls-key: \"" + pki_.Path("aggregator.key") +
                        "\" is not the key of the certificate"));
  EXPECT_THAT(std::string(st.message()), Not(HasSubstr("PRIVATE KEY")));
  o.external_metrics.tls = {pki_.Path("adapter.key"), pki_.Path("adapter.key"),
                            pki_.Path("front-proxy.crt")};
  st = runtime::Runtime(o).Start();
  EXPECT_THAT(std::string(st.message()), HasSubstr("--external-metrics-tls-cert: \"" +
                                                       pki_.Path("adapter.key") +
                                                       "\" holds no PEM certificate"));
  o.external_metrics = {};
  o.external_metrics.tls.cert_file = pki_.Path("adapter.crt");
  st = runtime::Runtime(o).Start();
  EXPECT_THAT(std::string(st.message()), HasSubstr("need --external-metrics-listen"));
}

}  // namespace
}  // namespace poolscaler::testing
