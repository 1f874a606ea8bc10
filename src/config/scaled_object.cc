#include "poolscaler/config/scaled_object.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <regex>

#include "poolscaler/common/text.h"
#include "poolscaler/config/trigger.h"
#include "yaml_entry.h"

namespace poolscaler::config {
namespace {

using Severity = ScaledObjectFinding::Severity;

// KEDA's defaults for a ScaledObject without these fields.
constexpr int64_t kKedaDefaultMinReplicas = 0;
constexpr int64_t kKedaDefaultMaxReplicas = 100;
constexpr int64_t kKedaDefaultCooldownPeriod = 300;
constexpr int64_t kKedaDefaultPollingInterval = 30;

// spec.a.b.c without tripping over a missing or non-map level (an empty node then).
YAML::Node Path(const YAML::Node& root, std::initializer_list<const char*> keys) {
  YAML::Node node = root;
  for (const char* key : keys) {
    if (!node || !node.IsMap()) return YAML::Node();
    const YAML::Node& parent = node;
    YAML::Node next = parent[key];
    if (!next) return YAML::Node();  // missing: an invalid node that reset() would reject
    node.reset(next);  // rebind; plain assignment would write into the tree
  }
  return node;
}

class Checker {
 public:
  Checker(std::string file, const Config* config, ScaledObjectReport* report)
      : file_(std::move(file)), config_(config), report_(report) {}

  void Document(const YAML::Node& doc, int index) {
    if (!doc.IsMap() || !doc["kind"] || !doc["kind"].IsScalar()) return;
    kind_ = doc["kind"].Scalar();
    if (kind_ != "ScaledObject" && kind_ != "ScaledJob") return;
    (kind_ == "ScaledObject" ? report_->scaled_objects : report_->scaled_jobs)++;
    where_ = fmt::format("{}: document {}", file_, index);
    const YAML::Node meta = doc["metadata"];
    if (meta && meta.IsMap() && meta["name"] && meta["name"].IsScalar()) {
      std::string ns = meta["namespace"] && meta["namespace"].IsScalar()
                           ? meta["namespace"].Scalar()
                           : "default";
      where_ = fmt::format("{}: {} {}/{}", file_, kind_, ns, meta["name"].Scalar());
    }
    const YAML::Node spec = doc["spec"];
    if (!spec || !spec.IsMap()) return Add(Severity::kError, where_, "has no spec");
    const YAML::Node triggers = spec["triggers"];
    if (!triggers || !triggers.IsSequence() || triggers.size() == 0) {
      return Add(Severity::kError, where_, "spec.triggers is missing or empty");
    }
    for (size_t i = 0; i < triggers.size(); ++i) {
      Trigger(spec, triggers[i], fmt::format("{} trigger {}", where_, i + 1));
    }
  }

  void Add(Severity severity, const std::string& where, std::string message) {
    report_->findings.push_back({severity, where, std::move(message)});
  }

 private:
  void Trigger(const YAML::Node& spec, const YAML::Node& trigger, const std::string& where) {
    if (!trigger.IsMap() || !trigger["type"] || !trigger["type"].IsScalar()) {
      return Add(Severity::kError, where, "trigger has no type");
    }
    const std::string type = trigger["type"].Scalar();
    if (type != "external" && type != "external-push") return;  // not ours
    report_->poolscaler_triggers++;

    std::optional<std::map<std::string, std::string>> metadata = Metadata(trigger, where);
    if (!metadata) return;
    if (!metadata->contains("scalerAddress")) {
      Add(Severity::kError, where, "metadata.scalerAddress is missing (KEDA needs it to reach poolscaler)");
    }
    Defaults defaults = config_ ? config_->defaults : Defaults{};
    absl::StatusOr<TriggerSpec> parsed = ParseTrigger(*metadata, defaults);
    if (!parsed.ok()) return Add(Severity::kError, where, std::string(parsed.status().message()));
    if (parsed->mode == TriggerSpec::Mode::kPool) PoolTrigger(spec, trigger, *parsed, where);
  }

  // The trigger's metadata as KEDA sees it: map[string]string. A plain YAML scalar that YAML
  // would read as a number, boolean or null is rejected: the API server refuses it.
  std::optional<std::map<std::string, std::string>> Metadata(const YAML::Node& trigger,
                                                             const std::string& where) {
    const YAML::Node node = trigger["metadata"];
    if (!node || !node.IsMap()) {
      Add(Severity::kError, where, "metadata is missing or not a map");
      return std::nullopt;
    }
    static const std::regex kNonString(
        R"(^([-+]?[0-9][0-9_]*(\.[0-9_]*)?([eE][-+]?[0-9]+)?|[-+]?\.[0-9]+|true|false|True|False|TRUE|FALSE|yes|no|on|off|null|Null|NULL|~)$)");
    std::map<std::string, std::string> out;
    bool ok = true;
    for (const auto& kv : node) {
      const std::string key = kv.first.as<std::string>("");
      if (!kv.second.IsScalar()) {
        Add(Severity::kError, where, fmt::format("metadata.{} must be a string", key));
        ok = false;
        continue;
      }
      const std::string& value = kv.second.Scalar();
      if (kv.second.Tag() == "?" && std::regex_match(value, kNonString)) {
        Add(Severity::kError, where,
            fmt::format("metadata.{} is not a string in YAML; quote it (KEDA's metadata is "
                        "map[string]string)",
                        key));
        ok = false;
        continue;
      }
      out[key] = value;
      // KEDA replaces a *FromEnv value with the variable's value from the workload's container:
      // here it names a variable, so a stand-in of the right shape is checked instead (the real
      // value is checked when the trigger reaches poolscaler).
      if (key.size() > 7 && key.ends_with("FromEnv")) {
        out[key] = key == "hostFromEnv" ? "http://from-env.invalid:15672/" : "from-env";
      }
    }
    if (!ok) return std::nullopt;
    return out;
  }

  void PoolTrigger(const YAML::Node& spec, const YAML::Node& trigger, const TriggerSpec& parsed,
                   const std::string& where) {
    if (trigger["metricType"] && trigger["metricType"].IsScalar() &&
        trigger["metricType"].Scalar() != "AverageValue") {
      Add(Severity::kError, where,
          fmt::format("metricType {} in pool mode: the metric is the pool's desired replica "
                      "count with target 1, which only AverageValue (the default) passes through "
                      "unchanged",
                      Quote(trigger["metricType"].Scalar())));
    }
    if (config_ == nullptr) {
      return Add(Severity::kError, where,
                 fmt::format("pool {} needs a config: pass it to check-config", Quote(parsed.pool)));
    }
    const PoolSpec* pool = config_->FindPool(parsed.pool);
    if (pool == nullptr) {
      return Add(Severity::kError, where,
                 fmt::format("pool {} is not in the config", Quote(parsed.pool)));
    }
    if (kind_ == "ScaledJob") return;  // Jobs per poll: no HPA, no replica bounds to compare
    int64_t so_max = Int(spec, "maxReplicaCount", kKedaDefaultMaxReplicas);
    int64_t so_min = Int(spec, "minReplicaCount", kKedaDefaultMinReplicas);
    if (so_max < pool->params.max_replicas) {
      Add(Severity::kWarning, where,
          fmt::format("maxReplicaCount {} is below pool {}'s maxReplicas {}: the HPA will cap "
                      "what poolscaler decides",
                      so_max, Quote(parsed.pool), pool->params.max_replicas));
    }
    // KEDA, not the pool, decides the floor: an inactive trigger takes the workload to
    // minReplicaCount after cooldownPeriod (scale_scaledobjects.go), whatever poolscaler's pool
    // asks for, and the HPA never goes below it. A mismatch either way is a wrong replica count.
    if (so_min > pool->params.min_replicas) {
      Add(Severity::kError, where,
          fmt::format("minReplicaCount {} is above pool {}'s minReplicas {}: the pool can never "
                      "shrink to its minimum; set minReplicaCount: {}",
                      so_min, Quote(parsed.pool), pool->params.min_replicas,
                      pool->params.min_replicas));
    } else if (so_min < pool->params.min_replicas) {
      Add(Severity::kError, where,
          fmt::format("minReplicaCount {} is below pool {}'s minReplicas {}: KEDA takes the "
                      "workload to {} when the pool is idle, under the pool's minimum; set "
                      "minReplicaCount: {}",
                      so_min, Quote(parsed.pool), pool->params.min_replicas, so_min,
                      pool->params.min_replicas));
    }
    if (so_min == 0) {
      TimeToZero t;
      t.where = where;
      t.pool = parsed.pool;
      t.pool_cooldown_seconds =
          std::chrono::duration_cast<std::chrono::seconds>(pool->params.cooldown).count();
      t.cooldown_period_seconds = Int(spec, "cooldownPeriod", kKedaDefaultCooldownPeriod);
      t.polling_interval_seconds = Int(spec, "pollingInterval", kKedaDefaultPollingInterval);
      if (t.Total() > kTimeToZeroWarnSeconds) {
        Add(Severity::kWarning, where,
            fmt::format("up to {} s from the last work to 0 replicas: pool {}'s cooldownSeconds "
                        "{} + cooldownPeriod {} + pollingInterval {} (the cooldowns add up: KEDA's "
                        "starts only when the pool goes inactive)",
                        t.Total(), Quote(parsed.pool), t.pool_cooldown_seconds,
                        t.cooldown_period_seconds, t.polling_interval_seconds));
      }
      report_->time_to_zero.push_back(std::move(t));
    }
    const YAML::Node window = Path(spec, {"advanced", "horizontalPodAutoscalerConfig",
                                          "behavior", "scaleDown", "stabilizationWindowSeconds"});
    if (!window || !window.IsScalar() || window.Scalar() != "0") {
      Add(Severity::kWarning, where,
          "pool mode without advanced.horizontalPodAutoscalerConfig.behavior.scaleDown."
          "stabilizationWindowSeconds: 0 — the HPA smooths scale-down again on top of "
          "poolscaler's own smoothing");
    }
  }

  // spec.KEY as KEDA reads it: an int32 (these fields are *int32 in its ScaledObject type),
  // here also not negative (a negative count or period means nothing). Out of range or not an
  // integer: an error naming the field and the value, and KEDA's default is used for the rest.
  int64_t Int(const YAML::Node& spec, const char* key, int64_t fallback) {
    const YAML::Node n = spec[key];
    if (!n) return fallback;
    int64_t value = 0;
    try {
      value = n.as<int64_t>();
    } catch (const YAML::Exception&) {
      Add(Severity::kError, where_,
          n.IsScalar() ? fmt::format("spec.{} {} is not an integer", key, Quote(n.Scalar()))
                       : fmt::format("spec.{} is not an integer", key));
      return fallback;
    }
    if (value < 0 || value > std::numeric_limits<int32_t>::max()) {
      Add(Severity::kError, where_,
          fmt::format("spec.{} {} is out of range: KEDA reads it as an int32, and it must not "
                      "be negative",
                      key, value));
      return fallback;
    }
    return value;
  }

  std::string file_;
  const Config* config_;
  ScaledObjectReport* report_;
  std::string where_;
  std::string kind_;  // of the document being checked: ScaledObject or ScaledJob
};

}  // namespace

bool ScaledObjectReport::HasErrors() const {
  for (const ScaledObjectFinding& f : findings) {
    if (f.severity == ScaledObjectFinding::Severity::kError) return true;
  }
  return false;
}

ScaledObjectReport CheckScaledObjects(const std::string& yaml_text, const std::string& file,
                                      const Config* config) {
  ScaledObjectReport report;
  Checker checker(file, config, &report);
  std::vector<YAML::Node> docs;
  try {
    docs = LoadAllDocuments(yaml_text);
  } catch (const YAML::Exception& e) {
    checker.Add(Severity::kError, file,
                fmt::format("line {}: {}", e.mark.line + 1, e.msg));
    return report;
  }
  for (size_t i = 0; i < docs.size(); ++i) {
    try {
      checker.Document(docs[i], static_cast<int>(i) + 1);
    } catch (const YAML::Exception& e) {  // a node of an unexpected shape
      checker.Add(Severity::kError, fmt::format("{}: document {}", file, i + 1), e.what());
    }
  }
  return report;
}

}  // namespace poolscaler::config
