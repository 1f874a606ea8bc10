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

// username | usernameEnv, passwordEnv | passwordFile. Passwords never sit in the file itself.
void ReadCredentials(ParamReader& r, RedisStreamsParams* out) {
  if (r.Has("username") && r.Has("usernameEnv")) {
    r.Fail("usernameEnv", "give \"username\" or \"usernameEnv\", not both");
  } else if (r.Has("usernameEnv")) {
    if (auto v = FromEnvironment(r, "usernameEnv")) out->username = *v;
  } else if (auto v = r.String("username")) {
    out->username = *v;
  }
  r.Ignore({"username", "usernameEnv"});

  if (r.Has("password")) {
    r.Fail("password", "passwords are not written in the config: use passwordEnv or passwordFile");
  }
  if (r.Has("passwordEnv") && r.Has("passwordFile")) {
    r.Fail("passwordFile", "give \"passwordEnv\" or \"passwordFile\", not both");
  } else if (r.Has("passwordEnv")) {
    if (auto v = FromEnvironment(r, "passwordEnv")) out->password = Secret(*v);
  } else if (r.Has("passwordFile")) {
    if (auto v = FromFile(r, "passwordFile")) out->password = Secret(*v);
  }
  r.Ignore({"password", "passwordEnv", "passwordFile"});
}

// NATS: username | usernameEnv, passwordEnv | passwordFile, tokenEnv | tokenFile.
void ReadNatsCredentials(ParamReader& r, NatsJetStreamParams* out) {
  if (r.Has("username") && r.Has("usernameEnv")) {
    r.Fail("usernameEnv", "give \"username\" or \"usernameEnv\", not both");
  } else if (r.Has("usernameEnv")) {
    if (auto v = FromEnvironment(r, "usernameEnv")) out->username = *v;
  } else if (auto v = r.String("username")) {
    out->username = *v;
  }
  r.Ignore({"username", "usernameEnv"});
  for (const char* inline_key : {"password", "token"}) {
    if (r.Has(inline_key)) {
      r.Fail(inline_key, fmt::format("secrets are not written in the config: use {0}Env or "
                                     "{0}File", inline_key));
      r.Ignore({inline_key});
    }
  }
  struct SecretKeys {
    const char* env;
    const char* file;
    Secret* out;
  };
  for (const SecretKeys& k : {SecretKeys{"passwordEnv", "passwordFile", &out->password},
                              SecretKeys{"tokenEnv", "tokenFile", &out->token}}) {
    if (r.Has(k.env) && r.Has(k.file)) {
      r.Fail(k.file, fmt::format("give \"{}\" or \"{}\", not both", k.env, k.file));
    } else if (r.Has(k.env)) {
      if (auto v = FromEnvironment(r, k.env)) *k.out = Secret(*v);
    } else if (r.Has(k.file)) {
      if (auto v = FromFile(r, k.file)) *k.out = Secret(*v);
    }
    r.Ignore({k.env, k.file});
  }
  CheckNatsCredentials(r, *out, {"username", "passwordEnv", "tokenEnv"});
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
bool ParseSource(const YAML::Node& node, const std::string& path, const Defaults& defaults,
                 std::map<std::string, std::string>* names, SourceSpec* spec,
                 std::vector<std::string>* errors) {
  std::optional<YamlEntry> entry = ReadEntry(node, path, errors);
  if (!entry) return false;
  ParamReader r = MakeReader(*entry, path);
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
  } else if (type) {
    r.Fail("type", fmt::format("unknown source type; supported: \"{}\", \"{}\"", kRedisStreams,
                               kNatsJetStream));
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
    if (ParseSource(item, fmt::format("sources[{}]", i++), config->defaults, &names, &spec,
                    errors)) {
      config->sources.push_back(std::move(spec));
    } else if (!spec.name.empty()) {
      broken->insert(spec.name);
    }
  }
}

}  // namespace poolscaler::config
