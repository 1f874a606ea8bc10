#pragma once
// HttpServer: the plain-HTTP endpoint Prometheus and Kubernetes probes talk to (cpp-httplib).
//   GET /metrics  text exposition of Metrics
//   GET /healthz  200 while the process serves
//   GET /readyz   200 once `ready()` says so, else 503 with the reason
//   GET /pools    JSON: every pool's decision, signals and limits (from `pools_json()`)
// Handlers run on httplib's worker threads; the callbacks given must be thread-safe.
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "poolscaler/telemetry/metrics.h"

namespace httplib {
class Server;
}

namespace poolscaler::telemetry {

class HttpServer {
 public:
  struct Callbacks {
    // OK when ready; otherwise the reason, sent with 503.
    std::function<absl::Status()> ready;
    std::function<std::string()> pools_json;
  };
  HttpServer(const Metrics& metrics, Callbacks callbacks);
  ~HttpServer();  // Stop()

  // Binds `listen` ("host:port", port 0 = any) and serves on a background thread.
  absl::Status Start(const std::string& listen);
  void Stop();
  int port() const { return port_; }

 private:
  const Metrics& metrics_;
  Callbacks callbacks_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace poolscaler::telemetry
