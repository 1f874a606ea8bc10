#include "poolscaler/adapter/server.h"

#include <fmt/format.h>
#include <httplib.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>

#include "adapter_metrics.h"
#include "poolscaler/adapter/api_path.h"
#include "poolscaler/adapter/objects.h"
#include "poolscaler/common/address.h"
#include "poolscaler/common/duration.h"
#include "poolscaler/common/log.h"
#include "poolscaler/common/text.h"

namespace poolscaler::adapter {
namespace {

constexpr char kFlagListen[] = "--external-metrics-listen";
constexpr char kFlagAllowedNames[] = "--external-metrics-requestheader-allowed-names";
// Every path, including ones with %-decoded newlines, reaches Handle (no bare httplib 404s).
constexpr char kAnyPath[] = "[\\s\\S]*";
constexpr int kWorkerThreads = 4;

bool IsRead(const std::string& method) { return method == "GET" || method == "HEAD"; }

// The common name of the certificate's subject, or "" when it has none.
std::string CommonName(X509* cert) {
  X509_NAME* subject = X509_get_subject_name(cert);
  int at = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (at < 0) return "";
  ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, at));
  unsigned char* utf8 = nullptr;
  int n = ASN1_STRING_to_UTF8(&utf8, data);
  if (n < 0) return "";
  std::string cn(reinterpret_cast<const char*>(utf8), static_cast<size_t>(n));
  OPENSSL_free(utf8);
  return cn;
}

}  // namespace

absl::Status CheckOptions(const Options& o) {
  const bool any_file =
      !o.tls.cert_file.empty() || !o.tls.key_file.empty() || !o.tls.client_ca_file.empty();
  if (!o.enabled()) {
    if (any_file || !o.allowed_names.empty()) {
      return absl::InvalidArgumentError(fmt::format("{}, {}, {} and {} need {}", kFlagTlsCert,
                                                    kFlagTlsKey, kFlagClientCa, kFlagAllowedNames,
                                                    kFlagListen));
    }
    return absl::OkStatus();
  }
  for (auto [flag, path] :
       {std::pair{kFlagTlsCert, &o.tls.cert_file}, std::pair{kFlagTlsKey, &o.tls.key_file},
        std::pair{kFlagClientCa, &o.tls.client_ca_file}}) {
    if (path->empty()) {
      return absl::InvalidArgumentError(
          fmt::format("{} needs {}: the external metrics API is served over HTTPS only, to the "
                      "kube-apiserver's front-proxy client certificate",
                      kFlagListen, flag));
    }
  }
  for (const std::string& name : o.allowed_names) {
    if (name.empty()) {
      return absl::InvalidArgumentError(
          fmt::format("{}: an empty name in the list (leave the option out to allow any name)",
                      kFlagAllowedNames));
    }
  }
  if (o.tls_refresh < std::chrono::seconds(1)) {
    return absl::InvalidArgumentError("--external-metrics-tls-refresh: must be at least 1s");
  }
  return absl::OkStatus();
}

ExternalMetricsServer::ExternalMetricsServer(Options options, ExternalMetricsApi::Deps deps,
                                             std::function<absl::Status()> ready)
    : options_(std::move(options)),
      api_(std::move(deps)),
      ready_(std::move(ready)),
      metrics_(std::make_shared<AdapterMetrics>()) {}

ExternalMetricsServer::~ExternalMetricsServer() { Stop(); }

std::shared_ptr<prometheus::Collectable> ExternalMetricsServer::metrics() const {
  return metrics_->registry();
}

absl::Status ExternalMetricsServer::Start() {
  if (absl::Status st = CheckOptions(options_); !st.ok()) return st;
  absl::StatusOr<HostPort> addr = ParseHostPort(kFlagListen, options_.listen, /*allow_zero=*/true);
  if (!addr.ok()) return addr.status();
  std::shared_ptr<AdapterMetrics> m = metrics_;
  absl::StatusOr<std::unique_ptr<ServingTls>> tls =
      ServingTls::Load(options_.tls, {[m](bool ok) { m->TlsReloaded(ok); },
                                      [m](const std::string& why) { m->ClientRejected(why); }});
  if (!tls.ok()) return tls.status();
  tls_ = std::move(*tls);

  server_ =
      std::make_unique<httplib::SSLServer>([this](SSL_CTX& ctx) { return tls_->Configure(ctx); });
  if (!server_->is_valid()) {
    return absl::InternalError("cannot set up OpenSSL for the external metrics API");
  }
  server_->new_task_queue = [] { return new httplib::ThreadPool(kWorkerThreads); };
  server_->set_payload_max_length(64 * 1024);  // the API is read-only
  auto handler = [this](const httplib::Request& req, httplib::Response& res) { Handle(req, res); };
  server_->Get(kAnyPath, handler);
  server_->Post(kAnyPath, handler);
  server_->Put(kAnyPath, handler);
  server_->Patch(kAnyPath, handler);
  server_->Delete(kAnyPath, handler);
  server_->Options(kAnyPath, handler);

  const std::string host = addr->host.empty() ? "0.0.0.0" : addr->host;
  if (addr->port == 0) {
    port_ = server_->bind_to_any_port(host);
    if (port_ <= 0) {
      return absl::UnavailableError(
          fmt::format("{}: cannot listen on {}", kFlagListen, options_.listen));
    }
  } else {
    if (!server_->bind_to_port(host, addr->port)) {
      return absl::UnavailableError(
          fmt::format("{}: cannot listen on {} (address in use?)", kFlagListen, options_.listen));
    }
    port_ = addr->port;
  }
  listener_ = std::thread([this] { server_->listen_after_bind(); });
  // httplib's stop() is a no-op until the loop runs; wait for it so Stop() cannot be lost.
  for (int i = 0; i < 5000 && !server_->is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  watcher_ = std::thread([this] { WatchFiles(); });
  std::string names;
  for (const std::string& n : options_.allowed_names) names += (names.empty() ? "" : ",") + n;
  log::Info("external metrics API serving",
            {{"listen", fmt::format("{}:{}", host, port_)},
             {"tls_cert", options_.tls.cert_file},
             {"requestheader_client_ca", options_.tls.client_ca_file},
             {"allowed_names", names.empty() ? "(any)" : names}});
  return absl::OkStatus();
}

void ExternalMetricsServer::Stop() {
  {
    std::lock_guard lock(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (watcher_.joinable()) watcher_.join();
  if (server_) server_->stop();
  if (listener_.joinable()) listener_.join();
}

void ExternalMetricsServer::WatchFiles() {
  std::unique_lock lock(stop_mu_);
  while (!stopping_) {
    stop_cv_.wait_for(lock, options_.tls_refresh, [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    const uint64_t before = tls_->generation();
    absl::Status st = tls_->Reload();
    if (!st.ok()) {
      log::Error("external metrics API: TLS files are invalid; the last good ones stay in use",
                 {{"error", std::string(st.message())}});
    } else if (tls_->generation() != before) {
      log::Info("external metrics API: TLS files reloaded",
                {{"tls_cert", options_.tls.cert_file},
                 {"requestheader_client_ca", options_.tls.client_ca_file}});
    }
    lock.lock();
  }
}

absl::Status ExternalMetricsServer::Authenticate(const httplib::Request& req) const {
  std::unique_ptr<X509, decltype(&X509_free)> cert(
      req.ssl ? SSL_get1_peer_certificate(req.ssl) : nullptr, &X509_free);
  if (!cert) {
    if (req.has_header("Authorization")) {
      return absl::UnauthenticatedError(
          "credentials in an Authorization header (bearer tokens, basic auth) are not accepted: "
          "this API serves only requests the kube-apiserver proxies with its front-proxy client "
          "certificate (APIService v1beta1.external.metrics.k8s.io)");
    }
    return absl::UnauthenticatedError(
        "a client certificate signed by the requestheader client CA is required: this API "
        "serves only requests the kube-apiserver proxies (APIService "
        "v1beta1.external.metrics.k8s.io)");
  }
  if (SSL_get_verify_result(req.ssl) != X509_V_OK) {
    return absl::UnauthenticatedError("the client certificate did not verify");
  }
  const std::string cn = CommonName(cert.get());
  const std::vector<std::string>& allowed = options_.allowed_names;
  if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), cn) == allowed.end()) {
    return absl::UnauthenticatedError(
        fmt::format("client certificate CN {} is not one of {}", Quote(cn), kFlagAllowedNames));
  }
  if (req.get_header_value("X-Remote-User").empty()) {
    return absl::UnauthenticatedError(
        "no X-Remote-User header: the kube-apiserver names the user it authenticated when it "
        "proxies a request");
  }
  return absl::OkStatus();
}

ApiResponse ExternalMetricsServer::Answer(const httplib::Request& req, std::string* user) const {
  absl::StatusOr<ApiPath> path = ParseApiPath(req.path);
  if (path.ok() && path->kind == ApiPath::Kind::kHealth) {
    if (!IsRead(req.method)) return {405, "method not allowed\n", "health"};
    if (path->health == "readyz") {
      absl::Status st = ready_ ? ready_() : absl::OkStatus();
      if (!st.ok()) {
        return {503, fmt::format("not ready: {}\n", std::string(st.message())), "health"};
      }
    }
    return {200, "ok\n", "health"};
  }
  if (absl::Status st = Authenticate(req); !st.ok()) {
    return {401, StatusJson(401, std::string(st.message())), "other"};
  }
  *user = req.get_header_value("X-Remote-User");
  if (!IsRead(req.method)) {
    return {405,
            StatusJson(405, fmt::format("method {} is not allowed: the external metrics API is "
                                        "read-only (GET)",
                                        Quote(req.method))),
            "other"};
  }
  std::optional<std::string> selector;
  if (req.has_param("labelSelector")) selector = req.get_param_value("labelSelector");
  return api_.Get(req.path, selector);
}

void ExternalMetricsServer::Handle(const httplib::Request& req, httplib::Response& res) const {
  std::string user;
  ApiResponse out;
  try {
    out = Answer(req, &user);
  } catch (const std::exception& e) {
    log::Error("external metrics API: request failed", {{"error", e.what()}});
    out = {500, StatusJson(500, "internal error"), "other"};
  } catch (...) {
    out = {500, StatusJson(500, "internal error"), "other"};
  }
  res.status = out.code;
  res.set_content(out.body,
                  out.resource == "health" ? "text/plain; charset=utf-8" : "application/json");
  metrics_->Request(out.code, out.resource);
  log::Debug("external metrics API request", {{"method", req.method},
                                              {"path", Quote(req.path)},
                                              {"code", fmt::format("{}", out.code)},
                                              {"user", user}});
}

}  // namespace poolscaler::adapter
