// Fuzzes config::ParseTrigger (KEDA trigger metadata).
//
// Input: "key=value" lines (split at the first '='; a line without '=' is a key with an empty
// value; a later line replaces an earlier one; a trailing '\r' is dropped). Each map is parsed
// with two Defaults: the built-in ones and short ones with staleAfter set.
//
// Invariants:
//  - OK raw mode: lagThreshold > 0 and finite, activation >= 0 and finite, a complete
//    redis-streams source (host, port 1..65535, stream, database 0..1000) or nats-jetstream
//    source (servers with a nats:// or tls:// scheme and no credentials, stream, user and
//    password together), 0 < timeout <=
//    sampleInterval <= staleAfter, cooldown 0..1 year, a non-empty normalized metric name,
//    signal.source == source.Key(), a measure the source reports, and only keys raw mode knows.
//  - OK pool mode: pool == metadata["pool"], non-empty, and no key but "pool" and KEDA's own
//    (scalerAddress, enableTLS, unsafeSsl, caCert, tlsClientCert, tlsClientKey, tlsCertFile).
//  - Errors are INVALID_ARGUMENT with a non-empty message.
//  - Secrets: the value of a secret-looking key (passwordFromEnv, usernameFromEnv, any *FromEnv,
//    *password*, *token*, ...) never appears in an error message, nor in the source's name,
//    key or description or the metric name. Checked two ways: with each such value replaced by
//    a canary found nowhere else in the input, and with the fuzzer's own value when it is >= 4
//    bytes, occurs in no other key or value, and is absent from the canary run's message (so
//    fixed message text, such as a password "redis", is not a leak).
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <fmt/format.h>

#include "absl/status/statusor.h"
#include "fuzz_check.h"
#include "poolscaler/config/source_spec.h"
#include "poolscaler/config/trigger.h"

namespace {

namespace config = poolscaler::config;
using poolscaler::Duration;
using poolscaler::fuzz::Contains;
using Metadata = std::map<std::string, std::string>;

Metadata ParseLines(std::string_view input) {
  Metadata metadata;
  while (!input.empty()) {
    size_t end = input.find('\n');
    std::string_view line = input.substr(0, end);
    input = end == std::string_view::npos ? std::string_view() : input.substr(end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    size_t eq = line.find('=');
    std::string key(line.substr(0, eq));
    std::string value(eq == std::string_view::npos ? std::string_view() : line.substr(eq + 1));
    metadata[key] = value;
  }
  return metadata;
}

// Mirrors the config module's rule for keys whose value may be a credential.
bool LooksSecret(std::string_view key) {
  std::string lower;
  for (char c : key) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (lower.ends_with("fromenv")) return true;
  for (const char* word : {"password", "passwd", "secret", "token", "credential", "apikey"}) {
    if (Contains(lower, word)) return true;
  }
  return false;
}

// Whether `needle` occurs in any key, or in any value but `skip_key`'s (nullptr: skip none).
bool OccursElsewhere(const Metadata& metadata, const std::string* skip_key,
                     std::string_view needle) {
  for (const auto& [key, value] : metadata) {
    if (Contains(key, needle)) return true;
    if ((skip_key == nullptr || key != *skip_key) && Contains(value, needle)) return true;
  }
  return false;
}

// The input again, for failure messages.
std::string Show(const Metadata& metadata) {
  std::string out;
  for (const auto& [key, value] : metadata) out += fmt::format("\n  {}={}", key, value);
  return out;
}

const std::set<std::string>& NatsRawKeys() {
  static const std::set<std::string> keys = {
      "source", "natsServer", "stream", "consumer", "jsDomain", "domain", "account",
      "userFromEnv", "passwordFromEnv", "tokenFromEnv", "credsFile", "nkeySeedFile", "tlsCaFile",
      "tlsCertFile", "tlsKeyFile", "lagThreshold", "activationLagThreshold", "sampleInterval",
      "staleAfter", "timeout", "cooldownSeconds"};
  return keys;
}

const std::set<std::string>& RabbitRawKeys() {
  static const std::set<std::string> keys = {
      "source", "host", "hostFromEnv", "vhostName", "queueName", "mode", "protocol", "useRegex",
      "operation", "excludeUnacknowledged", "rateWindow", "usernameFromEnv", "passwordFromEnv",
      "tlsCaFile", "tlsCertFile", "tlsKeyFile", "value", "lagThreshold", "activationValue",
      "activationLagThreshold", "sampleInterval", "staleAfter", "timeout", "cooldownSeconds"};
  return keys;
}

const std::set<std::string>& RawKeys() {
  static const std::set<std::string> keys = {
      "source", "address", "host", "port", "stream", "consumerGroup", "databaseIndex",
      "usernameFromEnv", "passwordFromEnv", "lagThreshold", "pendingEntriesCount", "streamLength",
      "lagCount", "activationLagThreshold", "activationLagCount", "sampleInterval", "staleAfter",
      "timeout", "cooldownSeconds"};
  return keys;
}

const std::set<std::string>& PrometheusRawKeys() {
  static const std::set<std::string> keys = {
      "source", "serverAddress", "query", "reduce", "ignoreNullValues", "bearerTokenFromEnv",
      "usernameFromEnv", "passwordFromEnv", "tlsCaFile", "tlsCertFile", "tlsKeyFile",
      "lagThreshold", "threshold", "activationLagThreshold", "activationThreshold",
      "sampleInterval", "staleAfter", "timeout", "cooldownSeconds"};
  return keys;
}

// KEDA's external-scaler keys (its TLS settings to us, and the deprecated tlsCertFile): every
// mode accepts and ignores them.
bool KedaKey(const std::string& key) {
  static const std::set<std::string> keys = {"scalerAddress", "enableTLS",    "unsafeSsl",
                                             "caCert",        "tlsClientCert", "tlsClientKey",
                                             "tlsCertFile"};
  return keys.count(key) == 1;
}

// `text` with every secret fingerprint ("sha256:" + 16 hex digits) replaced by "sha256:#". A
// fingerprint is a hash, not the secret; without this the fuzzer, which sees the compared bytes
// of every search, learns a fingerprint's digits and offers them as a "secret" found in a key.
std::string RedactFingerprints(std::string_view text) {
  static constexpr std::string_view kPrefix = "sha256:";
  std::string out;
  size_t pos = 0;
  for (size_t at = text.find(kPrefix); at != std::string_view::npos;
       at = text.find(kPrefix, pos)) {
    const size_t digits_at = at + kPrefix.size();
    out += text.substr(pos, digits_at - pos);
    out += '#';
    size_t end = digits_at;
    while (end < text.size() && end - digits_at < 16 &&
           std::isxdigit(static_cast<unsigned char>(text[end]))) {
      ++end;
    }
    pos = end;
  }
  out += text.substr(pos);
  return out;
}

// Everything an OK spec shows that could carry a secret by mistake (fingerprints redacted).
std::vector<std::string> Visible(const config::TriggerSpec& spec) {
  std::vector<std::string> out = {spec.Key(),          spec.metric_name,     spec.source.name,
                                  spec.source.Key(),   spec.source.Describe(), spec.signal.source,
                                  spec.signal.Name()};
  for (std::string& text : out) text = RedactFingerprints(text);
  return out;
}

void CheckOk(const Metadata& metadata, const config::Defaults& defaults,
             const config::TriggerSpec& spec) {
  const std::string input = Show(metadata);
  if (spec.mode == config::TriggerSpec::Mode::kPool) {
    FUZZ_CHECK(metadata.count("pool") == 1 && spec.pool == metadata.at("pool"), input);
    FUZZ_CHECK(!spec.pool.empty(), input);
    for (const auto& [key, value] : metadata) {
      FUZZ_CHECK(key == "pool" || KedaKey(key),
                 fmt::format("pool mode accepted key \"{}\": {}", key, input));
    }
    return;
  }
  FUZZ_CHECK(metadata.count("source") == 1 && metadata.count("pool") == 0, input);
  const bool nats = spec.source.kind == config::kNatsJetStream;
  const bool prometheus = spec.source.kind == config::kPrometheus;
  const bool rabbit = spec.source.kind == config::kRabbitMq;
  for (const auto& [key, value] : metadata) {
    FUZZ_CHECK(KedaKey(key) ||
                   (prometheus ? PrometheusRawKeys()
                : nats     ? NatsRawKeys()
                : rabbit   ? RabbitRawKeys()
                           : RawKeys())
                       .count(key) == 1,
               fmt::format("raw mode accepted key \"{}\": {}", key, input));
  }
  const config::SignalSpec& signal = spec.signal;
  FUZZ_CHECK(std::isfinite(signal.lag_threshold) && signal.lag_threshold > 0,
             fmt::format("lag_threshold {}: {}", signal.lag_threshold, input));
  FUZZ_CHECK(std::isfinite(signal.activation_lag_threshold) && signal.activation_lag_threshold >= 0,
             fmt::format("activation {}: {}", signal.activation_lag_threshold, input));
  const config::SourceSpec& source = spec.source;
  FUZZ_CHECK(source.kind == config::kRedisStreams || nats || prometheus || rabbit, input);
  const auto* redis = std::get_if<config::RedisStreamsParams>(&source.params);
  if (prometheus) {
    const auto* p = std::get_if<config::PrometheusParams>(&source.params);
    FUZZ_CHECK(p != nullptr && !p->query.empty(), input);
    FUZZ_CHECK((p->server_address.starts_with("http://") ||
                p->server_address.starts_with("https://")) &&
                   !Contains(p->server_address, "@"),
               input);
    FUZZ_CHECK(p->username.empty() == p->password.empty(), input);
    FUZZ_CHECK(p->bearer_token.empty() || p->password.empty(), input);
  } else if (rabbit) {
    const auto* q = std::get_if<config::RabbitMqParams>(&source.params);
    FUZZ_CHECK(q != nullptr && !q->host.empty() && !q->queue.empty() && !q->vhost.empty(), input);
    FUZZ_CHECK(q->port >= 1 && q->port <= 65535, input);
    FUZZ_CHECK(!q->use_regex || q->protocol == config::RabbitMqParams::Protocol::kHttp, input);
    FUZZ_CHECK(q->rate_window > Duration::zero(), input);
    // Credentials from the URL's userinfo never show (the key fingerprints them).
    const std::string& password = q->password.Reveal();
    std::string fixed = q->Endpoint() + q->vhost + q->queue + q->username;
    for (const auto& [key, value] : metadata) {
      if (key != "host" && key != "hostFromEnv") fixed += value;
    }
    if (password.size() >= 4 && !Contains(fixed, password)) {
      for (const std::string& text : Visible(spec)) {
        FUZZ_CHECK(!Contains(text, password), fmt::format("URL password in \"{}\": {}", text, input));
      }
    }
  } else if (nats) {
    const auto* n = std::get_if<config::NatsJetStreamParams>(&source.params);
    FUZZ_CHECK(n != nullptr && !n->servers.empty() && !n->stream.empty(), input);
    for (const std::string& server : n->servers) {
      FUZZ_CHECK((server.starts_with("nats://") || server.starts_with("tls://")) &&
                     !Contains(server, "@"),
                 fmt::format("server \"{}\": {}", server, input));
    }
    FUZZ_CHECK(n->username.empty() == n->password.empty(), input);
    FUZZ_CHECK(!metadata.count("consumer") || n->consumer == metadata.at("consumer"), input);
  } else {
    FUZZ_CHECK(redis != nullptr, input);
    FUZZ_CHECK(!redis->host.empty() && !redis->stream.empty(), input);
    FUZZ_CHECK(redis->port >= 1 && redis->port <= 65535, fmt::format("port {}: {}", redis->port, input));
    FUZZ_CHECK(redis->database >= 0 && redis->database <= 1000, input);
  }
  FUZZ_CHECK(source.sample_interval > Duration::zero(), input);
  FUZZ_CHECK(source.stale_after >= source.sample_interval, input);
  FUZZ_CHECK(source.timeout > Duration::zero() && source.timeout <= source.sample_interval, input);
  if (!metadata.count("sampleInterval")) {
    FUZZ_CHECK(source.sample_interval == defaults.sample_interval, input);
  }
  const Duration one_year = std::chrono::hours(24 * 365);
  FUZZ_CHECK(spec.params.cooldown >= Duration::zero() && spec.params.cooldown <= one_year, input);
  FUZZ_CHECK(spec.params.min_replicas == 0 && spec.params.max_replicas > 0, input);
  FUZZ_CHECK(!spec.metric_name.empty() &&
                 config::NormalizeMetricName(spec.metric_name) == spec.metric_name,
             fmt::format("metric name \"{}\": {}", spec.metric_name, input));
  FUZZ_CHECK(signal.source == source.Key(), input);
  FUZZ_CHECK(source.HasMeasure(signal.measure),
             fmt::format("measure \"{}\": {}", signal.measure, input));
  FUZZ_CHECK(nats || prometheus || rabbit || !metadata.count("consumerGroup") ||
                 redis->consumer_group == metadata.at("consumerGroup"),
             input);
}

// Parses, checks the result's own invariants and returns the error message ("" when OK) and
// the visible strings of an OK spec.
std::string ParseAndCheck(const Metadata& metadata, const config::Defaults& defaults,
                          std::vector<std::string>* visible) {
  absl::StatusOr<config::TriggerSpec> spec = config::ParseTrigger(metadata, defaults);
  if (spec.ok()) {
    CheckOk(metadata, defaults, *spec);
    *visible = Visible(*spec);
    return "";
  }
  FUZZ_CHECK(spec.status().code() == absl::StatusCode::kInvalidArgument,
             spec.status().ToString());
  FUZZ_CHECK(!spec.status().message().empty(), "empty error message");
  visible->clear();
  return std::string(spec.status().message());
}

void CheckSecrets(const Metadata& metadata, const config::Defaults& defaults) {
  // The canary run: every secret-looking value replaced by a marker found nowhere in the input.
  Metadata canaried = metadata;
  std::vector<std::string> canaries;
  for (auto& [key, value] : canaried) {
    if (!LooksSecret(key)) continue;
    std::string canary = fmt::format("<canary{}>", canaries.size());
    while (OccursElsewhere(metadata, nullptr, canary)) canary += "~";
    value = canary;
    canaries.push_back(canary);
  }
  std::vector<std::string> original_visible;
  const std::string original = ParseAndCheck(metadata, defaults, &original_visible);
  if (canaries.empty()) return;
  std::vector<std::string> canary_visible;
  const std::string with_canaries = ParseAndCheck(canaried, defaults, &canary_visible);
  for (const std::string& canary : canaries) {
    FUZZ_CHECK(!Contains(with_canaries, canary),
               fmt::format("secret canary {} in error: {}", canary, with_canaries));
    for (const std::string& text : canary_visible) {
      FUZZ_CHECK(!Contains(text, canary), fmt::format("secret canary {} in \"{}\"", canary, text));
    }
  }
  for (const auto& [key, value] : metadata) {
    if (!LooksSecret(key) || value.size() < 4 || OccursElsewhere(metadata, &key, value)) continue;
    if (!Contains(with_canaries, value)) {
      FUZZ_CHECK(!Contains(original, value),
                 fmt::format("value of \"{}\" in error: {}", key, original));
    }
    bool in_fixed_text = false;
    for (const std::string& text : canary_visible) in_fixed_text |= Contains(text, value);
    if (in_fixed_text) continue;
    for (const std::string& text : original_visible) {
      FUZZ_CHECK(!Contains(text, value), fmt::format("value of \"{}\" in \"{}\"", key, text));
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;  // metadata is a handful of short keys
  const Metadata metadata =
      ParseLines(std::string_view(reinterpret_cast<const char*>(data), size));
  config::Defaults built_in;
  config::Defaults short_defaults;
  short_defaults.sample_interval = std::chrono::milliseconds(500);
  short_defaults.stale_after = std::chrono::seconds(1);
  short_defaults.timeout = std::chrono::milliseconds(200);
  CheckSecrets(metadata, built_in);
  CheckSecrets(metadata, short_defaults);
  return 0;
}
