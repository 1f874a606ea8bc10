// The nats-jetstream keys shared by YAML `sources[]` entries and raw-mode trigger metadata.
#include <cctype>

#include <fmt/format.h>

#include "poolscaler/common/numbers.h"
#include "source_params.h"

namespace poolscaler::config {
namespace {

constexpr char kMonitoringProblem[] =
    "poolscaler does not use the NATS HTTP monitoring endpoint: it asks the JetStream API over "
    "the client port; use \"natsServer\" with a nats:// URL (e.g. nats://nats.nats.svc:4222)";

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Checks one server URL and returns it with a scheme ("nats://" added when none), or records an
// error against `key` and returns "".
std::string NormalizeServer(ParamReader& r, std::string_view key, const std::string& url) {
  if (url.find('@') != std::string::npos) {
    // user:password@host would put a credential in keys and logs: not echoed.
    r.Fail(key, "credentials in a server URL are not accepted: use the user/password, token, "
                "credsFile or nkeySeedFile keys", /*secret=*/true);
    return "";
  }
  std::string scheme = "nats";
  std::string rest = url;
  if (size_t sep = url.find("://"); sep != std::string::npos) {
    scheme = Lower(url.substr(0, sep));
    rest = url.substr(sep + 3);
  }
  if (scheme == "http" || scheme == "https") {
    r.Fail(key, fmt::format("{} (server {})", kMonitoringProblem, Quote(url)), true);
    return "";
  }
  if (scheme != "nats" && scheme != "tls") {
    r.Fail(key, fmt::format("server {}: scheme must be nats:// or tls://", Quote(url)), true);
    return "";
  }
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  std::string host = rest;
  size_t colon = std::string::npos;
  if (!rest.empty() && rest.front() == '[') {
    size_t close = rest.find(']');
    if (close != std::string::npos && close + 1 < rest.size() && rest[close + 1] == ':') {
      colon = close + 1;
    }
  } else {
    colon = rest.rfind(':');
  }
  if (colon != std::string::npos) {
    host = rest.substr(0, colon);
    absl::StatusOr<int64_t> port = ParseInt("port", rest.substr(colon + 1));
    if (!port.ok() || *port < 1 || *port > 65535) {
      r.Fail(key, fmt::format("server {}: port must be a whole number between 1 and 65535",
                              Quote(url)), true);
      return "";
    }
  }
  if (host.empty() || host.find('/') != std::string::npos) {
    r.Fail(key, fmt::format("server {}: expected nats://host:port", Quote(url)), true);
    return "";
  }
  return scheme + "://" + rest;
}

void AddServers(ParamReader& r, std::string_view key, const std::vector<std::string>& items,
                NatsJetStreamParams* out) {
  for (const std::string& item : items) {
    std::string url = Trim(item);
    if (url.empty()) continue;
    std::string normalized = NormalizeServer(r, key, url);
    if (!normalized.empty()) out->servers.push_back(normalized);
  }
  if (out->servers.empty() && r.ok()) r.Fail(key, "names no server");
}

std::vector<std::string> SplitComma(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t comma = text.find(',', start);
    out.push_back(text.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) return out;
    start = comma + 1;
  }
}

void ReadServers(ParamReader& r, const std::vector<std::string>* server_list,
                 NatsJetStreamParams* out) {
  const bool yaml_servers = r.Has("servers");
  if (yaml_servers && r.Has("natsServer")) {
    r.Fail("natsServer", "give \"servers\" or \"natsServer\", not both");
    r.Ignore({"natsServer", "servers"});
    return;
  }
  if (server_list != nullptr) {
    r.Ignore({"servers"});
    AddServers(r, "servers", *server_list, out);
    return;
  }
  const char* key = yaml_servers ? "servers" : "natsServer";
  if (!r.Has(key) && r.Has("natsServerMonitoringEndpoint")) return;  // explained below
  if (std::optional<std::string> text = r.RequiredString(key)) {
    AddServers(r, key, SplitComma(*text), out);
  }
}

void ReadPath(ParamReader& r, std::string_view key, std::string* out) {
  if (!r.Has(key)) return;
  if (std::optional<std::string> v = r.RequiredString(key)) *out = *v;
}

}  // namespace

void ReadNatsQuery(ParamReader& r, const std::vector<std::string>* server_list,
                   NatsJetStreamParams* out) {
  ReadServers(r, server_list, out);
  for (const char* key : {"natsServerMonitoringEndpoint", "useHttps"}) {
    if (!r.Has(key)) continue;
    r.Fail(key, std::string(key) == "useHttps"
                    ? std::string(kMonitoringProblem) +
                          "; for TLS to the client port use a tls:// URL and tlsCaFile"
                    : std::string(kMonitoringProblem));
    r.Ignore({key});
  }
  if (std::optional<std::string> stream = r.RequiredString("stream")) out->stream = *stream;
  if (std::optional<std::string> consumer = r.String("consumer")) out->consumer = *consumer;
  if (r.Has("jsDomain") && r.Has("domain")) {
    r.Fail("domain", "give \"jsDomain\" or \"domain\", not both");
    r.Ignore({"domain"});
  }
  for (const char* key : {"jsDomain", "domain"}) {
    if (r.Has(key)) ReadPath(r, key, &out->domain);
  }
  if (std::optional<std::string> account = r.String("account")) out->account = *account;
  ReadPath(r, "credsFile", &out->creds_file);
  ReadPath(r, "nkeySeedFile", &out->nkey_seed_file);
  ReadPath(r, "tlsCaFile", &out->tls_ca_file);
  ReadPath(r, "tlsCertFile", &out->tls_cert_file);
  ReadPath(r, "tlsKeyFile", &out->tls_key_file);
}

void CheckNatsCredentials(ParamReader& r, const NatsJetStreamParams& p,
                          const std::array<const char*, 3>& keys) {
  const auto& [user_key, password_key, token_key] = keys;
  if (!p.username.empty() && p.password.empty()) {
    r.Fail(user_key, fmt::format("needs \"{}\" too", password_key), true);
  }
  if (p.username.empty() && !p.password.empty()) {
    r.Fail(password_key, fmt::format("needs \"{}\" too", user_key), true);
  }
  std::vector<std::string> methods;
  if (!p.username.empty() || !p.password.empty()) {
    methods.push_back(fmt::format("{}/{}", user_key, password_key));
  }
  if (!p.token.empty()) methods.push_back(token_key);
  if (!p.creds_file.empty()) methods.push_back("credsFile");
  if (!p.nkey_seed_file.empty()) methods.push_back("nkeySeedFile");
  if (methods.size() > 1) {
    r.FailEntry(fmt::format("give one way to authenticate to NATS, not {}",
                            fmt::join(methods, " and ")));
  }
  if (p.tls_cert_file.empty() != p.tls_key_file.empty()) {
    r.Fail(p.tls_cert_file.empty() ? "tlsKeyFile" : "tlsCertFile",
           "a client certificate needs both \"tlsCertFile\" and \"tlsKeyFile\"");
  }
}

}  // namespace poolscaler::config
