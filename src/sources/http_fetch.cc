#include "http_fetch.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <mutex>

#include <fmt/format.h>
#include "absl/status/status.h"

namespace poolscaler::sources {
namespace {

constexpr size_t kMaxBody = 16 << 20;

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Body {
  std::string text;
  bool too_big = false;
};

size_t Write(char* data, size_t size, size_t count, void* user) {
  auto* body = static_cast<Body*>(user);
  size_t n = size * count;
  if (body->text.size() + n > kMaxBody) {
    body->too_big = true;
    return 0;  // aborts the transfer
  }
  body->text.append(data, n);
  return n;
}

// A curl_blob over `pem` (copied by libcurl).
curl_blob Blob(const std::string& pem) {
  return curl_blob{const_cast<char*>(pem.data()), pem.size(), CURL_BLOB_COPY};
}

}  // namespace

struct HttpFetcher::Handle {
  CURL* curl = nullptr;
  curl_slist* headers = nullptr;
  ~Handle() {
    if (headers != nullptr) curl_slist_free_all(headers);
    if (curl != nullptr) curl_easy_cleanup(curl);
  }
};

HttpFetcher::HttpFetcher(HttpAuth auth) : auth_(std::move(auth)), handle_(new Handle) {
  GlobalInit();
}

HttpFetcher::~HttpFetcher() = default;

absl::StatusOr<HttpResponse> HttpFetcher::Get(const std::string& url, Duration timeout,
                                              const std::string& what) {
  if (handle_->curl == nullptr) {
    handle_->curl = curl_easy_init();
    if (handle_->curl == nullptr) return absl::InternalError("curl_easy_init failed");
    CURL* c = handle_->curl;
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &Write);
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    handle_->headers = curl_slist_append(handle_->headers, "Accept: application/json");
    if (!auth_.bearer_token.empty()) {
      std::string header = "Authorization: Bearer " + auth_.bearer_token.Reveal();
      handle_->headers = curl_slist_append(handle_->headers, header.c_str());
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, handle_->headers);
    if (!auth_.basic_user.empty()) {
      curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
      curl_easy_setopt(c, CURLOPT_USERNAME, auth_.basic_user.c_str());
      curl_easy_setopt(c, CURLOPT_PASSWORD, auth_.basic_password.Reveal().c_str());
    }
    if (!auth_.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, auth_.ca_file.c_str());
    if (!auth_.ca_pem.empty()) {
      curl_blob blob = Blob(auth_.ca_pem);
      curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &blob);
    }
    if (!auth_.cert_file.empty()) curl_easy_setopt(c, CURLOPT_SSLCERT, auth_.cert_file.c_str());
    if (!auth_.cert_pem.empty()) {
      curl_blob blob = Blob(auth_.cert_pem);
      curl_easy_setopt(c, CURLOPT_SSLCERT_BLOB, &blob);
    }
    if (!auth_.key_file.empty()) curl_easy_setopt(c, CURLOPT_SSLKEY, auth_.key_file.c_str());
    if (!auth_.key_pem.empty()) {
      curl_blob blob = Blob(auth_.key_pem.Reveal());
      curl_easy_setopt(c, CURLOPT_SSLKEY_BLOB, &blob);
    }
    if (auth_.insecure_skip_verify) {
      curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    }
  }
  CURL* c = handle_->curl;
  Body body;
  char error[CURL_ERROR_SIZE] = {0};
  long timeout_ms = std::max<long>(
      1, static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count()));
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
  CURLcode rc = curl_easy_perform(c);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, nullptr);
  if (body.too_big) {
    return absl::ResourceExhaustedError(
        fmt::format("{}: response larger than {} bytes", what, kMaxBody));
  }
  if (rc != CURLE_OK) {
    std::string detail = error[0] != '\0' ? std::string(error) : curl_easy_strerror(rc);
    if (rc == CURLE_OPERATION_TIMEDOUT) {
      return absl::UnavailableError(fmt::format("{}: no answer within {} ms ({})", what,
                                                timeout_ms, detail));
    }
    return absl::UnavailableError(fmt::format("{}: {}", what, detail));
  }
  HttpResponse response;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &response.status);
  response.body = std::move(body.text);
  return response;
}

std::string UrlEncode(std::string_view value) {
  std::string out;
  for (unsigned char ch : value) {
    if (std::isalnum(ch) || ch == '-' || ch == '.' || ch == '_' || ch == '~') {
      out.push_back(static_cast<char>(ch));
    } else {
      out += fmt::format("%{:02X}", ch);
    }
  }
  return out;
}

}  // namespace poolscaler::sources
