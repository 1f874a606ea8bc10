// poolscaler's own external metrics API (deploy/adapter) registered as the cluster's
// v1beta1.external.metrics.k8s.io APIService, in a cluster without KEDA (scripts/kube up
// --no-keda), driving a plain HorizontalPodAutoscaler (deploy/examples/
// analytics-external-metrics-hpa.yaml) from a real Redis stream. The kube-apiserver's
// aggregation layer proxies the HPA controller's requests to poolscaler with its front-proxy
// client certificate, as in a real cluster.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <string>

#include "kube/kube_e2e.h"
#include "support/pki.h"
#include "support/redis_server.h"

namespace poolscaler::testing {
namespace {

using std::chrono::seconds;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string Base64(const std::string& data) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < data.size(); i += 3) {
    unsigned n = (static_cast<unsigned char>(data[i]) << 16) |
                 (static_cast<unsigned char>(data[i + 1]) << 8) |
                 static_cast<unsigned char>(data[i + 2]);
    out += {k[n >> 18], k[(n >> 12) & 63], k[(n >> 6) & 63], k[n & 63]};
  }
  if (i + 1 == data.size()) {
    unsigned n = static_cast<unsigned char>(data[i]) << 16;
    out += {k[n >> 18], k[(n >> 12) & 63], '=', '='};
  } else if (i + 2 == data.size()) {
    unsigned n = (static_cast<unsigned char>(data[i]) << 16) |
                 (static_cast<unsigned char>(data[i + 1]) << 8);
    out += {k[n >> 18], k[(n >> 12) & 63], k[(n >> 6) & 63], '='};
  }
  return out;
}

class AdapterHpaTest : public KubeE2ETest {};

TEST_F(AdapterHpaTest, PlainHpaOnPoolDesiredThroughTheAggregator) {
  ASSERT_EQ(cluster_->Var("KEDA_VERSION"), "none")
      << "this test needs the cluster without KEDA (fixture kube_nokeda)";
  auto redis = RedisServer::Start();
  ASSERT_TRUE(redis);
  RedisReply r = redis->Command({"XGROUP", "CREATE", "events", "analytics", "$", "MKSTREAM"});
  ASSERT_NE(r.kind, RedisReply::kError) << r.str;

  // The shipped example config, with the test's Redis and no password.
  std::string config = ReadFile(POOLSCALER_SOURCE_DIR "/deploy/examples/poolscaler-config.yaml");
  ASSERT_FALSE(config.empty());
  config = std::regex_replace(config, std::regex("redis\\.analytics\\.svc\\.cluster\\.local:6379"),
                              redis->address());
  config = std::regex_replace(config, std::regex("\\n *passwordEnv: [^\\n]*"), "");
  config = std::regex_replace(config, std::regex("sampleInterval: 5s"), "sampleInterval: 1s");
  config = std::regex_replace(config, std::regex("timeout: 2s"), "timeout: 1s");

  // poolscaler's serving certificate is for the Service the APIService names: the aggregator
  // checks it against the APIService's caBundle with server name <service>.<namespace>.svc.
  Pki pki(dir_);
  pki.Ca("external-metrics");
  pki.Leaf("serving", "external-metrics", true, "poolscaler-external-metrics",
           "DNS:poolscaler-external-metrics.poolscaler.svc,DNS:localhost,IP:127.0.0.1");
  const int em_port = FreeLoopbackPort();
  std::string error;
  auto scaler = PoolscalerProcess::Start(
      config, dir_,
      {"--external-metrics-listen", "127.0.0.1:" + std::to_string(em_port),
       "--external-metrics-tls-cert", pki.Path("serving.crt"),
       "--external-metrics-tls-key", pki.Path("serving.key"),
       "--external-metrics-requestheader-client-ca", cluster_->PkiDir() + "/front-proxy-ca.crt",
       "--external-metrics-requestheader-allowed-names", "front-proxy-client"},
      &error);
  ASSERT_TRUE(scaler) << error;

  // deploy/adapter as shipped, built by kubectl's kustomize, with two patches that stand in for
  // the cluster network (as scripts/kube does for KEDA's metrics server): the Service is an
  // ExternalName for 127.0.0.1 on the adapter's port, and the APIService's caBundle is set
  // (the step deploy/README.md asks of an overlay).
  const std::string overlay = dir_.path() + "/adapter-overlay";
  std::filesystem::create_directories(overlay);
  std::ofstream(overlay + "/kustomization.yaml")
      << "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n"
      << "  - "
      << std::filesystem::relative(POOLSCALER_SOURCE_DIR "/deploy/adapter", overlay).string()
      << "\n"
      << "patches:\n"
      << "  - target: {kind: Service, name: poolscaler-external-metrics}\n"
      << "    patch: |\n"
      << "      - op: replace\n"
      << "        path: /spec\n"
      << "        value: {type: ExternalName, externalName: 127.0.0.1, ports: [{name: https, port: "
      << em_port << "}]}\n"
      << "  - target: {kind: APIService, name: v1beta1.external.metrics.k8s.io}\n"
      << "    patch: |\n"
      << "      - op: replace\n"
      << "        path: /spec/service/port\n"
      << "        value: " << em_port << "\n"
      << "      - op: add\n"
      << "        path: /spec/caBundle\n"
      << "        value: " << Base64(pki.Pem("external-metrics.crt")) << "\n";
  RunResult built =
      cluster_->Kubectl({"kustomize", "--load-restrictor", "LoadRestrictionsNone", overlay});
  ASSERT_EQ(built.code, 0) << built.err;
  Apply(built.out);
  ResetClock();
  ASSERT_TRUE(WaitUntil(
      [&] {
        return cluster_->Condition("apiservice/v1beta1.external.metrics.k8s.io", "",
                                   "Available") == "True";
      },
      seconds(60)))
      << cluster_->Kubectl({"get", "apiservice", "v1beta1.external.metrics.k8s.io", "-o", "yaml"})
             .out
      << scaler->LogTail();
  const double t_available = Now();

  // The HPA example as shipped, on a Deployment at its minReplicas.
  KubeNamespace space(*cluster_, "analytics");
  ASSERT_TRUE(space.ok()) << space.error();
  Apply(DeploymentYaml("analytics", "analytics-worker", 1) + "---\n" +
        ReadFile(POOLSCALER_SOURCE_DIR "/deploy/examples/analytics-external-metrics-hpa.yaml"));

  // What the HPA controller will read, through the aggregator.
  auto raw = [&] {
    return cluster_->Kubectl({"get", "--raw",
                              "/apis/external.metrics.k8s.io/v1beta1/namespaces/analytics/"
                              "poolscaler-pool-desired?labelSelector=pool%3Danalytics"});
  };
  ASSERT_TRUE(WaitUntil([&] { return raw().code == 0; }, seconds(30))) << raw().err;

  ResetClock();
  for (int i = 0; i < 120; ++i) redis->Command({"XADD", "events", "*", "e", "x"});
  // 120 outstanding / 50 per replica → 3.
  auto three = WaitReplicas("analytics", "analytics-worker", [](int n) { return n == 3; },
                            seconds(90));
  ASSERT_TRUE(three) << History("analytics", "analytics-worker") << Describe("analytics")
                     << raw().out << scaler->LogTail();
  RunResult value = raw();
  EXPECT_NE(value.out.find("\"value\":\"3\""), std::string::npos) << value.out;
  for (int i = 0; i < 130; ++i) redis->Command({"XADD", "events", "*", "e", "x"});
  auto five = WaitReplicas("analytics", "analytics-worker", [](int n) { return n == 5; },
                           seconds(90));
  ASSERT_TRUE(five) << History("analytics", "analytics-worker") << Describe("analytics");
  EXPECT_EQ(cluster_->Condition("hpa/analytics-worker", "analytics", "ScalingActive"), "True");
  // The HPA's status reports desired / replicas of the sync that computed it (5/3 = "1667m"
  // right after the scale-up); the next sync, at 5 replicas, reports 1.
  std::optional<std::string> current;
  EXPECT_TRUE(WaitUntil(
      [&] {
        current = cluster_->JsonPath("hpa/analytics-worker", "analytics",
                                     "{.status.currentMetrics[0].external.current.averageValue}");
        return current == "1";
      },
      seconds(30)))
      << current.value_or("?") << Describe("analytics");
  // The adapter counted the aggregator's requests (the HPA's and ours), all authenticated.
  EXPECT_GT(scaler->Metric("poolscaler_external_metrics_requests_total", {"code=\"200\""}), 0);

  char buf[200];
  std::snprintf(buf, sizeof(buf),
                "APIService Available after %.1f s; plain HPA 1 → 3 at %.1f s, → 5 at %.1f s "
                "after the backlog grew (HPA sync %s)",
                t_available, *three, *five - *three, cluster_->Var("HPA_SYNC_PERIOD").c_str());
  Figure("kube adapter hpa", buf);
}

}  // namespace
}  // namespace poolscaler::testing
