#include "http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <mutex>

#include <fmt/format.h>
#include "absl/status/status.h"

namespace poolscaler::sources {
namespace {

constexpr Duration kMinTimeout = std::chrono::milliseconds(1);

struct Sink {
  std::string* body;
  size_t max_bytes;
  bool overflow = false;
};

size_t Write(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  size_t n = size * count;
  if (sink->body->size() + n > sink->max_bytes) {
    sink->overflow = true;
    return 0;  // makes curl stop with CURLE_WRITE_ERROR
  }
  sink->body->append(data, n);
  return n;
}

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace

struct HttpClient::Handle {
  CURL* curl = nullptr;
  ~Handle() {
    if (curl != nullptr) curl_easy_cleanup(curl);
  }
};

HttpClient::HttpClient(HttpOptions options)
    : options_(std::move(options)), handle_(std::make_unique<Handle>()) {
  GlobalInit();
}

HttpClient::~HttpClient() = default;

absl::StatusOr<HttpResponse> HttpClient::Get(const std::string& url, Duration timeout) {
  if (handle_->curl == nullptr) handle_->curl = curl_easy_init();
  CURL* c = handle_->curl;
  if (c == nullptr) return absl::ResourceExhaustedError("libcurl: cannot create a handle");
  curl_easy_reset(c);  // keeps the connection cache
  HttpResponse response;
  Sink sink{&response.body, options_.max_body_bytes};
  char error[CURL_ERROR_SIZE] = {0};
  const long timeout_ms = static_cast<long>(std::max<int64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::max(timeout, kMinTimeout)).count(), 1));
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &Write);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "poolscaler");
  if (!options_.username.empty() || !options_.password.empty()) {
    curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(c, CURLOPT_USERNAME, options_.username.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, options_.password.Reveal().c_str());
  }
  if (!options_.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, options_.ca_file.c_str());
  if (!options_.cert_file.empty()) {
    curl_easy_setopt(c, CURLOPT_SSLCERT, options_.cert_file.c_str());
    curl_easy_setopt(c, CURLOPT_SSLKEY, options_.key_file.c_str());
  }
  CURLcode rc = curl_easy_perform(c);
  // Neither the password nor the body pointer may outlive this call inside the handle.
  curl_easy_setopt(c, CURLOPT_PASSWORD, "");
  curl_easy_setopt(c, CURLOPT_WRITEDATA, nullptr);
  if (rc != CURLE_OK) {
    if (sink.overflow) {
      return absl::UnavailableError(
          fmt::format("response larger than {} bytes", options_.max_body_bytes));
    }
    std::string text = error[0] != '\0' ? error : curl_easy_strerror(rc);
    if (rc == CURLE_SSL_CERTPROBLEM || rc == CURLE_SSL_CACERT_BADFILE) {
      return absl::FailedPreconditionError(fmt::format("TLS files: {}", text));
    }
    if (rc == CURLE_OPERATION_TIMEDOUT) {
      return absl::UnavailableError(fmt::format("no response within {}ms: {}", timeout_ms, text));
    }
    return absl::UnavailableError(text);
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

std::string EncodePathSegment(std::string_view segment) {
  std::string out;
  for (char ch : segment) {
    auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(ch);
    } else {
      out += fmt::format("%{:02X}", static_cast<unsigned>(c));
    }
  }
  return out;
}

}  // namespace poolscaler::sources
