// Who gets into the external metrics API: only a client certificate from the requestheader
// (front-proxy) CA with an allowed CN and an X-Remote-User header; no certificate, a bearer token,
// another CA's certificate (the serving CA's too), another CN or no user are refused (a TLS
// failure or 401 Status) and counted. Health checks need no certificate; a broken serving
// certificate file keeps the last good one, a renewed one is served without a restart; bad
// options fail start-up naming the option and file; the `serve` command's flags reach the
// adapter.
#include <csignal>
#include <cstdio>

#include "external_metrics_helpers.h"
#include "support/process.h"

namespace poolscaler::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ExternalMetricsAuthTest = ExternalMetricsFixture;

TEST_F(ExternalMetricsAuthTest, OnlyFrontProxyCertificatesWithAUserGetIn) {
  StartScaler(kConfig);
  const std::string version = "/apis/external.metrics.k8s.io/v1beta1";
  ASSERT_TRUE(Eventually(
      [&] {
        httplib::Result r = Get(version, Aggregator());
        return r && r->status == 200;
      },
      kWait));

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

  EXPECT_GE(
      MetricValue("poolscaler_external_metrics_requests_total{code=\"401\",resource=\"other\"}"),
      4);
  EXPECT_GE(MetricValue(
                "poolscaler_external_metrics_requests_total{code=\"200\",resource=\"discovery\"}"),
            1);
  EXPECT_GE(
      MetricValue("poolscaler_external_metrics_requests_total{code=\"200\",resource=\"health\"}"),
      3);
}

TEST_F(ExternalMetricsAuthTest, RenewedServingCertificateIsServedWithoutARestart) {
  StartScaler(kConfig);
  const std::string version = "/apis/external.metrics.k8s.io/v1beta1";
  ASSERT_TRUE(Get(version, Aggregator()));
  // A broken file is reported and the last good certificate stays in use.
  const std::string good_cert = pki_.Pem("adapter.crt");
  dir_.Write("adapter.crt", "not a certificate\n");
  EXPECT_TRUE(Eventually(
      [&] {
        return MetricValue("poolscaler_external_metrics_tls_reloads_total{result=\"failure\"}") >=
               1;
      },
      kWait));
  httplib::Result still = Get(version, Aggregator(), "serving.crt");
  ASSERT_TRUE(still) << "the last good certificate is no longer served";
  EXPECT_EQ(still->status, 200);
  dir_.Write("adapter.crt", good_cert);

  pki_.Ca("serving2");
  pki_.Leaf("adapter2", "serving2", /*server=*/true);
  for (const char* ext : {".key", ".crt"}) {  // replaced by rename, as a Secret volume updates
    ASSERT_EQ(std::rename(pki_.Path(std::string("adapter2") + ext).c_str(),
                          pki_.Path(std::string("adapter") + ext).c_str()),
              0);
  }
  EXPECT_TRUE(Eventually(
      [&] {
        httplib::Result r = Get(version, Aggregator(), "serving2.crt");
        return r && r->status == 200;
      },
      kWait))
      << "the renewed certificate was never served";
  EXPECT_FALSE(Get(version, Aggregator(), "serving.crt")) << "the old certificate is still served";
  EXPECT_GE(MetricValue("poolscaler_external_metrics_tls_reloads_total{result=\"success\"}"), 1);
}

TEST_F(ExternalMetricsAuthTest, BadOptionsFailStartNamingTheOption) {
  runtime::Options o;
  o.grpc_listen = "127.0.0.1:0";
  o.http_listen = "127.0.0.1:0";
  o.external_metrics.listen = "127.0.0.1:0";
  o.external_metrics.tls = {pki_.Path("adapter.crt"), pki_.Path("adapter.key"), ""};
  absl::Status st = runtime::Runtime(o).Start();
  EXPECT_THAT(
      std::string(st.message()),
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
  EXPECT_THAT(std::string(st.message()),
              HasSubstr("--external-metrics-tls-cert: \"" + pki_.Path("adapter.key") +
                        "\" holds no PEM certificate"));
  o.external_metrics = {};
  o.external_metrics.tls.cert_file = pki_.Path("adapter.crt");
  st = runtime::Runtime(o).Start();
  EXPECT_THAT(std::string(st.message()), HasSubstr("need --external-metrics-listen"));
}

TEST_F(ExternalMetricsAuthTest, ServeFlagsConfigureTheAdapter) {
  const int port = FreeLoopbackPort();
  ASSERT_GT(port, 0);
  Process serve({POOLSCALER_BINARY, "serve", "--grpc-plaintext", "--grpc-listen", "127.0.0.1:0",
                 "--http-listen", "127.0.0.1:0", "--external-metrics-listen",
                 "127.0.0.1:" + std::to_string(port), "--external-metrics-tls-cert",
                 pki_.Path("adapter.crt"), "--external-metrics-tls-key", pki_.Path("adapter.key"),
                 "--external-metrics-requestheader-client-ca", pki_.Path("front-proxy.crt"),
                 "--external-metrics-requestheader-allowed-names", "aggregator,front-proxy-client",
                 "--external-metrics-tls-refresh", "2s"},
                dir_.path());
  const std::string version = "/apis/external.metrics.k8s.io/v1beta1";
  ASSERT_TRUE(Eventually(
      [&] {
        httplib::Result r = GetFrom(port, version, Aggregator());
        return r && r->status == 200;
      },
      kWait))
      << serve.Stderr();
  json cn = ParseStatus(GetFrom(port, version, With("stranger")), 401);
  EXPECT_THAT(cn["message"].get<std::string>(), HasSubstr("CN \"someone-else\""));
  EXPECT_FALSE(GetFrom(port, version, With("intruder")));
  serve.Signal(SIGTERM);
  EXPECT_EQ(serve.Wait(kWait), 0) << serve.Stderr();
  EXPECT_THAT(serve.Stderr(), HasSubstr("\"allowed_names\":\"aggregator,front-proxy-client\""));
}

}  // namespace
}  // namespace poolscaler::testing
