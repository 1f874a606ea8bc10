#pragma once
// Internal to the sources module: GET requests to the Kubernetes API server with the login of a
// KubeConnection (a kubeconfig's current context, or in-cluster service-account token and CA).
// A rotated token file is read again before each request; after a failed request the kubeconfig
// or environment is read again. Not thread-safe (one source, one sampler thread at a time).
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "http_fetch.h"
#include "kube_auth.h"
#include "poolscaler/common/secret.h"
#include "poolscaler/common/time.h"
#include "poolscaler/config/source_spec.h"

namespace poolscaler::sources {

class KubeClient {
 public:
  explicit KubeClient(config::KubeConnection connection);
  ~KubeClient();

  // GETs `path` ("/apis/...") within `timeout`. A non-2xx answer becomes KubeApiError with
  // "<what> at <server><context>" and `forbidden_hint`; a transport failure is UNAVAILABLE.
  absl::StatusOr<std::string> Get(const std::string& path, Duration timeout, std::string_view what,
                                  std::string_view context, std::string_view forbidden_hint);
  // Drops the connection and login: the next Get reads the kubeconfig or environment again.
  void Reset();

 private:
  absl::Status Connect();

  const config::KubeConnection connection_;
  std::optional<KubeTarget> target_;
  Secret token_;
  std::unique_ptr<HttpFetcher> fetcher_;
};

}  // namespace poolscaler::sources
