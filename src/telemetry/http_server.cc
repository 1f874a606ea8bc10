#include "poolscaler/telemetry/http_server.h"

#include <fmt/format.h>
#include <httplib.h>

#include "poolscaler/common/address.h"

namespace poolscaler::telemetry {

HttpServer::HttpServer(const Metrics& metrics, Callbacks callbacks)
    : metrics_(metrics), callbacks_(std::move(callbacks)) {}

HttpServer::~HttpServer() { Stop(); }

absl::Status HttpServer::Start(const std::string& listen) {
  absl::StatusOr<HostPort> addr = ParseHostPort("--http-listen", listen, /*allow_zero=*/true);
  if (!addr.ok()) return addr.status();
  server_ = std::make_unique<httplib::Server>();
  server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics_.Render(), "text/plain; version=0.0.4; charset=utf-8");
  });
  server_->Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  server_->Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
    absl::Status st = callbacks_.ready ? callbacks_.ready() : absl::OkStatus();
    if (st.ok()) {
      res.set_content("ready\n", "text/plain");
    } else {
      res.status = 503;
      res.set_content(fmt::format("not ready: {}\n", std::string(st.message())), "text/plain");
    }
  });
  server_->Get("/pools", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(callbacks_.pools_json ? callbacks_.pools_json() : "[]", "application/json");
  });
  std::string host = addr->host.empty() ? "0.0.0.0" : addr->host;
  if (addr->port == 0) {
    port_ = server_->bind_to_any_port(host);
    if (port_ <= 0) return absl::UnavailableError(fmt::format("cannot listen on {}", listen));
  } else {
    if (!server_->bind_to_port(host, addr->port)) {
      return absl::UnavailableError(
          fmt::format("cannot listen on {} for HTTP (address in use?)", listen));
    }
    port_ = addr->port;
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  return absl::OkStatus();
}

void HttpServer::Stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace poolscaler::telemetry
