// A pool's `behavior:` map, shaped like the HPA's `spec.behavior` (autoscaling/v2):
//   behavior: {scaleUp: {stabilizationWindowSeconds, selectPolicy, policies: [...], tolerance},
//              scaleDown: {...}}
// Unset fields keep the HPA defaults; a direction that sets no `policies` keeps the default ones.
// The same parser reads a ScaledObject's advanced.horizontalPodAutoscalerConfig.behavior.
#include <fmt/format.h>

#include "poolscaler/common/quantity.h"

#include "config_parts.h"
#include "source_params.h"
#include "yaml_entry.h"

namespace poolscaler::config {
namespace {

// The HPA API's limits: stabilizationWindowSeconds <= 3600, periodSeconds in (0, 1800].
constexpr int64_t kMaxWindowSeconds = 3600;
constexpr int64_t kMaxPeriodSeconds = 1800;
constexpr int64_t kMaxPolicyValue = 1'000'000;

std::optional<policy::ScalingPolicy> ParsePolicy(const YAML::Node& node, const std::string& path,
                                                 std::vector<std::string>* errors) {
  std::optional<YamlEntry> entry = ReadEntry(node, path, errors);
  if (!entry) return std::nullopt;
  ParamReader r = MakeReader(*entry, path);
  policy::ScalingPolicy p;
  if (auto type = r.RequiredString("type")) {
    if (*type == "Pods") p.type = policy::ScalingPolicyType::kPods;
    else if (*type == "Percent") p.type = policy::ScalingPolicyType::kPercent;
    else r.Fail("type", "expected \"Pods\" or \"Percent\"");
  }
  if (!r.Has("value")) r.Fail("value", "is required");
  else if (auto v = r.Int("value", 1, kMaxPolicyValue)) p.value = *v;
  if (!r.Has("periodSeconds")) r.Fail("periodSeconds", "is required");
  else if (auto v = r.Int("periodSeconds", 1, kMaxPeriodSeconds)) p.period = std::chrono::seconds(*v);
  r.RejectUnknown();
  errors->insert(errors->end(), r.errors().begin(), r.errors().end());
  if (!r.ok()) return std::nullopt;
  return p;
}

void ParseRules(const YAML::Node& node, const std::string& path, policy::ScalingRules* rules,
                std::vector<std::string>* errors) {
  std::optional<YamlEntry> entry = ReadEntry(node, path, errors);
  if (!entry) return;
  ParamReader r = MakeReader(*entry, path);
  if (auto v = r.Int("stabilizationWindowSeconds", 0, kMaxWindowSeconds)) {
    rules->stabilization_window = std::chrono::seconds(*v);
  }
  if (auto v = r.String("selectPolicy")) {
    if (*v == "Max") rules->select = policy::SelectPolicy::kMax;
    else if (*v == "Min") rules->select = policy::SelectPolicy::kMin;
    else if (*v == "Disabled") rules->select = policy::SelectPolicy::kDisabled;
    else r.Fail("selectPolicy", "expected \"Max\", \"Min\" or \"Disabled\"");
  }
  if (auto v = r.String("tolerance")) {
    // A resource.Quantity in the API (0.05, "50m"), at least 0.
    absl::StatusOr<Quantity> q = Quantity::Parse("tolerance", *v);
    if (!q.ok() || !(q->ToDouble() >= 0)) {
      r.Fail("tolerance", "expected a Kubernetes quantity of at least 0 (e.g. 0.05 or 50m)");
    } else {
      rules->tolerance = q->ToDouble();
    }
  }
  r.Ignore({"policies"});
  std::vector<std::string> policy_errors;
  if (auto it = entry->nodes.find("policies"); it != entry->nodes.end()) {
    if (!it->second.IsSequence() || it->second.size() == 0) {
      r.Fail("policies", "expected a list of at least one policy");
    } else {
      std::vector<policy::ScalingPolicy> policies;
      size_t i = 0;
      for (const YAML::Node& item : it->second) {
        auto p = ParsePolicy(item, fmt::format("{}.policies[{}]", path, i++), &policy_errors);
        if (p) policies.push_back(*p);
      }
      rules->policies = std::move(policies);
    }
  }
  r.RejectUnknown();
  errors->insert(errors->end(), r.errors().begin(), r.errors().end());
  errors->insert(errors->end(), policy_errors.begin(), policy_errors.end());
}

}  // namespace

void ParseBehavior(const YAML::Node& node, const std::string& path, policy::Behavior* behavior,
                   std::vector<std::string>* errors) {
  std::optional<YamlEntry> entry = ReadEntry(node, path, errors);
  if (!entry) return;
  ParamReader r = MakeReader(*entry, path);
  if (r.Has("tolerance")) {
    // Not an HPA field: the API has behavior.scaleUp.tolerance and behavior.scaleDown.tolerance.
    r.Fail("tolerance", "is not a field of the HPA's behavior: set scaleUp.tolerance and "
                        "scaleDown.tolerance (the band below and above the target)");
    r.Ignore({"tolerance"});
  }
  r.Ignore({"scaleUp", "scaleDown"});
  std::vector<std::string> rule_errors;
  if (auto it = entry->nodes.find("scaleUp"); it != entry->nodes.end()) {
    ParseRules(it->second, path + ".scaleUp", &behavior->scale_up, &rule_errors);
  }
  if (auto it = entry->nodes.find("scaleDown"); it != entry->nodes.end()) {
    ParseRules(it->second, path + ".scaleDown", &behavior->scale_down, &rule_errors);
  }
  r.RejectUnknown("expected \"scaleUp\" or \"scaleDown\"");
  errors->insert(errors->end(), r.errors().begin(), r.errors().end());
  errors->insert(errors->end(), rule_errors.begin(), rule_errors.end());
}

}  // namespace poolscaler::config
