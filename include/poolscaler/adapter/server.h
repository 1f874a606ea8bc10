#pragma once
// ExternalMetricsServer: the HTTPS listener of the external metrics API
// (external.metrics.k8s.io/v1beta1), registered with the kube-apiserver by an APIService and
// reached only through its aggregation layer (cpp-httplib SSLServer, OpenSSL).
//
// Authentication is the aggregated-API "request header" scheme: a request is served only when
// its TLS client certificate verified against the requestheader client CA (ServingTls), its
// common name is one of `allowed_names` (any, when empty), and it carries X-Remote-User — the
// user the kube-apiserver authenticated and authorized before proxying. X-Remote-* headers are
// never read from any other client. Bearer tokens and other credentials are not accepted (no
// TokenReview): such requests get 401 naming the scheme. /healthz, /livez and /readyz need no
// client certificate (kubelet probes and the aggregator's checks).
//
// Threads: cpp-httplib's accept thread and a pool of 4 workers run the handlers (which only read
// memory), and one thread re-reads the TLS files every `tls_refresh`. Every request is counted in
// poolscaler_external_metrics_requests_total{code,resource}. The class is thread-safe.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "poolscaler/adapter/metrics_api.h"
#include "poolscaler/adapter/options.h"
#include "poolscaler/adapter/serving_tls.h"
#include "poolscaler/common/time.h"

namespace httplib {
class SSLServer;
struct Request;
struct Response;
}  // namespace httplib

namespace prometheus {
class Collectable;
}

namespace poolscaler::adapter {

class AdapterMetrics;

class ExternalMetricsServer {
 public:
  ExternalMetricsServer(Options options, ExternalMetricsApi::Deps deps,
                        std::function<absl::Status()> ready);
  ~ExternalMetricsServer();  // Stop()
  ExternalMetricsServer(const ExternalMetricsServer&) = delete;
  ExternalMetricsServer& operator=(const ExternalMetricsServer&) = delete;

  // Loads the TLS files, binds `listen` (port 0: any) and serves on background threads.
  // Errors name the option and the file or address.
  absl::Status Start();
  void Stop();
  int port() const { return port_; }
  // The adapter's metric families, for the process's /metrics (valid from construction).
  std::shared_ptr<prometheus::Collectable> metrics() const;

 private:
  void Handle(const httplib::Request& req, httplib::Response& res) const;
  // The answer to `req`; sets *user to the X-Remote-User of an authenticated request.
  ApiResponse Answer(const httplib::Request& req, std::string* user) const;
  // OK, or UNAUTHENTICATED with the reason the request is refused.
  absl::Status Authenticate(const httplib::Request& req) const;
  void WatchFiles();

  const Options options_;
  const ExternalMetricsApi api_;
  const std::function<absl::Status()> ready_;
  std::shared_ptr<AdapterMetrics> metrics_;
  std::unique_ptr<ServingTls> tls_;
  std::unique_ptr<httplib::SSLServer> server_;
  std::thread listener_;
  std::thread watcher_;
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;  // guarded by stop_mu_
  int port_ = 0;
};

}  // namespace poolscaler::adapter
