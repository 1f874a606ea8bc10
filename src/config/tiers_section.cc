// `tierGroups:` (shared budgets) and the pool keys that join one: `tierGroup`, `priority`,
// `cost: {cpu, memory, gpu}`. Quantities use Kubernetes notation (500m, 16Gi).
#include <map>

#include <fmt/format.h>

#include "config_parts.h"
#include "poolscaler/common/numbers.h"
#include "yaml_entry.h"

namespace poolscaler::config {
namespace {

constexpr int64_t kMaxPriority = 1'000'000;

// Reads cpu / memory / gpu quantities of a map at `path` into the three outputs.
void ReadResources(const YAML::Node& node, const std::string& path, std::optional<double>* cpu,
                   std::optional<double>* memory, std::optional<double>* gpu,
                   std::vector<std::string>* errors) {
  std::optional<YamlEntry> entry = ReadEntry(node, path, errors);
  if (!entry) return;
  ParamReader r = MakeReader(*entry, path);
  auto read = [&](std::string_view key, std::optional<double>* out) {
    std::optional<std::string> text = r.String(key);
    if (!text) return;
    absl::StatusOr<double> v = ParseNonNegativeQuantity(key, *text);
    if (!v.ok()) {
      r.Fail(key, "expected a quantity of at least 0 such as 4, 500m, 16Gi");
      return;
    }
    *out = *v;
  };
  read("cpu", cpu);
  read("memory", memory);
  read("gpu", gpu);
  r.RejectUnknown("expected \"cpu\", \"memory\" or \"gpu\"");
  errors->insert(errors->end(), r.errors().begin(), r.errors().end());
}

void ParseTierGroup(const YAML::Node& node, const std::string& path, Config* config,
                    std::map<std::string, std::string>* names, std::vector<std::string>* errors) {
  std::optional<YamlEntry> entry = ReadEntry(node, path, errors);
  if (!entry) return;
  ParamReader r = MakeReader(*entry, path);
  policy::TierGroup group;
  if (auto name = r.RequiredString("name")) {
    group.name = *name;
    auto [it, added] = names->emplace(*name, path);
    if (!added) r.Fail("name", fmt::format("duplicate tier group name (also {})", it->second));
  }
  r.Ignore({"budget"});
  std::vector<std::string> budget_errors;
  auto it = entry->nodes.find("budget");
  if (it == entry->nodes.end()) {
    r.Fail("budget", "is required: set at least one of cpu, memory, gpu");
  } else {
    ReadResources(it->second, path + ".budget", &group.budget.cpu_cores,
                  &group.budget.memory_bytes, &group.budget.gpus, &budget_errors);
  }
  r.RejectUnknown("expected \"name\" or \"budget\"");
  errors->insert(errors->end(), r.errors().begin(), r.errors().end());
  errors->insert(errors->end(), budget_errors.begin(), budget_errors.end());
  if (r.ok() && budget_errors.empty()) config->tier_groups.push_back(std::move(group));
}

}  // namespace

void ParseTierGroups(const YAML::Node& node, Config* config, std::vector<std::string>* errors) {
  if (node.IsNull()) return;
  if (!node.IsSequence()) {
    errors->push_back(NodeError("tierGroups", node, "expected a list of tier groups"));
    return;
  }
  std::map<std::string, std::string> names;
  size_t i = 0;
  for (const YAML::Node& item : node) {
    ParseTierGroup(item, fmt::format("tierGroups[{}]", i++), config, &names, errors);
  }
}

void ReadPoolTier(const YamlEntry& entry, ParamReader& r, const std::string& path,
                  const Config& config, policy::PoolParams* params,
                  std::vector<std::string>* errors) {
  if (auto group = r.String("tierGroup")) {
    params->tier_group = *group;
    if (config.FindTierGroup(*group) == nullptr) {
      r.Fail("tierGroup", "no tier group with this name in \"tierGroups\"");
    }
  }
  if (auto v = r.Int("priority", -kMaxPriority, kMaxPriority)) params->priority = *v;
  r.Ignore({"cost"});
  if (auto it = entry.nodes.find("cost"); it != entry.nodes.end()) {
    std::optional<double> cpu, memory, gpu;
    ReadResources(it->second, path + ".cost", &cpu, &memory, &gpu, errors);
    params->cost = {cpu.value_or(0), memory.value_or(0), gpu.value_or(0)};
  } else if (!params->tier_group.empty() && config.FindTierGroup(params->tier_group) != nullptr) {
    r.Fail("cost", fmt::format("is required in tier group \"{}\": cost of one replica "
                               "({{cpu, memory, gpu}})",
                               params->tier_group));
  }
}

void CheckTierGroups(const Config& config, std::vector<std::string>* errors) {
  for (size_t g = 0; g < config.tier_groups.size(); ++g) {
    const policy::TierGroup& group = config.tier_groups[g];
    double cpu = 0, memory = 0, gpu = 0;
    for (const PoolSpec& pool : config.pools) {
      if (pool.params.tier_group != group.name) continue;
      double n = static_cast<double>(pool.params.min_replicas);
      cpu += n * pool.params.cost.cpu_cores;
      memory += n * pool.params.cost.memory_bytes;
      gpu += n * pool.params.cost.gpus;
    }
    auto check = [&](const char* key, const std::optional<double>& budget, double need) {
      if (budget && need > *budget * (1 + 1e-9)) {
        errors->push_back(fmt::format(
            "tierGroups[{}].budget.{}: the pools' minReplicas alone need {:g}, more than the "
            "budget (value \"{:g}\")",
            g, key, need, *budget));
      }
    };
    check("cpu", group.budget.cpu_cores, cpu);
    check("memory", group.budget.memory_bytes, memory);
    check("gpu", group.budget.gpus, gpu);
  }
}

}  // namespace poolscaler::config
