// The `sources:` section of the YAML config.
#include <cstdlib>
#include <map>

#include <fmt/format.h>

#include "config_parts.h"
#include "source_params.h"
#include "yaml_entry.h"

namespace poolscaler::config {
namespace {

constexpr size_t kMaxPasswordFileBytes = 64 << 10;

// The value of the environment variable named by `key`, or std::nullopt after an error that
// names the variable (never its value).
std::optional<std::string> FromEnvironment(ParamReader& r, std::string_view key) {
  std::optional<std::string> var = r.RequiredString(key);
  if (!var) return std::nullopt;
  if (!r.resolve_secrets()) return fmt::format("(${})", *var);  // checked, not read
  const char* value = std::getenv(var->c_str());
  if (value == nullptr) {
    r.Fail(key, fmt::format("environment variable {} is not set", Quote(*var)), true);
    return std::nullopt;
  }
  if (*value == '\0') {
    r.Fail(key, fmt::format("environment variable {} is empty", Quote(*var)), true);
    return std::nullopt;
  }
  return std::string(value);
}

std::optional<std::string> FromFile(ParamReader& r, std::string_view key) {
  std::optional<std::string> path = r.RequiredString(key);
  if (!path) return std::nullopt;
  if (!r.resolve_secrets()) return fmt::format("(file {})", *path);  // checked, not read
  std::string error;
  std::optional<std::string> text = ReadFileText(*path, kMaxPasswordFileBytes, &error);
  if (!text) {
    r.Fail(key, fmt::format("cannot read {}: {}", Quote(*path), error), true);
    return std::nullopt;
  }
  while (!text->empty() && (text->back() == '\n' || text->back() == '\r')) text->pop_back();
  if (text->empty()) {
    r.Fail(key, fmt::format("file {} is empty", Quote(*path)), true);
    return std::nullopt;
  }
  return text;
}

// username | usernameEnv.
void ReadUsername(ParamReader& r, std::string* out) {
  if (r.Has("username") && r.Has("usernameEnv")) {
    r.Fail("usernameEnv", "give \"username\" or \"usernameEnv\", not both");
  } else if (r.Has("usernameEnv")) {
    if (auto v = FromEnvironment(r, "usernameEnv")) *out = *v;
  } else if (auto v = r.String("username")) {
    *out = *v;
  }
  r.Ignore({"username", "usernameEnv"});
}

// A secret from `env_key` (a variable name) or `file_key` (a path), never both.
void ReadSecret(ParamReader& r, const char* env_key, const char* file_key, Secret* out) {
  if (r.Has(env_key) && r.Has(file_key)) {
    r.Fail(file_key, fmt::format("give \"{}\" or \"{}\", not both", env_key, file_key));
  } else if (r.Has(env_key)) {
    if (auto v = FromEnvironment(r, env_key)) *out = Secret(*v);
  } else if (r.Has(file_key)) {
    if (auto v = FromFile(r, file_key)) *out = Secret(*v);
  }
  r.Ignore({env_key, file_key});
}

// username | usernameEnv, passwordEnv | passwordFile. Passwords never sit in the file itself.
void ReadCredentials(ParamReader& r, RedisStreamsParams* out) {
  ReadUsername(r, &out->username);
  if (r.Has("password")) {
    r.Fail("password", "passwords are not written in the config: use passwordEnv or passwordFile");
  }
  r.Ignore({"password"});
  ReadSecret(r, "passwordEnv", "passwordFile", &out->password);
}

// NATS: username | usernameEnv, passwordEnv | passwordFile, tokenEnv | tokenFile.
void ReadNatsCredentials(ParamReader& r, NatsJetStreamParams* out) {
  ReadUsername(r, &out->username);
  for (const char* inline_key : {"password", "token"}) {
    if (r.Has(inline_key)) {
      r.Fail(inline_key, fmt::format("secrets are not written in the config: use {0}Env or "
                                     "{0}File", inline_key));
      r.Ignore({inline_key});
    }
  }
  ReadSecret(r, "passwordEnv", "passwordFile", &out->password);
  ReadSecret(r, "tokenEnv", "tokenFile", &out->token);
  CheckNatsCredentials(r, *out, {"username", "passwordEnv", "tokenEnv"});
}

// RabbitMQ: host | hostEnv | hostFile (a URL that may carry credentials), username |
// usernameEnv, passwordEnv | passwordFile, and the query keys.
void ReadRabbitMq(ParamReader& r, RabbitMqParams* out) {
  std::optional<Secret> url;
  const char* url_key = "host";
  int given = static_cast<int>(r.Has("host")) + r.Has("hostEnv") + r.Has("hostFile");
  if (given > 1) {
    r.FailEntry("give one of \"host\", \"hostEnv\" or \"hostFile\"");
  } else if (r.Has("hostEnv") || r.Has("hostFile")) {
    url_key = r.Has("hostEnv") ? "hostEnv" : "hostFile";
    ReadSecret(r, "hostEnv", "hostFile", &url.emplace());
    if (url->empty()) url.reset();
  } else if (auto host = r.RequiredString("host")) {
    url = Secret(*host);
  }
  r.Ignore({"host", "hostEnv", "hostFile"});
  ReadRabbitMqQuery(r, url, url_key, out);
  const bool url_credentials = !out->username.empty() || !out->password.empty();
  std::string username;
  ReadUsername(r, &username);
  if (r.Has("password")) {
    r.Fail("password", "passwords are not written in the config: use passwordEnv or passwordFile");
  }
  r.Ignore({"password"});
  Secret password;
  const size_t errors = r.errors().size();
  const char* password_key = r.Has("passwordFile") ? "passwordFile" : "passwordEnv";
  ReadSecret(r, "passwordEnv", "passwordFile", &password);
  if (r.errors().size() != errors) return;  // already reported; pairing them would mislead
  CheckRabbitMqCredentials(r, url_credentials, username, password, url_key,
                           {"username", password_key}, out);
}

// `servers` as a YAML list (each item a single value), or nullopt when it is not a list.
std::optional<std::vector<std::string>> ServerList(const YamlEntry& entry, ParamReader& r) {
  auto it = entry.nodes.find("servers");
  if (it == entry.nodes.end() || !it->second.IsSequence()) return std::nullopt;
  std::vector<std::string> out;
  for (const YAML::Node& item : it->second) {
    if (!item.IsScalar()) {
      r.Fail("servers", "expected a list of URLs");
      return std::vector<std::string>{};
    }
    out.push_back(item.Scalar());
  }
  return out;
}

// Parses one entry; false when it has errors. `names` maps each source name seen so far to the
// path of its entry (broken entries included, so a pool naming them reports no extra error).
}  // namespace

void ReadPrometheusAuth(ParamReader& r, PrometheusParams* params) {
  if (auto v = r.Bool("unsafeSsl")) params->unsafe_ssl = *v;
  ReadUsername(r, &params->username);
  for (const char* inline_key : {"password", "bearerToken"}) {
    if (r.Has(inline_key)) {
      r.Fail(inline_key, fmt::format("secrets are not written in the config: use {0}Env or "
                                     "{0}File", inline_key));
      r.Ignore({inline_key});
    }
  }
  ReadSecret(r, "passwordEnv", "passwordFile", &params->password);
  ReadSecret(r, "bearerTokenEnv", "bearerTokenFile", &params->bearer_token);
  CheckPrometheusCredentials(r, *params, {"username", "passwordEnv", "bearerTokenEnv"});
}

namespace {

bool ParseSource(const YAML::Node& node, const std::string& path, const Config& config,
                 std::map<std::string, std::string>* names, SourceSpec* spec,
                 std::vector<std::string>* errors) {
  const Defaults& defaults = config.defaults;
  std::optional<YamlEntry> entry = ReadEntry(node, path, errors);
  if (!entry) return false;
  ParamReader r = MakeReader(*entry, path);
  r.set_resolve_secrets(config.secrets_resolved);
  if (auto name = r.RequiredString("name")) {
    spec->name = *name;
    auto [it, added] = names->emplace(*name, path);
    if (!added) r.Fail("name", fmt::format("duplicate source name (also {})", it->second));
  }
  std::optional<std::string> type = r.RequiredString("type");
  ReadTiming(r, defaults, spec);
  if (type == kRedisStreams) {
    spec->kind = kRedisStreams;
    RedisStreamsParams params;
    ReadRedisQuery(r, &params);
    ReadCredentials(r, &params);
    spec->params = std::move(params);
    r.RejectUnknown();
  } else if (type == kNatsJetStream) {
    spec->kind = kNatsJetStream;
    NatsJetStreamParams params;
    std::optional<std::vector<std::string>> list = ServerList(*entry, r);
    ReadNatsQuery(r, list ? &*list : nullptr, &params);
    ReadNatsCredentials(r, &params);
    spec->params = std::move(params);
    r.RejectUnknown();
  } else if (type == kRabbitMq) {
    spec->kind = kRabbitMq;
    RabbitMqParams params;
    ReadRabbitMq(r, &params);
    spec->params = std::move(params);
    r.RejectUnknown();
  } else if (type == kPrometheus) {
    spec->kind = kPrometheus;
    PrometheusParams params;
    ReadPrometheusQuery(r, &params);
    ReadPrometheusAuth(r, &params);
    spec->params = std::move(params);
    r.RejectUnknown();
  } else if (type == kKubernetesResources) {
    spec->kind = kKubernetesResources;
    KubernetesResourcesParams params;
    ReadKubernetesResources(r, &params);
    spec->params = std::move(params);
    r.RejectUnknown();
  } else if (type) {
    r.Fail("type", fmt::format("unknown source type; supported: \"{}\", \"{}\", \"{}\", \"{}\", "
                               "\"{}\"",
                               kRedisStreams, kNatsJetStream, kRabbitMq, kPrometheus,
                               kKubernetesResources));
  }
  errors->insert(errors->end(), r.errors().begin(), r.errors().end());
  return r.ok();
}

}  // namespace

void ParseSources(const YAML::Node& node, Config* config, std::set<std::string>* broken,
                  std::vector<std::string>* errors) {
  if (node.IsNull()) return;
  if (!node.IsSequence()) {
    errors->push_back(NodeError("sources", node, "expected a list of sources"));
    return;
  }
  std::map<std::string, std::string> names;
  size_t i = 0;
  for (const YAML::Node& item : node) {
    SourceSpec spec;
    if (ParseSource(item, fmt::format("sources[{}]", i++), *config, &names, &spec, errors)) {
      config->sources.push_back(std::move(spec));
    } else if (!spec.name.empty()) {
      broken->insert(spec.name);
    }
  }
}

}  // namespace poolscaler::config
