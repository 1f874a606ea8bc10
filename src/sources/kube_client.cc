#include "kube_client.h"

#include <fmt/format.h>

#include "poolscaler/sources/kube_metrics.h"

namespace poolscaler::sources {

KubeClient::KubeClient(config::KubeConnection connection) : connection_(std::move(connection)) {}

KubeClient::~KubeClient() = default;

void KubeClient::Reset() {
  target_.reset();
  fetcher_.reset();
}

absl::Status KubeClient::Connect() {
  if (!target_) {
    absl::StatusOr<KubeTarget> t = connection_.kubeconfig.empty()
                                       ? InClusterTarget(connection_)
                                       : LoadKubeconfig(connection_.kubeconfig);
    if (!t.ok()) return t.status();
    target_ = std::move(*t);
  }
  if (!target_->token_file.empty()) {
    // Projected service-account tokens rotate: read the file each time, reconnect on change.
    absl::StatusOr<Secret> token = ReadTokenFile(target_->token_file);
    if (!token.ok()) return token.status();
    if (!(*token == token_)) {
      token_ = *token;
      fetcher_.reset();
    }
  }
  if (!fetcher_) {
    HttpAuth auth = target_->auth;
    if (!token_.empty()) auth.bearer_token = token_;
    fetcher_ = std::make_unique<HttpFetcher>(std::move(auth));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> KubeClient::Get(const std::string& path, Duration timeout,
                                            std::string_view what, std::string_view context,
                                            std::string_view forbidden_hint) {
  if (absl::Status s = Connect(); !s.ok()) return s;
  if (timeout <= Duration::zero()) {
    return absl::DeadlineExceededError(fmt::format("{}: no time left for a request", what));
  }
  std::string name = fmt::format("{} at {}", what, target_->server);
  absl::StatusOr<HttpResponse> r = fetcher_->Get(target_->server + path, timeout, name);
  if (!r.ok()) return r.status();
  if (r->status < 200 || r->status > 299) {
    return KubeApiError(r->status, r->body, fmt::format("{}{}", name, context), forbidden_hint);
  }
  return std::move(r->body);
}

}  // namespace poolscaler::sources
