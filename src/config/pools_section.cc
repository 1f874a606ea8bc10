// The `pools:` section of the YAML config.
#include <fmt/format.h>

#include <map>

#include "config_parts.h"
#include "poolscaler/common/quantity.h"
#include "source_params.h"
#include "yaml_entry.h"

namespace poolscaler::config {
namespace {

constexpr int64_t kMaxReplicas = 1'000'000;
constexpr double kDefaultLagThreshold = 5;

// What sources and pools the section is checked against, and where each name first appeared.
struct PoolContext {
  const Config& config;
  const std::set<std::string>& broken_sources;
  std::map<std::string, std::string> pool_names;    // name → path
  std::map<std::string, std::string> metric_names;  // normalized name → pool name
};

std::string MeasureProblem(const SourceSpec& source, const std::string& measure) {
  std::vector<std::string> known;
  for (const std::string& m : source.Measures()) known.push_back(fmt::format("\"{}\"", m));
  const bool counter = measure == kMeasureArrivedTotal || measure == kMeasureCompletedTotal;
  bool group_measure = measure == kMeasureUndelivered || measure == kMeasurePending ||
                       measure == kMeasureOutstanding || counter;
  if (group_measure && source.kind == kRedisStreams) {
    return fmt::format("source \"{}\" has no consumerGroup, so it reports only \"{}\"", source.name,
                       kMeasureLength);
  }
  if (source.kind == kNatsJetStream && known.size() == 1 &&
      (measure == kMeasurePending || measure == kMeasureOutstanding ||
       measure == kMeasureAckPending || measure == kMeasureRedelivered ||
       measure == kMeasureDeliveredSeq || measure == kMeasureAckFloorSeq || counter)) {
    return fmt::format("source \"{}\" has no consumer, so it reports only \"{}\"", source.name,
                       kMeasureLength);
  }
  return fmt::format("unknown measure; source \"{}\" reports {}", source.name,
                     fmt::join(known, ", "));
}

// A utilization signal's per-pod target: `targetUtilization` (percent of requests) for the
// *_utilization measures, `targetAverageValue` (a quantity: cores or bytes) for cpu/memory —
// the HPA's averageUtilization / averageValue.
void ReadUtilizationTarget(ParamReader& r, const std::string& measure, SignalSpec* signal) {
  signal->kind = policy::SignalKind::kUtilization;
  signal->pods_measure = kMeasurePods;
  const bool percent = measure == kMeasureCpuUtilization || measure == kMeasureMemoryUtilization;
  const char* key = percent ? "targetUtilization" : "targetAverageValue";
  const char* other = percent ? "targetAverageValue" : "targetUtilization";
  for (const char* lag_key :
       {"lagThreshold", "threshold", "activationLagThreshold", "activationThreshold", other}) {
    if (r.Has(lag_key)) {
      r.Fail(lag_key, fmt::format("does not apply to the \"{}\" measure (a per-pod usage): give "
                                  "\"{}\"",
                                  measure, key));
      r.Ignore({lag_key});
    }
  }
  if (percent) {
    if (auto v = r.PositiveDouble(key))
      signal->lag_threshold = *v;
    else if (!r.Has(key))
      r.Fail(key, "is required for a utilization signal (percent, e.g. 70)");
    return;
  }
  std::optional<std::string> text = r.String(key);
  if (!text) {
    r.Fail(key, fmt::format("is required for the \"{}\" measure (per pod, e.g. {})", measure,
                            measure == kMeasureCpu ? "500m" : "1Gi"));
    return;
  }
  absl::StatusOr<Quantity> q = Quantity::Parse(key, *text);
  if (!q.ok() || !(q->ToDouble() > 0)) {
    r.Fail(key, "expected a Kubernetes quantity greater than 0 (e.g. 500m, 1.5, 512Mi)");
    return;
  }
  signal->lag_threshold = q->ToDouble();
}

std::optional<SignalSpec> ParseSignal(const YAML::Node& node, const std::string& path,
                                      const PoolContext& ctx, std::vector<std::string>* errors) {
  std::optional<YamlEntry> entry = ReadEntry(node, path, errors);
  if (!entry) return std::nullopt;
  ParamReader r = MakeReader(*entry, path);
  SignalSpec signal;
  const SourceSpec* source = nullptr;
  if (auto name = r.RequiredString("source")) {
    signal.source = *name;
    source = ctx.config.FindSource(*name);
    if (source == nullptr && ctx.broken_sources.count(*name) == 0) {
      r.Fail("source", "no source with this name in \"sources\"");
    }
  }
  std::optional<std::string> measure = r.String("measure");
  if (source != nullptr) {
    if (!measure)
      signal.measure = source->DefaultMeasure();
    else if (source->HasMeasure(*measure))
      signal.measure = *measure;
    else
      r.Fail("measure", MeasureProblem(*source, *measure));
  }
  if (source != nullptr && IsUtilizationMeasure(source->kind, signal.measure)) {
    ReadUtilizationTarget(r, signal.measure, &signal);
  } else {
    // KEDA's prometheus names (threshold, activationThreshold) are aliases.
    if (r.Has("lagThreshold") && r.Has("threshold")) {
      r.Fail("threshold", "conflicts with \"lagThreshold\": give only one of them");
    }
    if (r.Has("activationLagThreshold") && r.Has("activationThreshold")) {
      r.Fail("activationThreshold",
             "conflicts with \"activationLagThreshold\": give only one of them");
    }
    const char* target = r.Has("threshold") ? "threshold" : "lagThreshold";
    const char* activation =
        r.Has("activationThreshold") ? "activationThreshold" : "activationLagThreshold";
    signal.lag_threshold = r.PositiveDouble(target).value_or(kDefaultLagThreshold);
    signal.activation_lag_threshold = r.NonNegativeDouble(activation).value_or(0);
    r.Ignore({"threshold", "lagThreshold", "activationThreshold", "activationLagThreshold"});
  }
  r.RejectUnknown();
  errors->insert(errors->end(), r.errors().begin(), r.errors().end());
  if (!r.ok()) return std::nullopt;
  return signal;
}

void ParseSignals(const YamlEntry& entry, ParamReader& r, const std::string& path,
                  const PoolContext& ctx, PoolSpec* pool, std::vector<std::string>* errors) {
  r.Ignore({"signals"});
  auto it = entry.nodes.find("signals");
  if (it == entry.nodes.end()) {
    r.Fail("signals", "is required: list at least one signal");
    return;
  }
  if (!it->second.IsSequence() || it->second.size() == 0) {
    r.Fail("signals", "expected a list of at least one signal");
    return;
  }
  std::map<std::string, std::string> seen;  // signal name → path
  size_t i = 0;
  for (const YAML::Node& item : it->second) {
    std::string signal_path = fmt::format("{}.signals[{}]", path, i++);
    std::optional<SignalSpec> signal = ParseSignal(item, signal_path, ctx, errors);
    if (!signal) continue;
    auto [first, added] = seen.emplace(signal->Name(), signal_path);
    if (!added) {
      errors->push_back(NodeError(
          signal_path, item,
          fmt::format("duplicate signal \"{}\" (also {})", signal->Name(), first->second)));
      continue;
    }
    pool->signals.push_back(std::move(*signal));
  }
}

void ReadLimits(ParamReader& r, policy::PoolParams* params) {
  if (auto v = r.Int("minReplicas", 0, kMaxReplicas)) params->min_replicas = *v;
  if (auto v = r.Int("maxReplicas", 1, kMaxReplicas)) {
    if (*v < params->min_replicas) {
      r.Fail("maxReplicas", fmt::format("must be at least minReplicas ({})", params->min_replicas));
    }
    params->max_replicas = *v;
  } else if (!r.Has("maxReplicas") && params->max_replicas < params->min_replicas) {
    r.Fail("minReplicas",
           fmt::format("exceeds the default maxReplicas ({})", params->max_replicas));
  }
  if (auto v = ReadSeconds(r, "cooldownSeconds")) params->cooldown = *v;
  if (auto v = r.Bool("resourceSignalsActivate")) params->resource_signals_activate = *v;
  // v1 name of behavior.scaleDown.stabilizationWindowSeconds.
  if (auto v = ReadSeconds(r, "scaleDownWindowSeconds")) {
    params->behavior.scale_down.stabilization_window = *v;
  }
}

// `behavior:` (HPA shape). The v1 key scaleDownWindowSeconds may not say the same thing twice.
void ReadBehavior(const YamlEntry& entry, ParamReader& r, const std::string& path,
                  policy::PoolParams* params, std::vector<std::string>* errors) {
  r.Ignore({"behavior"});
  auto it = entry.nodes.find("behavior");
  if (it == entry.nodes.end()) return;
  const YAML::Node& b = it->second;
  if (r.Has("scaleDownWindowSeconds") && b.IsMap() && b["scaleDown"].IsMap() &&
      b["scaleDown"]["stabilizationWindowSeconds"]) {
    r.Fail("scaleDownWindowSeconds",
           "conflicts with behavior.scaleDown.stabilizationWindowSeconds; set only one");
  }
  ParseBehavior(b, path + ".behavior", &params->behavior, errors);
}

// Drain-time mode: `targetDrainSeconds` with `perReplicaRate` and/or `learnPerReplicaRate`,
// `rateHalfLifeSeconds`. Binds the counters of every lag signal whose source reports them; a pool
// with none of them cannot use the mode.
void ReadDrain(ParamReader& r, const PoolContext& ctx, PoolSpec* pool) {
  policy::DrainParams& d = pool->params.drain;
  if (auto v = r.PositiveDouble("perReplicaRate")) {
    pool->model.per_replica_rate = *v;
    d.per_replica_rate = *v;
  }
  if (auto v = ReadSeconds(r, "targetDrainSeconds")) d.target_drain = *v;
  if (auto v = r.Bool("learnPerReplicaRate")) d.learn_per_replica_rate = *v;
  if (auto v = ReadSeconds(r, "rateHalfLifeSeconds")) {
    if (*v <= Duration::zero())
      r.Fail("rateHalfLifeSeconds", "must be greater than 0");
    else
      d.rate_half_life = *v;
  }
  if (!d.enabled()) {
    for (const char* key : {"learnPerReplicaRate", "rateHalfLifeSeconds"}) {
      if (r.Has(key)) r.Fail(key, "applies only to drain-time mode: set targetDrainSeconds too");
    }
    return;
  }
  if (!d.per_replica_rate && !d.learn_per_replica_rate) {
    r.Fail("targetDrainSeconds",
           "drain-time mode needs perReplicaRate (jobs/s one replica finishes) or "
           "learnPerReplicaRate: true");
  }
  bool bound = false;
  for (SignalSpec& s : pool->signals) {
    const SourceSpec* source = ctx.config.FindSource(s.source);
    if (source == nullptr || s.kind != policy::SignalKind::kLag) continue;
    if (!source->HasMeasure(kMeasureArrivedTotal) || !source->HasMeasure(kMeasureCompletedTotal)) {
      continue;
    }
    s.arrived_measure = kMeasureArrivedTotal;
    s.completed_measure = kMeasureCompletedTotal;
    bound = true;
  }
  if (!bound && !pool->signals.empty()) {
    r.Fail("targetDrainSeconds",
           "no lag signal of this pool has a source with arrival counters (redis-streams with "
           "a consumerGroup, nats-jetstream with a consumer, rabbitmq over http(s))");
  }
}

void ParsePool(const YAML::Node& node, const std::string& path, PoolContext& ctx, Config* config,
               std::vector<std::string>* errors) {
  std::optional<YamlEntry> entry = ReadEntry(node, path, errors);
  if (!entry) return;
  ParamReader r = MakeReader(*entry, path);
  PoolSpec pool;
  bool duplicate = false;
  if (auto name = r.RequiredString("name")) {
    pool.name = *name;
    auto [it, added] = ctx.pool_names.emplace(*name, path);
    duplicate = !added;
    if (duplicate) r.Fail("name", fmt::format("duplicate pool name (also {})", it->second));
  }
  if (r.Has("metricName")) {
    if (auto v = r.RequiredString("metricName")) pool.metric_name = NormalizeMetricName(*v);
  } else if (!pool.name.empty()) {
    pool.metric_name = NormalizeMetricName("pool-" + pool.name);
  }
  if (!pool.metric_name.empty() && !duplicate) {  // a duplicate name is reported once
    auto [it, added] = ctx.metric_names.emplace(pool.metric_name, pool.name);
    if (!added) {
      std::string problem = fmt::format("metric name \"{}\" is already used by pool {}",
                                        pool.metric_name, Quote(it->second));
      if (r.Has("metricName"))
        r.Fail("metricName", problem);
      else
        r.FailEntry(problem + "; set a distinct metricName");
    }
  }
  ReadLimits(r, &pool.params);
  if (auto v = ReadSeconds(r, "startupSeconds")) pool.model.startup = *v;
  if (auto v = ReadSeconds(r, "backlogAgeSLOSeconds")) pool.model.backlog_age_slo = *v;
  std::vector<std::string> signal_errors;
  ReadBehavior(*entry, r, path, &pool.params, &signal_errors);
  ReadPoolTier(*entry, r, path, ctx.config, &pool.params, &signal_errors);
  ParseSignals(*entry, r, path, ctx, &pool, &signal_errors);
  ReadDrain(r, ctx, &pool);
  r.Ignore({"scaleTargetRef"});
  if (auto it = entry->nodes.find("scaleTargetRef"); it != entry->nodes.end()) {
    pool.scale_target = ParseScaleTargetRef(it->second, path + ".scaleTargetRef", &signal_errors);
  }
  r.RejectUnknown();
  errors->insert(errors->end(), r.errors().begin(), r.errors().end());
  errors->insert(errors->end(), signal_errors.begin(), signal_errors.end());
  if (!r.ok() || !signal_errors.empty()) return;
  std::optional<ScaleTargetRef> target = std::move(pool.scale_target);
  pool.scale_target.reset();
  config->pools.push_back(std::move(pool));
  if (target) {
    absl::Status st = AttachScaleTarget(*config, config->pools.size() - 1, *target);
    if (!st.ok()) {
      config->pools.pop_back();
      errors->push_back(NodeError(path + ".scaleTargetRef", entry->nodes.at("scaleTargetRef"),
                                  std::string(st.message())));
    }
  }
}

}  // namespace

void ParsePools(const YAML::Node& node, const std::set<std::string>& broken, Config* config,
                std::vector<std::string>* errors) {
  if (node.IsNull()) return;
  if (!node.IsSequence()) {
    errors->push_back(NodeError("pools", node, "expected a list of pools"));
    return;
  }
  PoolContext ctx{*config, broken, {}, {}};
  size_t i = 0;
  for (const YAML::Node& item : node) {
    ParsePool(item, fmt::format("pools[{}]", i++), ctx, config, errors);
  }
}

}  // namespace poolscaler::config
