#include "poolscaler/config/trigger.h"

#include <fmt/format.h>

#include "poolscaler/common/duration.h"
#include "source_params.h"

namespace poolscaler::config {
namespace {

constexpr double kDefaultLagThreshold = 5;
// Raw-mode triggers have no maxReplicas of their own: KEDA's maxReplicaCount bounds them.
constexpr int64_t kRawMaxReplicas = 1'000'000;

// A key that sets the lag target; KEDA's redis keys also pick the measure.
struct TargetKey {
  const char* key;
  const char* measure;  // nullptr: the source's default measure
  bool needs_group;
  bool redis_only;
};
constexpr TargetKey kTargetKeys[] = {
    {"lagThreshold", nullptr, false, false},
    {"pendingEntriesCount", kMeasurePending, true, true},
    {"streamLength", kMeasureLength, false, true},
    {"lagCount", kMeasureUndelivered, true, true},
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
    if (!r.Has(t.key) || (t.redis_only && !redis)) continue;  // others: unknown keys
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
    signal->lag_threshold = r.PositiveDouble(target->key).value_or(kDefaultLagThreshold);
  }
  if (const char* act = OneOf(r, {"activationLagThreshold", "activationLagCount"})) {
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

void ParseRawMode(ParamReader& r, const Defaults& defaults, TriggerSpec* spec) {
  spec->mode = TriggerSpec::Mode::kRaw;
  std::string kind = r.String("source").value_or("");
  if (kind != kRedisStreams && kind != kNatsJetStream) {
    r.Fail("source", fmt::format("unknown source kind; supported: \"{}\", \"{}\"",
                                 kRedisStreams, kNatsJetStream));
    return;
  }
  SourceSpec& source = spec->source;
  std::string metric = kind == kRedisStreams ? ReadRedisSource(r, &source)
                                             : ReadNatsSource(r, &source);
  ReadTiming(r, defaults, &source);
  spec->metric_name = NormalizeMetricName(metric);

  ReadSignal(r, source, &spec->signal);
  spec->signal.source = source.Key();
  spec->params.min_replicas = 0;
  spec->params.max_replicas = kRawMaxReplicas;
  spec->params.cooldown = ReadSeconds(r, "cooldownSeconds").value_or(Duration::zero());
  spec->params.scale_down_window = Duration::zero();
  r.RejectUnknown(kind == kRedisStreams ? kRedisKeys : kNatsKeys);
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
  r.Ignore({"scalerAddress", "enableTLS", "unsafeSsl"});  // KEDA's own keys
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
