#include "support/kube_api_stub.h"

#include <chrono>
#include <mutex>
#include <vector>

#include <gtest/gtest.h>

#include "support/eventually.h"
#include "support/process.h"

namespace poolscaler::testing {
namespace {


// metrics-server's answer for namespace "web": two pods with metrics, one just started.
constexpr char kWebMetrics[] = R"({"kind":"PodMetricsList","apiVersion":"metrics.k8s.io/v1beta1",
"metadata":{},"items":[
{"metadata":{"name":"web-1","namespace":"web","creationTimestamp":"2024-05-01T10:00:00Z",
 "labels":{"app":"web"}},"timestamp":"2024-05-01T10:00:00Z","window":"15.023s",
 "containers":[{"name":"app","usage":{"cpu":"250123456n","memory":"131072Ki"}},
               {"name":"sidecar","usage":{"cpu":"1m","memory":"10Mi"}}]},
{"metadata":{"name":"web-2","namespace":"web","labels":{"app":"web"}},
 "timestamp":"2024-05-01T10:00:00Z","window":"15s",
 "containers":[{"name":"app","usage":{"cpu":"750m","memory":"256Mi"}}]},
{"metadata":{"name":"web-3","namespace":"web","labels":{"app":"web"}},
 "timestamp":"2024-05-01T10:00:00Z","window":"15s","containers":[]}]})";

constexpr char kWebPods[] = R"({"kind":"PodList","apiVersion":"v1","metadata":{},"items":[
{"metadata":{"name":"web-1"},"spec":{"containers":[
  {"name":"app","resources":{"requests":{"cpu":"500m","memory":"256Mi"}}},
  {"name":"sidecar","resources":{"requests":{"cpu":"100m","memory":"64Mi"}}}]},
 "status":{"phase":"Running"}},
{"metadata":{"name":"web-2"},"spec":{"containers":[
  {"name":"app","resources":{"requests":{"cpu":"500m","memory":"256Mi"}}}]},
 "status":{"phase":"Running"}},
{"metadata":{"name":"web-3"},"spec":{"containers":[
  {"name":"app","resources":{"requests":{"cpu":"500m","memory":"256Mi"}}}]},
 "status":{"phase":"Pending"}}]})";

std::string KubeStatus(int code, const std::string& reason, const std::string& message) {
  return R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":")" +
         message + R"(","reason":")" + reason + R"(","code":)" + std::to_string(code) + "}";
}

}  // namespace

// A throw-away CA, a server certificate for 127.0.0.1 and a client certificate.
bool MakeTestCertificates(const TempDir& dir) {
  const std::string d = dir.path() + "/";
  dir.Write("ext.cnf", "subjectAltName=IP:127.0.0.1\n");
  const std::vector<std::vector<std::string>> steps = {
      {"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
       "-keyout", d + "ca.key", "-out", d + "ca.pem", "-days", "1", "-subj", "/CN=test-kube-ca"},
      {"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
       d + "server.key", "-out", d + "server.csr", "-subj", "/CN=127.0.0.1"},
      {"x509", "-req", "-in", d + "server.csr", "-CA", d + "ca.pem", "-CAkey", d + "ca.key",
       "-CAcreateserial", "-out", d + "server.pem", "-days", "1", "-extfile", d + "ext.cnf"},
      {"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
       d + "client.key", "-out", d + "client.csr", "-subj", "/CN=system:serviceaccount:ps:ps"},
      {"x509", "-req", "-in", d + "client.csr", "-CA", d + "ca.pem", "-CAkey", d + "ca.key",
       "-CAcreateserial", "-out", d + "client.pem", "-days", "1"},
  };
  for (const auto& step : steps) {
    std::vector<std::string> argv = {"/usr/bin/openssl"};
    argv.insert(argv.end(), step.begin(), step.end());
    poolscaler::testing::RunResult r = poolscaler::testing::RunToEnd(argv, dir.path());
    if (r.code != 0) {
      ADD_FAILURE() << "openssl " << step[0] << " failed: " << r.err;
      return false;
    }
  }
  return true;
}

StubApiServer::StubApiServer(const std::string& cert, const std::string& key,
                             const std::string& client_ca)
    : server_(cert.c_str(), key.c_str(), client_ca.empty() ? nullptr : client_ca.c_str()),
      mtls_(!client_ca.empty()) {
  server_.Get(R"(/apis/metrics.k8s.io/v1beta1/namespaces/([^/]+)/pods)",
              [this](const httplib::Request& req, httplib::Response& res) {
                Serve(req, res, /*metrics=*/true);
              });
  server_.Get(R"(/api/v1/namespaces/([^/]+)/pods)",
              [this](const httplib::Request& req, httplib::Response& res) {
                Serve(req, res, /*metrics=*/false);
              });
  port_ = server_.bind_to_any_port("127.0.0.1");
  thread_ = std::thread([this] { server_.listen_after_bind(); });
  Eventually([this] { return server_.is_running(); });
}

StubApiServer::~StubApiServer() {
  stopping_ = true;
  server_.stop();
  thread_.join();
}

std::string StubApiServer::last_selector() const {
  std::lock_guard lock(mu_);
  return last_selector_;
}

void StubApiServer::Serve(const httplib::Request& req, httplib::Response& res, bool metrics) {
  ++requests_;
  {
    std::lock_guard lock(mu_);
    last_selector_ = req.get_param_value("labelSelector");
  }
  const std::string ns = req.matches[1];
  std::string auth = req.get_header_value("Authorization");
  if (!mtls_ && auth != std::string("Bearer ") + kStubToken) {
    if (auth == std::string("Bearer ") + kStubReadOnlyToken) {
      res.status = 403;
      res.set_content(KubeStatus(403, "Forbidden",
                                 "pods.metrics.k8s.io is forbidden: User \\\"system:serviceaccount:"
                                 "ps:readonly\\\" cannot list resource \\\"pods\\\" in API group "
                                 "\\\"metrics.k8s.io\\\" in the namespace \\\"" + ns + "\\\""),
                      "application/json");
    } else {
      res.status = 401;
      res.set_content(KubeStatus(401, "Unauthorized", "Unauthorized"), "application/json");
    }
    return;
  }
  if (ns == "slow") {  // slower than any timeout the tests give; stops early on shutdown
    for (int i = 0; i < 60 && !stopping_; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  if (ns == "web" && metrics) {
    res.set_content(kWebMetrics, "application/json");
  } else if (ns == "web") {
    res.set_content(kWebPods, "application/json");
  } else if (ns == "empty" || ns == "slow") {
    res.set_content(metrics ? R"({"kind":"PodMetricsList","apiVersion":"metrics.k8s.io/v1beta1","metadata":{},"items":[]})"
                            : R"({"kind":"PodList","apiVersion":"v1","metadata":{},"items":[]})",
                    "application/json");
  } else {
    res.status = 404;
    res.set_content(KubeStatus(404, "NotFound", "namespaces \\\"" + ns + "\\\" not found"),
                    "application/json");
  }
}


}  // namespace poolscaler::testing
