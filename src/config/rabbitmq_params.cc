// The rabbitmq keys shared by YAML `sources[]` entries and raw-mode trigger metadata.
#include <cctype>
#include <regex>

#include <fmt/format.h>

#include "poolscaler/common/duration.h"
#include "poolscaler/common/numbers.h"
#include "source_params.h"

namespace poolscaler::config {
namespace {

constexpr char kUrlForm[] =
    "expected amqp://, amqps://, http:// or https:// followed by host[:port][/vhost]";
// Queue names are at most 255 bytes; a longer pattern is a mistake (and costly to compile).
constexpr size_t kMaxRegexBytes = 255;
// The longest rate window accepted: the source keeps one counter sample per interval in it.
constexpr Duration kMaxRateWindow = std::chrono::hours(1);

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Decodes %XX escapes; false on a malformed escape.
bool PercentDecode(std::string_view in, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out->push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) return false;
    int hi = HexDigit(in[i + 1]), lo = HexDigit(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return true;
}

}  // namespace

bool ParseRabbitMqUrl(std::string_view url, RabbitMqParams* out, std::string* problem) {
  size_t sep = url.find("://");
  if (sep == std::string_view::npos) {
    *problem = kUrlForm;
    return false;
  }
  std::string scheme = Lower(url.substr(0, sep));
  if (scheme == "amqp" || scheme == "amqps") {
    out->protocol = RabbitMqParams::Protocol::kAmqp;
  } else if (scheme == "http" || scheme == "https") {
    out->protocol = RabbitMqParams::Protocol::kHttp;
  } else {
    *problem = fmt::format("unknown scheme {}; {}", Quote(scheme), kUrlForm);
    return false;
  }
  out->tls = scheme.back() == 's';
  std::string_view rest = url.substr(sep + 3);
  if (size_t q = rest.find_first_of("?#"); q != std::string_view::npos) {
    *problem = "a query or fragment in the URL is not supported";
    return false;
  }
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    size_t colon = userinfo.find(':');
    std::string user, password;
    if (!PercentDecode(userinfo.substr(0, colon), &user) ||
        (colon != std::string_view::npos &&
         !PercentDecode(userinfo.substr(colon + 1), &password))) {
      *problem = "malformed %-escape in the URL's credentials";
      return false;
    }
    out->username = user;
    out->password = Secret(password);
  }
  // host[:port], IPv6 in brackets.
  std::string_view host = authority, port_text;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      *problem = "unterminated IPv6 address";
      return false;
    }
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        *problem = kUrlForm;
        return false;
      }
      port_text = after.substr(1);
    }
  } else if (size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port_text = authority.substr(colon + 1);
  }
  if (host.empty() || (host.find(':') != std::string_view::npos && authority.front() != '[')) {
    *problem = fmt::format("no host; {}", kUrlForm);
    return false;
  }
  out->host = std::string(host);
  const bool http = out->protocol == RabbitMqParams::Protocol::kHttp;
  out->port = http ? (out->tls ? 15671 : 15672) : (out->tls ? 5671 : 5672);
  if (!port_text.empty() || authority.back() == ':') {
    absl::StatusOr<int64_t> port = ParseInt("port", port_text);
    if (!port.ok() || *port < 1 || *port > 65535) {
      *problem = "port must be a whole number between 1 and 65535";
      return false;
    }
    out->port = static_cast<int>(*port);
  }
  // The path: the last segment is the vhost (as in KEDA), anything before it a prefix under
  // which the management API is served (HTTP only).
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  if (path == "/") path = "";
  out->vhost = "/";
  out->path_prefix.clear();
  if (!path.empty()) {
    size_t last = path.rfind('/');
    std::string vhost;
    if (!PercentDecode(path.substr(last + 1), &vhost)) {
      *problem = "malformed %-escape in the URL's vhost";
      return false;
    }
    if (!vhost.empty()) out->vhost = vhost;
    if (last > 0) {
      if (!http) {
        *problem = "an amqp:// URL takes one path segment, the vhost";
        return false;
      }
      out->path_prefix = std::string(path.substr(0, last));
    }
  }
  return true;
}

void ReadRabbitMqQuery(ParamReader& r, const std::optional<Secret>& url,
                       const char* url_key, RabbitMqParams* out) {
  if (url) {
    std::string problem;
    if (!ParseRabbitMqUrl(url->Reveal(), out, &problem)) {
      // The URL may hold credentials: never quoted.
      r.Fail(url_key, problem, /*secret=*/true);
    }
  }
  const bool amqp = out->protocol == RabbitMqParams::Protocol::kAmqp;
  if (std::optional<std::string> protocol = r.String("protocol")) {
    std::string p = Lower(*protocol);
    if (p != "auto" && p != "amqp" && p != "http") {
      r.Fail("protocol", "expected \"auto\", \"amqp\" or \"http\"");
    } else if (url && p != "auto" && (p == "amqp") != amqp) {
      r.Fail("protocol", fmt::format("disagrees with the scheme of \"{}\"; the scheme picks the "
                                     "protocol", url_key));
    }
  }
  if (std::optional<std::string> vhost = r.String("vhostName")) {
    if (vhost->empty()) r.Fail("vhostName", "must not be empty (the default vhost is \"/\")");
    else out->vhost = *vhost;
  }
  if (std::optional<std::string> queue = r.RequiredString("queueName")) out->queue = *queue;
  if (std::optional<std::string> mode = r.String("mode")) {
    if (*mode == "QueueLength") {
      out->mode = RabbitMqParams::Mode::kQueueLength;
    } else if (*mode == "MessageRate") {
      out->mode = RabbitMqParams::Mode::kMessageRate;
      if (url && amqp) {
        r.Fail("mode", "MessageRate needs the management API: give an http:// or https:// host");
      }
    } else {
      r.Fail("mode", "expected \"QueueLength\" or \"MessageRate\"");
    }
  }
  if (std::optional<bool> regex = r.Bool("useRegex")) {
    out->use_regex = *regex;
    if (*regex && url && amqp) {
      r.Fail("useRegex", "matching queues by regex needs the management API: give an http:// or "
                         "https:// host");
    }
  }
  if (out->use_regex && !out->queue.empty()) {
    if (out->queue.size() > kMaxRegexBytes) {
      r.Fail("queueName", fmt::format("a regex of at most {} bytes is accepted", kMaxRegexBytes));
    } else {
      try {
        std::regex check(out->queue, std::regex::ECMAScript);
      } catch (const std::regex_error& e) {
        r.Fail("queueName", fmt::format("not a valid regex (ECMAScript): {}", e.what()));
      }
    }
  }
  if (std::optional<std::string> op = r.String("operation")) {
    if (*op == "sum") out->operation = RabbitMqParams::Operation::kSum;
    else if (*op == "max") out->operation = RabbitMqParams::Operation::kMax;
    else if (*op == "avg") out->operation = RabbitMqParams::Operation::kAvg;
    else r.Fail("operation", "expected \"sum\", \"max\" or \"avg\"");
  }
  if (std::optional<bool> exclude = r.Bool("excludeUnacknowledged")) {
    out->exclude_unacked = *exclude;
  }
  if (std::optional<Duration> window = r.DurationValue("rateWindow")) {
    if (*window <= Duration::zero() || *window > kMaxRateWindow) {
      r.Fail("rateWindow", "must be greater than 0 and at most 1h");
    } else {
      out->rate_window = *window;
    }
  }
  for (auto [key, field] : {std::pair{"tlsCaFile", &out->tls_ca_file},
                            std::pair{"tlsCertFile", &out->tls_cert_file},
                            std::pair{"tlsKeyFile", &out->tls_key_file}}) {
    if (!r.Has(key)) continue;
    if (std::optional<std::string> v = r.RequiredString(key)) {
      *field = *v;
      if (url && !out->tls) {
        r.Fail(key, fmt::format("needs an amqps:// or https:// \"{}\"", url_key));
      }
    }
  }
  if (out->tls_cert_file.empty() != out->tls_key_file.empty()) {
    r.Fail(out->tls_cert_file.empty() ? "tlsKeyFile" : "tlsCertFile",
           "a client certificate needs both \"tlsCertFile\" and \"tlsKeyFile\"");
  }
}

void CheckRabbitMqCredentials(ParamReader& r, bool url_has_credentials, const std::string& username,
                              const Secret& password, const char* url_key,
                              const std::array<const char*, 2>& keys, RabbitMqParams* out) {
  const bool keyed = !username.empty() || !password.empty();
  if (url_has_credentials && keyed) {
    r.Fail(url_key, fmt::format("has credentials and \"{}\"/\"{}\" are given too: give them one "
                                "way", keys[0], keys[1]), /*secret=*/true);
    return;
  }
  if (!keyed) return;
  if (username.empty() != password.empty()) {
    r.Fail(username.empty() ? keys[0] : keys[1],
           fmt::format("\"{}\" and \"{}\" go together", keys[0], keys[1]), /*secret=*/true);
  }
  out->username = username;
  out->password = password;
}

}  // namespace poolscaler::config
