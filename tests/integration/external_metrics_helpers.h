#pragma once
// The fixture of the external metrics API tests, playing the kube-apiserver's aggregation layer:
// a whole poolscaler (ScalerFixture: real redis-server, KEDA-like gRPC client) with the adapter
// on a free loopback port, the kubernetes-resources source against the HTTPS API stub, and
// certificates made with the openssl CLI at test time: a serving CA, a front-proxy CA with the
// allowed client (CN front-proxy-client) and one with another CN, a rogue CA's client with the
// allowed CN, and a client certificate from the serving CA (trusted for serving only).
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <cctype>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "support/kube_api_stub.h"
#include "support/orders_config.h"
#include "support/pki.h"
#include "support/scaler_fixture.h"

namespace poolscaler::testing {

using nlohmann::json;

// Generous for sanitizer builds on a loaded 2-core machine; a pass takes well under a second.
inline constexpr std::chrono::milliseconds kWait{20000};
inline constexpr char kAllowedCn[] = "front-proxy-client";
inline constexpr char kHpaUser[] = "system:serviceaccount:kube-system:horizontal-pod-autoscaler";
inline constexpr char kMetricPath[] = "/apis/external.metrics.k8s.io/v1beta1/namespaces/jobs/";

inline const std::string kConfig = [] {
  OrdersConfig c;
  c.address = "$REDIS";
  c.orders_keys = "    sampleInterval: 100ms\n    staleAfter: 1s\n    timeout: 100ms\n";
  c.more_sources =
      "  - name: web-usage\n"
      "    type: kubernetes-resources\n"
      "    namespace: web\n"
      "    labelSelector: app=web\n"
      "    apiServer: $KUBE\n"
      "    tokenFile: $TOKEN\n"
      "    caFile: $APICA\n"
      "    sampleInterval: 200ms\n";
  return c.Yaml();
}();

// `text` %-encoded for a query string (unreserved characters kept).
inline std::string UrlEncode(const std::string& text) {
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

class ExternalMetricsFixture : public ScalerFixture {
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
    return GetFrom(scaler_->external_metrics_port(), path, who, trust);
  }
  httplib::Result GetFrom(int port, const std::string& path, const Caller& who,
                          const std::string& trust = "serving.crt") const {
    httplib::SSLClient client("127.0.0.1", port, who.cert, who.key);
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
        Get(kMetricPath + metric + "?labelSelector=" + UrlEncode(selector), Aggregator());
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

// The Status object `res` holds, after checking it answered `code` with a Status's shape.
inline json ParseStatus(const httplib::Result& res, int code) {
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

}  // namespace poolscaler::testing
