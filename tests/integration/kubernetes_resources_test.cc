// The kubernetes-resources source against a local HTTPS server that answers like the API server:
// recorded PodMetricsList/PodList/Status bodies in the real API's JSON shape, bearer-token and
// client-certificate logins, 401/403, 404 for an unknown namespace, pods without metrics and a
// server too slow for the timeout. Certificates are made by the test with the openssl CLI.
// (No Kubernetes API server can run here: this stub checks paths, selectors and credentials.)
#include <httplib.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/escaping.h"
#include "poolscaler/config/source_spec.h"
#include "poolscaler/sources/http_sources.h"
#include "support/eventually.h"
#include "support/kube_api_stub.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace poolscaler::sources {
namespace {

using ::testing::DoubleNear;
using ::testing::HasSubstr;
using poolscaler::testing::StubApiServer;
using poolscaler::testing::TempDir;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class KubernetesResourcesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(poolscaler::testing::MakeTestCertificates(dir_));
    d_ = dir_.path() + "/";
    server_ = std::make_unique<StubApiServer>(d_ + "server.pem", d_ + "server.key");
    token_file_ = dir_.Write("token", std::string(poolscaler::testing::kStubToken) + "\n");
  }

  // An in-cluster style spec pointed at the stub with `apiServer`.
  config::SourceSpec Spec(const std::string& ns, const std::string& selector = "app=web") {
    config::SourceSpec spec;
    spec.name = "web-usage";
    spec.kind = config::kKubernetesResources;
    spec.timeout = std::chrono::milliseconds(500);
    config::KubernetesResourcesParams p;
    p.namespace_name = ns;
    p.label_selector = selector;
    p.api_server = server_->url();
    p.token_file = token_file_;
    p.ca_file = d_ + "ca.pem";
    spec.params = p;
    return spec;
  }
  static config::KubernetesResourcesParams& P(config::SourceSpec& s) {
    return std::get<config::KubernetesResourcesParams>(s.params);
  }
  absl::StatusOr<Reading> SampleOnce(const config::SourceSpec& spec) {
    auto source = factory_.Create(spec);
    EXPECT_TRUE(source.ok()) << source.status();
    return (*source)->Sample(SteadyClock::now() + std::chrono::seconds(2));
  }

  TempDir dir_;
  std::string d_;
  std::unique_ptr<StubApiServer> server_;
  std::string token_file_;
  KubernetesResourcesFactory factory_;
};

TEST_F(KubernetesResourcesTest, PodCountUsageAndUtilizationFromConfiguredRequests) {
  config::SourceSpec spec = Spec("web");
  P(spec).cpu_request_cores = 0.5;
  P(spec).memory_request_bytes = 256.0 * 1024 * 1024;
  absl::StatusOr<Reading> r = SampleOnce(spec);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(server_->last_selector(), "app=web");
  const auto& m = r->measures;
  EXPECT_EQ(m.at("pods"), 2);  // web-3 has no container metrics yet
  EXPECT_DOUBLE_EQ(m.at("cpu_total"), 1.001123456);
  EXPECT_DOUBLE_EQ(m.at("cpu"), 1.001123456 / 2);
  EXPECT_EQ(m.at("memory_total"), 134217728.0 + 10485760 + 268435456);
  EXPECT_DOUBLE_EQ(m.at("memory"), (134217728.0 + 10485760 + 268435456) / 2);
  EXPECT_DOUBLE_EQ(m.at("cpu_utilization"), 100 * 1.001123456 / 1.0);
  EXPECT_THAT(m.at("memory_utilization"), DoubleNear(100 * 413138944.0 / 536870912, 1e-9));
  EXPECT_THAT(r->note, HasSubstr("1 pod(s) without container metrics"));
  std::printf("[figures] web: pods=%g cpu=%g cores/pod cpu_utilization=%g%% memory_utilization=%g%%\n",
              m.at("pods"), m.at("cpu"), m.at("cpu_utilization"), m.at("memory_utilization"));
}

TEST_F(KubernetesResourcesTest, RequestsFromThePodsApi) {
  config::SourceSpec spec = Spec("web");
  P(spec).requests_from_pods = true;
  absl::StatusOr<Reading> r = SampleOnce(spec);
  ASSERT_TRUE(r.ok()) << r.status();
  // Requests of the measured pods only: web-1 600m + 320Mi, web-2 500m + 256Mi.
  EXPECT_DOUBLE_EQ(r->measures.at("cpu_utilization"), 100 * 1.001123456 / 1.1);
  EXPECT_DOUBLE_EQ(r->measures.at("memory_utilization"), 100 * 413138944.0 / (576.0 * 1048576));
  EXPECT_THAT(r->note, HasSubstr("1 running pod(s) without metrics"));
}

TEST_F(KubernetesResourcesTest, NoPodsIsZeroNotAnError) {
  config::SourceSpec spec = Spec("empty");
  P(spec).cpu_request_cores = 0.5;
  absl::StatusOr<Reading> r = SampleOnce(spec);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->measures.at("pods"), 0);
  EXPECT_EQ(r->measures.at("cpu"), 0);
  EXPECT_EQ(r->measures.at("cpu_utilization"), 0);
}

TEST_F(KubernetesResourcesTest, AuthFailuresAndUnknownNamespace) {
  dir_.Write("token", "wrong-token");
  absl::Status st = SampleOnce(Spec("web")).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kUnauthenticated) << st;
  EXPECT_THAT(st.message(), HasSubstr("HTTP 401"));
  EXPECT_THAT(std::string(st.message()), ::testing::Not(HasSubstr("wrong-token")));

  dir_.Write("token", poolscaler::testing::kStubReadOnlyToken);
  st = SampleOnce(Spec("web")).status();
  std::printf("[figures] forbidden: %s\n", st.ToString().c_str());
  EXPECT_EQ(st.code(), absl::StatusCode::kPermissionDenied) << st;
  EXPECT_THAT(st.message(), HasSubstr("cannot list resource"));
  EXPECT_THAT(st.message(), HasSubstr("deploy/rbac-metrics.yaml"));

  dir_.Write("token", poolscaler::testing::kStubToken);
  st = SampleOnce(Spec("nope")).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kNotFound) << st;
  EXPECT_THAT(st.message(), HasSubstr("namespaces \"nope\" not found"));
}

TEST_F(KubernetesResourcesTest, RotatedTokenIsReadAgain) {
  auto source = factory_.Create(Spec("web"));
  ASSERT_TRUE(source.ok());
  auto deadline = [] { return SteadyClock::now() + std::chrono::seconds(2); };
  ASSERT_TRUE((*source)->Sample(deadline()).ok());
  dir_.Write("token", "expired-token");
  EXPECT_EQ((*source)->Sample(deadline()).status().code(), absl::StatusCode::kUnauthenticated);
  dir_.Write("token", poolscaler::testing::kStubToken);
  EXPECT_TRUE((*source)->Sample(deadline()).ok());
}

TEST_F(KubernetesResourcesTest, SlowServerTimesOut) {
  auto started = SteadyClock::now();
  absl::Status st = SampleOnce(Spec("slow")).status();
  double seconds = ToSeconds(SteadyClock::now() - started);
  std::printf("[figures] slow API server, timeout 500ms: %s after %.2f s\n", st.ToString().c_str(),
              seconds);
  EXPECT_EQ(st.code(), absl::StatusCode::kUnavailable) << st;
  // The 500 ms timeout ended the call, not the 2 s deadline nor the stub (which never answers).
  EXPECT_THAT(st.message(), HasSubstr("no answer within 500 ms"));
}

TEST_F(KubernetesResourcesTest, UntrustedServerCertificate) {
  config::SourceSpec spec = Spec("web");
  P(spec).ca_file = "/etc/ssl/certs/ca-certificates.crt";  // the system store does not know it
  absl::Status st = SampleOnce(spec).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kUnavailable) << st;
  EXPECT_THAT(st.message(), HasSubstr("certificate"));
}

TEST_F(KubernetesResourcesTest, InClusterEnvironment) {
  config::SourceSpec spec = Spec("web");
  P(spec).api_server.clear();
  ::setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1", 1);
  ::setenv("KUBERNETES_SERVICE_PORT", std::to_string(server_->port()).c_str(), 1);
  absl::StatusOr<Reading> r = SampleOnce(spec);
  ::unsetenv("KUBERNETES_SERVICE_HOST");
  ::unsetenv("KUBERNETES_SERVICE_PORT");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->measures.at("pods"), 2);
  absl::Status outside = SampleOnce(spec).status();
  EXPECT_EQ(outside.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(outside.message(), HasSubstr("KUBERNETES_SERVICE_HOST"));
}

std::string B64(const std::string& text) { return absl::Base64Escape(text); }

TEST_F(KubernetesResourcesTest, KubeconfigWithTokenAndEmbeddedCa) {
  std::string kubeconfig = dir_.Write("kubeconfig", R"(apiVersion: v1
kind: Config
current-context: test
contexts:
- name: other
  context: {cluster: nowhere, user: nobody}
- name: test
  context: {cluster: stub, user: sa, namespace: web}
clusters:
- name: stub
  cluster:
    server: )" + server_->url() + R"(
    certificate-authority-data: )" + B64(ReadFile(d_ + "ca.pem")) + R"(
users:
- name: sa
  user:
    token: )" + poolscaler::testing::kStubToken + "\n");
  config::SourceSpec spec = Spec("web");
  P(spec) = {};
  P(spec).namespace_name = "web";
  P(spec).label_selector = "app=web";
  P(spec).kubeconfig = kubeconfig;
  absl::StatusOr<Reading> r = SampleOnce(spec);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->measures.at("pods"), 2);
}

TEST_F(KubernetesResourcesTest, KubeconfigWithClientCertificate) {
  StubApiServer mtls(d_ + "server.pem", d_ + "server.key", d_ + "ca.pem");
  auto kubeconfig = [&](const std::string& user) {
    return dir_.Write("kubeconfig", R"(apiVersion: v1
kind: Config
current-context: mtls
contexts:
- name: mtls
  context: {cluster: stub, user: cert}
clusters:
- name: stub
  cluster: {server: ")" + mtls.url() + R"(", certificate-authority: ca.pem}
users:
- name: cert
  user:
)" + user);
  };
  config::SourceSpec spec = Spec("web");
  P(spec) = {};
  P(spec).namespace_name = "web";
  P(spec).kubeconfig = kubeconfig("    client-certificate-data: " + B64(ReadFile(d_ + "client.pem")) +
                                  "\n    client-key-data: " + B64(ReadFile(d_ + "client.key")) +
                                  "\n");
  absl::StatusOr<Reading> r = SampleOnce(spec);
  ASSERT_TRUE(r.ok()) << r.status();  // relative certificate-authority resolved next to the file
  EXPECT_EQ(r->measures.at("pods"), 2);

  P(spec).kubeconfig = kubeconfig("    client-certificate: client.pem\n    client-key: client.key\n");
  EXPECT_TRUE(SampleOnce(spec).ok());

  P(spec).kubeconfig = kubeconfig("    token: x\n");  // no certificate: the TLS handshake fails
  absl::Status st = SampleOnce(spec).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kUnavailable) << st;

  P(spec).kubeconfig = kubeconfig(
      "    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: aws\n");
  st = SampleOnce(spec).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition) << st;
  EXPECT_THAT(st.message(), HasSubstr("logs in with exec, which poolscaler does not run"));

  P(spec).kubeconfig = kubeconfig("    client-key-data: '%%%'\n");
  st = SampleOnce(spec).status();
  EXPECT_THAT(st.message(), HasSubstr("client-key-data is not valid base64"));
  EXPECT_THAT(std::string(st.message()), ::testing::Not(HasSubstr("%%%")));

  P(spec).kubeconfig = d_ + "missing-kubeconfig";
  st = SampleOnce(spec).status();
  EXPECT_THAT(st.message(), HasSubstr("cannot read kubeconfig"));
}

}  // namespace
}  // namespace poolscaler::sources
