#pragma once
// A small blocking HTTP GET client on libcurl for the rabbitmq source's management API calls:
// basic auth passed apart from the URL (so credentials never appear in a URL or its errors), TLS
// CA and client certificate files, one overall timeout per request, a cap on the body, no
// redirects. The handle is kept between requests so the TCP/TLS connection is reused.
#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "poolscaler/common/secret.h"
#include "poolscaler/common/time.h"

namespace poolscaler::sources {

struct HttpOptions {
  std::string username;  // with password: basic auth; empty: none
  Secret password;
  std::string ca_file;   // empty: the system's CAs
  std::string cert_file; // client certificate (PEM), with key_file
  std::string key_file;
  size_t max_body_bytes = 16 << 20;
};

struct HttpResponse {
  long status = 0;  // HTTP status code
  std::string body;
};

// Not thread-safe: one owner (a source) makes one request at a time.
class HttpClient {
 public:
  explicit HttpClient(HttpOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // GETs `url` (http:// or https://, no credentials in it), giving up after `timeout`.
  // Any HTTP status is a response. Errors: UNAVAILABLE (cannot connect, timeout, TLS failure,
  // body over the cap) with libcurl's text; FAILED_PRECONDITION (an unreadable TLS file).
  absl::StatusOr<HttpResponse> Get(const std::string& url, Duration timeout);

 private:
  struct Handle;
  HttpOptions options_;
  std::unique_ptr<Handle> handle_;
};

// Percent-encodes one URL path segment (everything but unreserved characters), e.g. the vhost
// "/" as "%2F".
std::string EncodePathSegment(std::string_view segment);

}  // namespace poolscaler::sources
