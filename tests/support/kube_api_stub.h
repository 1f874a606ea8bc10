#pragma once
// A stub Kubernetes API server for the kubernetes-resources tests: HTTPS (cpp-httplib SSLServer)
// on a free loopback port, in a thread of the test process, answering the resource metrics and
// pods APIs with recorded bodies in the real API's JSON shape. No Kubernetes API server can run
// here; the stub checks paths, label selectors and credentials, nothing else.
//  - bearer token kStubToken → answers; kStubReadOnlyToken → 403 (RBAC-style Status); other → 401
//    (with a client CA: a client certificate is required instead of a token);
//  - namespace "web": 3 pods (2 with metrics, 1 with an empty container list) and their requests;
//    "empty": no pods; "slow": answers after 3 s (or at shutdown); any other: 404 NotFound.
#include <atomic>
#include <mutex>
#include <string>
#include <thread>

#include <httplib.h>

#include "support/temp_dir.h"

namespace poolscaler::testing {

inline constexpr char kStubToken[] = "good-token-1f2e3d";
inline constexpr char kStubReadOnlyToken[] = "readonly-token-9a8b";

// Writes a throw-away CA (ca.pem, ca.key), a server certificate for IP 127.0.0.1 (server.pem,
// server.key) and a client certificate (client.pem, client.key) into `dir` with the openssl CLI.
// Records a test failure and returns false if openssl fails.
bool MakeTestCertificates(const TempDir& dir);

class StubApiServer {
 public:
  StubApiServer(const std::string& cert, const std::string& key, const std::string& client_ca = "");
  ~StubApiServer();
  StubApiServer(const StubApiServer&) = delete;
  StubApiServer& operator=(const StubApiServer&) = delete;

  int port() const { return port_; }
  std::string url() const { return "https://127.0.0.1:" + std::to_string(port_); }
  int requests() const { return requests_; }
  std::string last_selector() const;

 private:
  void Serve(const httplib::Request& req, httplib::Response& res, bool metrics);

  httplib::SSLServer server_;
  const bool mtls_;
  int port_ = 0;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> requests_{0};
  mutable std::mutex mu_;
  std::string last_selector_;  // guarded by mu_
};

}  // namespace poolscaler::testing
