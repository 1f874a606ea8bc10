#include "poolscaler/config/local_run.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <limits>
#include <set>

#include "config_parts.h"
#include "poolscaler/common/text.h"
#include "yaml_entry.h"

namespace poolscaler::config {
namespace {

// KEDA's and Kubernetes' bounds: KEDA takes any positive polling interval; the HPA API caps
// replica counts at int32; Kubernetes' grace period is a non-negative int64 of seconds.
constexpr int64_t kMaxSeconds = 24 * 3600;
constexpr int64_t kMaxReplicas = 1'000'000;

// Names are checked (IsKubernetesName) before they go into the "FILE: KIND NS/NAME" prefix of
// every message, so no name can break a message over lines.

class Parser {
 public:
  explicit Parser(std::string file) : file_(std::move(file)) {}

  void Document(const YAML::Node& doc, size_t index) {
    if (!doc.IsMap() || !doc["kind"] || !doc["kind"].IsScalar()) return;
    const std::string kind = doc["kind"].Scalar();
    if (kind != "ScaledObject" && kind != "Deployment") return;
    std::string name = Scalar(doc, {"metadata", "name"});
    std::string ns = Scalar(doc, {"metadata", "namespace"});
    if (ns.empty()) ns = "default";
    const bool named = IsKubernetesName(name) && IsKubernetesName(ns);
    where_ = named ? fmt::format("{}: {} {}/{}", file_, kind, ns, name)
                   : fmt::format("{}: document {}", file_, index + 1);
    if (name.empty()) return Fail("metadata.name", "is required");
    if (!IsKubernetesName(name)) {
      return Fail("metadata.name", fmt::format("is not a Kubernetes name (lowercase letters, "
                                               "digits, '-' and '.') (value {})",
                                               Quote(name)));
    }
    if (!IsKubernetesName(ns)) {
      return Fail("metadata.namespace", fmt::format("is not a Kubernetes name (lowercase "
                                                    "letters, digits, '-' and '.') (value {})",
                                                    Quote(ns)));
    }
    if (kind == "Deployment") return Deployment(doc, name);
    ScaledObject(doc, name, ns);
  }

  absl::StatusOr<LocalRun> Finish() {
    for (LocalScaledObject& so : run_.scaled_objects) {
      auto it = workloads_.find(so.workload.deployment);
      if (it == workloads_.end()) {
        errors_.push_back(fmt::format(
            "{}: ScaledObject {}/{}: spec.scaleTargetRef.name: no Deployment {} in the file", file_,
            so.ns, so.name, Quote(so.workload.deployment)));
        continue;
      }
      so.workload = it->second;
    }
    if (run_.scaled_objects.empty() && errors_.empty()) {
      errors_.push_back(fmt::format("{}: no ScaledObject in the file", file_));
    }
    if (!errors_.empty()) {
      return absl::InvalidArgumentError(fmt::format("{}", fmt::join(errors_, "\n")));
    }
    return run_;
  }

  void Fail(const std::string& field, const std::string& problem) {
    errors_.push_back(fmt::format("{}: {}: {}", where_, field, problem));
  }
  void FailDocument(size_t index, const std::string& problem) {
    errors_.push_back(fmt::format("{}: document {}: {}", file_, index + 1, problem));
  }

 private:
  static YAML::Node At(const YAML::Node& root, std::initializer_list<const char*> keys) {
    YAML::Node node = root;
    for (const char* key : keys) {
      if (!node || !node.IsMap() || !node[key]) return YAML::Node(YAML::NodeType::Undefined);
      YAML::Node next = node[key];
      node.reset(next);
    }
    return node;
  }
  static std::string Scalar(const YAML::Node& root, std::initializer_list<const char*> keys) {
    YAML::Node n = At(root, keys);
    return n.IsDefined() && n.IsScalar() ? n.Scalar() : "";
  }

  // An integer field in [lo, hi]; `fallback` when absent.
  int64_t Int(const YAML::Node& parent, const char* key, const std::string& path, int64_t lo,
              int64_t hi, int64_t fallback) {
    if (!parent.IsDefined() || !parent.IsMap() || !parent[key]) return fallback;
    const YAML::Node n = parent[key];
    int64_t v = 0;
    if (!n.IsScalar() || !YAML::convert<int64_t>::decode(n, v) || v < lo || v > hi) {
      Fail(path, fmt::format("expected an integer from {} to {} (value {})", lo, hi,
                             Quote(n.IsScalar() ? n.Scalar() : "<not a scalar>")));
      return fallback;
    }
    return v;
  }

  void Deployment(const YAML::Node& doc, const std::string& name) {
    LocalWorkload w;
    w.deployment = name;
    const YAML::Node pod = At(doc, {"spec", "template", "spec"});
    w.termination_grace = std::chrono::seconds(
        Int(pod, "terminationGracePeriodSeconds",
            "spec.template.spec.terminationGracePeriodSeconds", 0, kMaxSeconds, 30));
    const YAML::Node containers = At(pod, {"containers"});
    if (!containers.IsDefined() || !containers.IsSequence() || containers.size() == 0) {
      return Fail("spec.template.spec.containers", "expected a list of at least one container");
    }
    const YAML::Node c = containers[0];
    for (const char* key : {"command", "args"}) {
      const YAML::Node list = At(c, {key});
      if (!list.IsDefined()) continue;
      if (!list.IsSequence()) {
        Fail(fmt::format("spec.template.spec.containers[0].{}", key), "expected a list of strings");
        continue;
      }
      for (const YAML::Node& item : list) {
        if (item.IsScalar())
          w.argv.push_back(item.Scalar());
        else
          Fail(fmt::format("spec.template.spec.containers[0].{}", key),
               "expected a list of strings");
      }
    }
    if (w.argv.empty()) {
      Fail("spec.template.spec.containers[0].command",
           "is required: poolscaler local runs the command, not the image");
    }
    const YAML::Node env = At(c, {"env"});
    if (env.IsDefined() && env.IsSequence()) {
      for (size_t i = 0; i < env.size(); ++i) {
        std::string field = fmt::format("spec.template.spec.containers[0].env[{}]", i);
        if (!env[i].IsMap() || !env[i]["name"] || !env[i]["value"] || !env[i]["value"].IsScalar()) {
          Fail(field, "expected name and value (valueFrom is not supported locally)");
          continue;
        }
        w.env.emplace_back(env[i]["name"].as<std::string>(""), env[i]["value"].Scalar());
      }
    } else if (env.IsDefined()) {
      Fail("spec.template.spec.containers[0].env", "expected a list of {name, value}");
    }
    if (!workloads_.emplace(name, w).second)
      Fail("metadata.name", "a second Deployment of that name");
  }

  // spec.fallback, checked as KEDA's CRD and webhook check it (CheckFallbackValid): both
  // numbers required and >= 0, behavior one of the enum (static by default).
  std::optional<LocalFallback> Fallback(const YAML::Node& node) {
    if (!node.IsMap()) {
      Fail("spec.fallback", "expected a map with failureThreshold and replicas");
      return std::nullopt;
    }
    LocalFallback f;
    for (const char* key : {"failureThreshold", "replicas"}) {
      if (!node[key]) Fail(fmt::format("spec.fallback.{}", key), "is required");
    }
    f.failure_threshold = Int(node, "failureThreshold", "spec.fallback.failureThreshold", 0,
                              std::numeric_limits<int32_t>::max(), 0);
    f.replicas = Int(node, "replicas", "spec.fallback.replicas", 0, kMaxReplicas, 0);
    if (node["behavior"]) {
      const std::string b = node["behavior"].IsScalar() ? node["behavior"].Scalar() : "";
      if (b == "static") {
        f.behavior = FallbackBehavior::kStatic;
      } else if (b == "currentReplicas") {
        f.behavior = FallbackBehavior::kCurrentReplicas;
      } else if (b == "currentReplicasIfHigher") {
        f.behavior = FallbackBehavior::kCurrentReplicasIfHigher;
      } else if (b == "currentReplicasIfLower") {
        f.behavior = FallbackBehavior::kCurrentReplicasIfLower;
      } else if (b == "scalingModifiers") {
        Fail("spec.fallback.behavior",
             "scalingModifiers is not modelled by poolscaler local (value \"scalingModifiers\")");
      } else {
        Fail("spec.fallback.behavior",
             fmt::format("expected static, currentReplicas, currentReplicasIfHigher or "
                         "currentReplicasIfLower (value {})",
                         Quote(node["behavior"].IsScalar() ? b : "<not a scalar>")));
      }
    }
    return f;
  }

  void ScaledObject(const YAML::Node& doc, const std::string& name, const std::string& ns) {
    LocalScaledObject so;
    so.name = name;
    so.ns = ns;
    const YAML::Node spec = At(doc, {"spec"});
    if (!spec.IsDefined() || !spec.IsMap()) return Fail("spec", "is required");
    if (spec["idleReplicaCount"]) {
      Fail("spec.idleReplicaCount", "is not modelled by poolscaler local");
    }
    if (spec["fallback"]) so.fallback = Fallback(spec["fallback"]);
    if (At(spec, {"advanced", "scalingModifiers"}).IsDefined()) {
      Fail("spec.advanced.scalingModifiers", "is not modelled by poolscaler local");
    }
    so.workload.deployment = Scalar(spec, {"scaleTargetRef", "name"});
    if (so.workload.deployment.empty()) Fail("spec.scaleTargetRef.name", "is required");
    std::string target_kind = Scalar(spec, {"scaleTargetRef", "kind"});
    if (!target_kind.empty() && target_kind != "Deployment") {
      Fail("spec.scaleTargetRef.kind",
           fmt::format("only Deployment runs locally (value {})", Quote(target_kind)));
    }
    so.polling_interval = std::chrono::seconds(
        Int(spec, "pollingInterval", "spec.pollingInterval", 1, kMaxSeconds, 30));
    so.cooldown_period = std::chrono::seconds(
        Int(spec, "cooldownPeriod", "spec.cooldownPeriod", 0, kMaxSeconds, 300));
    so.min_replicas = Int(spec, "minReplicaCount", "spec.minReplicaCount", 0, kMaxReplicas, 0);
    so.max_replicas = Int(spec, "maxReplicaCount", "spec.maxReplicaCount", 1, kMaxReplicas, 100);
    if (so.max_replicas < so.min_replicas) {
      Fail("spec.maxReplicaCount",
           fmt::format("is below minReplicaCount {} (value {})", so.min_replicas, so.max_replicas));
    }
    const YAML::Node behavior = At(spec, {"advanced", "horizontalPodAutoscalerConfig", "behavior"});
    if (behavior.IsDefined()) {
      std::vector<std::string> errors;
      so.hpa_behavior.emplace();
      ParseBehavior(behavior, "spec.advanced.horizontalPodAutoscalerConfig.behavior",
                    &*so.hpa_behavior, &errors);
      for (const std::string& e : errors) errors_.push_back(fmt::format("{}: {}", where_, e));
    }
    Trigger(spec, so);
    run_.scaled_objects.push_back(std::move(so));
  }

  void Trigger(const YAML::Node& spec, LocalScaledObject& so) {
    const YAML::Node triggers = spec["triggers"];
    if (!triggers || !triggers.IsSequence() || triggers.size() != 1) {
      return Fail("spec.triggers", "poolscaler local runs exactly one trigger per ScaledObject");
    }
    const YAML::Node t = triggers[0];
    std::string type = t.IsMap() && t["type"] && t["type"].IsScalar() ? t["type"].Scalar() : "";
    if (type != "external" && type != "external-push") {
      return Fail("spec.triggers[0].type",
                  fmt::format("expected external or external-push (value {})", Quote(type)));
    }
    so.push = type == "external-push";
    std::string metric_type = Scalar(t, {"metricType"});
    if (!metric_type.empty() && metric_type != "AverageValue") {
      Fail("spec.triggers[0].metricType",
           fmt::format("only AverageValue is modelled (value {})", Quote(metric_type)));
    }
    const YAML::Node metadata = t["metadata"];
    if (!metadata || !metadata.IsMap()) return Fail("spec.triggers[0].metadata", "is required");
    for (const auto& kv : metadata) {
      std::string key = kv.first.as<std::string>("");
      if (!kv.second.IsScalar()) {
        Fail(fmt::format("spec.triggers[0].metadata.{}", PathKey(key)), "must be a string");
        continue;
      }
      so.metadata[key] = kv.second.Scalar();
    }
    so.scaler_address = so.metadata.count("scalerAddress") ? so.metadata["scalerAddress"] : "";
    if (so.scaler_address.empty()) Fail("spec.triggers[0].metadata.scalerAddress", "is required");
    if (so.metadata.count("enableTLS") && so.metadata["enableTLS"] == "true") {
      Fail("spec.triggers[0].metadata.enableTLS",
           "TLS to the scaler is not supported by poolscaler local");
    }
  }

  std::string file_;
  std::string where_;
  LocalRun run_;
  std::map<std::string, LocalWorkload> workloads_;
  std::vector<std::string> errors_;
};

}  // namespace

absl::StatusOr<LocalRun> ParseLocalRun(const std::string& yaml_text, const std::string& file) {
  Parser parser(file);
  std::vector<YAML::Node> docs;
  try {
    docs = LoadAllDocuments(yaml_text);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(fmt::format("{}: line {}: {}", file, e.mark.line + 1, e.msg));
  }
  for (size_t i = 0; i < docs.size(); ++i) {
    try {
      parser.Document(docs[i], i);
    } catch (const YAML::Exception& e) {  // a node of an unexpected shape
      parser.FailDocument(i, e.what());
    }
  }
  return parser.Finish();
}

}  // namespace poolscaler::config
