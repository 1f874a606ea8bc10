#include "poolscaler/config/trigger.h"

#include <functional>

#include <fmt/format.h>

#include "poolscaler/common/duration.h"
#include "source_params.h"

namespace poolscaler::config {
namespace {

constexpr double kDefaultLagThreshold = 5;

// True when KEDA's "%.3f" rendering of a target is 0 (any positive value below 0.0005).
bool KedaFormatsAsZero(double target) { return fmt::format("{:.3f}", target) == "0.000"; }
// Raw-mode triggers have no maxReplicas of their own: KEDA's maxReplicaCount bounds them.
constexpr int64_t kRawMaxReplicas = 1'000'000;

// A key that sets the lag target; KEDA's redis keys also pick the measure.
struct TargetKey {
  const char* key;
  const char* measure;  // nullptr: the source's default measure
  bool needs_group;
  const char* only_kind;  // nullptr: every kind
};
constexpr TargetKey kTargetKeys[] = {
    {"lagThreshold", nullptr, false, nullptr},
    {"pendingEntriesCount", kMeasurePending, true, kRedisStreams},
    {"streamLength", kMeasureLength, false, kRedisStreams},
    {"lagCount", kMeasureUndelivered, true, kRedisStreams},
    {"threshold", nullptr, false, kPrometheus},  // KEDA's prometheus name
    {"value", nullptr, false, kRabbitMq},  // KEDA rabbitmq: per-replica queue length or rate
};

constexpr char kRedisKeys[] =
    "redis-streams takes address (or host, port), stream, consumerGroup, databaseIndex, "
    "usernameFromEnv, passwordFromEnv, lagThreshold (or pendingEntriesCount, streamLength, "
    "lagCount), activationLagThreshold (or activationLagCount), sampleInterval, staleAfter, "
    "timeout, cooldownSeconds";

constexpr char kNatsKeys[] =
    "nats-jetstream takes natsServer, stream, consumer, jsDomain (or domain), account, "
    "userFromEnv + passwordFromEnv, tokenFromEnv, credsFile, nkeySeedFile, tlsCaFile, "
    "tlsCertFile, tlsKeyFile, lagThreshold, activationLagThreshold, sampleInterval, staleAfter, "
    "timeout, cooldownSeconds";

constexpr char kPrometheusKeys[] =
    "prometheus takes serverAddress, query, reduce (sum, max, min, avg), ignoreNullValues, "
    "bearerTokenFromEnv, usernameFromEnv + passwordFromEnv, tlsCaFile, tlsCertFile, tlsKeyFile, "
    "threshold (or lagThreshold), activationThreshold (or activationLagThreshold), "
    "sampleInterval, staleAfter, timeout, cooldownSeconds";
constexpr char kRabbitKeys[] =
    "rabbitmq takes host (or hostFromEnv), vhostName, queueName, mode, protocol, useRegex, "
    "operation, excludeUnacknowledged, rateWindow, usernameFromEnv + passwordFromEnv, tlsCaFile, "
    "tlsCertFile, tlsKeyFile, value (or lagThreshold), activationValue (or "
    "activationLagThreshold), sampleInterval, staleAfter, timeout, cooldownSeconds";

// The first of `keys` present; every further one present is reported as a conflict.
const char* OneOf(ParamReader& r, std::initializer_list<const char*> keys) {
  const char* chosen = nullptr;
  for (const char* key : keys) {
    if (!r.Has(key)) continue;
    if (chosen == nullptr) {
      chosen = key;
    } else {
      r.Fail(key, fmt::format("conflicts with \"{}\": give only one of them", chosen));
      r.Ignore({key});
    }
  }
  return chosen;
}

void ReadSignal(ParamReader& r, const SourceSpec& source, SignalSpec* signal) {
  const TargetKey* target = nullptr;
  const bool redis = source.kind == kRedisStreams;
  for (const TargetKey& t : kTargetKeys) {
    if (!r.Has(t.key) || (t.only_kind != nullptr && source.kind != t.only_kind)) {
      continue;  // others: unknown keys
    }
    if (target == nullptr) {
      target = &t;
    } else {
      r.Fail(t.key, fmt::format("conflicts with \"{}\": give only one target key", target->key));
      r.Ignore({t.key});
    }
  }
  signal->measure = source.DefaultMeasure();
  signal->lag_threshold = kDefaultLagThreshold;
  if (target != nullptr) {
    if (target->measure != nullptr) signal->measure = target->measure;
    if (target->needs_group && redis &&
        std::get<RedisStreamsParams>(source.params).consumer_group.empty()) {
      r.Fail(target->key, fmt::format("needs \"consumerGroup\" (the \"{}\" measure belongs to a "
                                      "consumer group)", target->measure));
    }
    if (std::optional<double> v = r.PositiveDouble(target->key)) {
      if (KedaFormatsAsZero(*v)) {
        // KEDA v2 writes targetSizeFloat into the HPA as "%.3f" (pkg/scalers/scaler.go,
        // quantityFromFloat64): below 0.0005 the HPA gets a target of 0 and rejects the metric.
        r.Fail(target->key, "is 0 once KEDA rounds it to 3 decimals (the HPA's target); use at "
                            "least 0.001");
      } else {
        signal->lag_threshold = *v;
      }
    }
  }
  const char* act = source.kind == kPrometheus
                        ? OneOf(r, {"activationLagThreshold", "activationThreshold"})
                    : source.kind == kRabbitMq
                        ? OneOf(r, {"activationLagThreshold", "activationValue"})
                        : OneOf(r, {"activationLagThreshold", "activationLagCount"});
  if (act != nullptr) {
    signal->activation_lag_threshold = r.NonNegativeDouble(act).value_or(0);
  }
}

std::string RawSourceName(const RedisStreamsParams& p) {
  std::string name = fmt::format("{}/{}", kRedisStreams, FormatHostPort(p.host, p.port));
  if (p.database != 0) name += fmt::format("/db{}", p.database);
  name += "/" + p.stream;
  if (!p.consumer_group.empty()) name += "/" + p.consumer_group;
  return name;
}

std::string RawSourceName(const NatsJetStreamParams& p) {
  std::string server = p.servers.empty() ? "" : p.servers.front();
  if (size_t sep = server.find("://"); sep != std::string::npos) server = server.substr(sep + 3);
  std::string name = fmt::format("{}/{}", kNatsJetStream, server);
  if (!p.domain.empty()) name += "/domain=" + p.domain;
  name += "/" + p.stream;
  if (!p.consumer.empty()) name += "/" + p.consumer;
  return name;
}

std::string RawSourceName(const RabbitMqParams& p) {
  std::string name = fmt::format("{}/{}", kRabbitMq, FormatHostPort(p.host, p.port));
  if (p.vhost != "/") name += "/vhost=" + p.vhost;
  return name + "/" + p.queue;
}

// RabbitMQ: `host` (or `hostFromEnv`: KEDA substitutes the URL, credentials and all) and
// usernameFromEnv + passwordFromEnv.
std::string ReadRabbitMqSource(ParamReader& r, SourceSpec* source) {
  source->kind = kRabbitMq;
  RabbitMqParams params;
  std::optional<Secret> url;
  const char* url_key = r.Has("hostFromEnv") ? "hostFromEnv" : "host";
  if (r.Has("host") && r.Has("hostFromEnv")) {
    r.Fail("hostFromEnv", "give \"host\" or \"hostFromEnv\", not both");
    r.Ignore({"host"});
  }
  if (r.Has(url_key)) {
    url = r.SecretValue(url_key);
    if (url && url->empty()) {
      r.Fail(url_key, "must not be empty");
      url.reset();
    }
  } else {
    r.Ignore({"host"});
    r.FailEntry("one of \"host\" or \"hostFromEnv\" (the RabbitMQ URL) is required");
  }
  ReadRabbitMqQuery(r, url, url_key, &params);
  const bool url_credentials = !params.username.empty() || !params.password.empty();
  std::string username;
  Secret password;
  if (auto user = r.SecretValue("usernameFromEnv")) username = user->Reveal();
  if (auto pass = r.SecretValue("passwordFromEnv")) password = *pass;
  CheckRabbitMqCredentials(r, url_credentials, username, password, url_key,
                           {"usernameFromEnv", "passwordFromEnv"}, &params);
  source->name = RawSourceName(params);
  std::string metric = fmt::format("{}-{}", kRabbitMq, params.queue);
  source->params = std::move(params);
  return metric;
}

// Redis connection and query keys → source; returns the metric name.
std::string ReadRedisSource(ParamReader& r, SourceSpec* source) {
  source->kind = kRedisStreams;
  RedisStreamsParams params;
  ReadRedisQuery(r, &params);
  // KEDA substitutes the workload's environment value into every *FromEnv key.
  if (auto user = r.SecretValue("usernameFromEnv")) params.username = user->Reveal();
  if (auto password = r.SecretValue("passwordFromEnv")) params.password = *password;
  source->name = RawSourceName(params);
  std::string metric = fmt::format("{}-{}", kRedisStreams, params.stream);
  if (!params.consumer_group.empty()) metric += "-" + params.consumer_group;
  source->params = std::move(params);
  return metric;
}

std::string ReadNatsSource(ParamReader& r, SourceSpec* source) {
  source->kind = kNatsJetStream;
  NatsJetStreamParams params;
  ReadNatsQuery(r, nullptr, &params);
  // KEDA substitutes the workload's environment value into every *FromEnv key: all secrets.
  if (auto user = r.SecretValue("userFromEnv")) params.username = user->Reveal();
  if (auto password = r.SecretValue("passwordFromEnv")) params.password = *password;
  if (auto token = r.SecretValue("tokenFromEnv")) params.token = *token;
  CheckNatsCredentials(r, params, {"userFromEnv", "passwordFromEnv", "tokenFromEnv"});
  source->name = RawSourceName(params);
  std::string metric = fmt::format("{}-{}", kNatsJetStream, params.stream);
  if (!params.consumer.empty()) metric += "-" + params.consumer;
  source->params = std::move(params);
  return metric;
}

std::string ReadPrometheusSource(ParamReader& r, SourceSpec* source) {
  source->kind = kPrometheus;
  PrometheusParams params;
  ReadPrometheusQuery(r, &params);
  if (auto token = r.SecretValue("bearerTokenFromEnv")) params.bearer_token = *token;
  if (auto user = r.SecretValue("usernameFromEnv")) params.username = user->Reveal();
  if (auto password = r.SecretValue("passwordFromEnv")) params.password = *password;
  CheckPrometheusCredentials(r, params,
                             {"usernameFromEnv", "passwordFromEnv", "bearerTokenFromEnv"});
  std::string server = params.server_address;
  if (size_t sep = server.find("://"); sep != std::string::npos) server = server.substr(sep + 3);
  // The query can be long: the name carries a short hash of it, the description the text.
  source->name = fmt::format("{}/{}/{:08x}", kPrometheus, server,
                             std::hash<std::string>{}(params.query) & 0xffffffffu);
  std::string metric = fmt::format("{}-{:08x}", kPrometheus,
                                   std::hash<std::string>{}(params.query) & 0xffffffffu);
  source->params = std::move(params);
  return metric;
}

void ParseRawMode(ParamReader& r, const Defaults& defaults, TriggerSpec* spec) {
  spec->mode = TriggerSpec::Mode::kRaw;
  std::string kind = r.String("source").value_or("");
  if (kind != kRedisStreams && kind != kNatsJetStream && kind != kRabbitMq &&
      kind != kPrometheus) {
    r.Fail("source", fmt::format("unknown source kind; supported in raw mode: \"{}\", \"{}\", "
                                 "\"{}\", \"{}\" ({} sources go in the config file's pools)",
                                 kRedisStreams, kNatsJetStream, kRabbitMq, kPrometheus,
                                 kKubernetesResources));
    return;
  }
  SourceSpec& source = spec->source;
  std::string metric = kind == kRedisStreams   ? ReadRedisSource(r, &source)
                       : kind == kNatsJetStream ? ReadNatsSource(r, &source)
                       : kind == kRabbitMq      ? ReadRabbitMqSource(r, &source)
                                                : ReadPrometheusSource(r, &source);
  ReadTiming(r, defaults, &source);
  spec->metric_name = NormalizeMetricName(metric);

  ReadSignal(r, source, &spec->signal);
  spec->signal.source = source.Key();
  spec->params.min_replicas = 0;
  spec->params.max_replicas = kRawMaxReplicas;
  spec->params.cooldown = ReadSeconds(r, "cooldownSeconds").value_or(Duration::zero());
  spec->params.behavior = policy::Behavior::PassThrough();  // KEDA's HPA rates raw mode
  r.RejectUnknown(kind == kRedisStreams   ? kRedisKeys
                  : kind == kNatsJetStream ? kNatsKeys
                  : kind == kRabbitMq      ? kRabbitKeys
                                           : kPrometheusKeys);
}

void ParsePoolMode(ParamReader& r, TriggerSpec* spec) {
  spec->mode = TriggerSpec::Mode::kPool;
  if (auto pool = r.RequiredString("pool")) spec->pool = *pool;
  for (const std::string& key : r.UnusedKeys()) {
    r.Fail(key, fmt::format("not allowed with \"pool\": pool mode takes its sources and "
                            "thresholds from the config file"));
  }
}

}  // namespace

std::string TriggerSpec::Key() const {
  if (mode == Mode::kPool) return "pool|" + pool;
  return fmt::format("{}|measure={}|threshold={}|activation={}|cooldown={}", source.Key(),
                     signal.measure, signal.lag_threshold, signal.activation_lag_threshold,
                     FormatDuration(params.cooldown));
}

absl::StatusOr<TriggerSpec> ParseTrigger(const std::map<std::string, std::string>& metadata,
                                         const Defaults& defaults) {
  ParamReader r(metadata, "");
  // KEDA's own keys (TLS to us: KEDA uses them itself; tlsClientKey is never echoed).
  r.Ignore({"scalerAddress", "enableTLS", "unsafeSsl", "caCert", "tlsClientCert", "tlsClientKey",
            "tlsCertFile"});
  TriggerSpec spec;
  bool has_pool = r.Has("pool");
  bool has_source = r.Has("source");
  if (has_pool && has_source) {
    return absl::InvalidArgumentError(fmt::format(
        "\"pool\" (value {}) and \"source\" (value {}) exclude each other: give \"pool\" for "
        "pool mode or \"source\" for raw mode",
        Quote(metadata.at("pool")), Quote(metadata.at("source"))));
  }
  if (!has_pool && !has_source) {
    return absl::InvalidArgumentError(
        "one of \"pool\" (pool mode) or \"source\" (raw mode) is required");
  }
  if (has_pool) ParsePoolMode(r, &spec);
  else ParseRawMode(r, defaults, &spec);
  if (!r.ok()) {
    return absl::InvalidArgumentError(fmt::format("{}", fmt::join(r.errors(), "; ")));
  }
  return spec;
}

}  // namespace poolscaler::config
