#pragma once
// GrpcServer: the KEDA ExternalScaler service (callback API, so open streams hold no thread)
// plus grpc.health.v1.Health, on one listening port. Every RPC is answered by ScalerCore from
// in-memory state; no handler waits on a broker.
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "poolscaler/server/scaler_core.h"
#include "poolscaler/server/tls.h"
#include "poolscaler/telemetry/metrics.h"

namespace grpc {
class Server;
}

namespace poolscaler::server {

class ExternalScalerService;

class GrpcServer {
 public:
  // `core` and `metrics` must outlive the server.
  GrpcServer(ScalerCore& core, telemetry::Metrics& metrics);
  ~GrpcServer();

  // Listens on `listen` ("host:port"; port 0 picks a free one), with TLS when `tls` is enabled
  // (see tls.h). Bad TLS files fail here, naming the option and path.
  absl::Status Start(const std::string& listen, const TlsFiles& tls = {});
  // Stops accepting calls, ends open streams (they see CANCELLED) and waits up to `grace` for
  // in-flight calls to finish.
  void Shutdown(Duration grace);
  int port() const { return port_; }
  // Sets the health status of "" and "externalscaler.ExternalScaler".
  void SetServing(bool serving);

 private:
  ScalerCore& core_;
  telemetry::Metrics& metrics_;
  std::unique_ptr<ExternalScalerService> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace poolscaler::server
