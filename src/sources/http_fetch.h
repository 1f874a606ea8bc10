#pragma once
// Internal to the sources module: a small blocking HTTP(S) GET client on libcurl for the
// prometheus and kubernetes-resources sources. One HttpFetcher per source keeps its connection
// alive between samples. Not thread-safe (one source, one sampler thread at a time).
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "poolscaler/common/secret.h"
#include "poolscaler/config/source_spec.h"
#include "poolscaler/common/time.h"

namespace poolscaler::sources {

// TLS and authentication for every request of one fetcher. PEM material is given either as a
// file path or as the PEM text itself (kubeconfig *-data fields, base64-decoded).
struct HttpAuth {
  Secret bearer_token;          // "Authorization: Bearer …"
  std::string basic_user;       // with basic_password: basic auth
  Secret basic_password;
  std::string ca_file;          // trust only this CA (PEM file); empty: system store
  std::string ca_pem;           // or the CA as PEM text
  std::string cert_file;        // client certificate (PEM), with key_file / key_pem
  std::string cert_pem;
  std::string key_file;
  Secret key_pem;
  bool insecure_skip_verify = false;
};

struct HttpResponse {
  long status = 0;  // HTTP status code
  std::string body;
};

class HttpFetcher {
 public:
  explicit HttpFetcher(HttpAuth auth);
  ~HttpFetcher();
  HttpFetcher(const HttpFetcher&) = delete;
  HttpFetcher& operator=(const HttpFetcher&) = delete;

  // GETs `url`, giving up after `timeout` (connect + transfer). Any HTTP status is a response;
  // errors are transport failures: UNAVAILABLE (connect, TLS, timeout: the message says which),
  // RESOURCE_EXHAUSTED (body over 16 MiB). `what` names the server in messages
  // ("prometheus at http://…"). Never puts a credential in a message.
  absl::StatusOr<HttpResponse> Get(const std::string& url, Duration timeout,
                                   const std::string& what);

 private:
  struct Handle;
  HttpAuth auth_;
  std::unique_ptr<Handle> handle_;
};

// The auth and TLS of a Prometheus connection (the prometheus source, the `history:` reader).
HttpAuth PrometheusAuth(const config::PrometheusParams& p);

// Percent-encodes a query parameter value (RFC 3986 unreserved characters stay as they are).
std::string UrlEncode(std::string_view value);

}  // namespace poolscaler::sources
