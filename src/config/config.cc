#include "poolscaler/config/config.h"

#include <fmt/format.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "config_parts.h"
#include "yaml_entry.h"

namespace poolscaler::config {
namespace {

constexpr size_t kMaxConfigBytes = 16 << 20;

void ParseDefaults(const YAML::Node& node, Defaults* out, std::vector<std::string>* errors) {
  if (node.IsNull()) return;
  std::optional<YamlEntry> entry = ReadEntry(node, "defaults", errors);
  if (!entry) return;
  ParamReader r = MakeReader(*entry, "defaults");
  if (std::optional<Duration> v = r.DurationValue("sampleInterval")) {
    if (*v <= Duration::zero())
      r.Fail("sampleInterval", "must be greater than 0");
    else
      out->sample_interval = *v;
  }
  if (std::optional<Duration> v = r.DurationValue("staleAfter")) {
    if (*v < out->sample_interval)
      r.Fail("staleAfter", "must be at least sampleInterval");
    else
      out->stale_after = *v;
  }
  if (std::optional<Duration> v = r.DurationValue("timeout")) {
    if (*v <= Duration::zero())
      r.Fail("timeout", "must be greater than 0");
    else if (*v > out->sample_interval)
      r.Fail("timeout", "must not exceed sampleInterval");
    else
      out->timeout = *v;
  }
  if (std::optional<Duration> v = r.DurationValue("rawSourceIdle")) {
    if (*v <= Duration::zero())
      r.Fail("rawSourceIdle", "must be greater than 0");
    else
      out->raw_source_idle = *v;
  }
  r.RejectUnknown();
  errors->insert(errors->end(), r.errors().begin(), r.errors().end());
}

void ParseRoot(const YAML::Node& root, Config* config, std::vector<std::string>* errors) {
  if (root.IsNull()) {  // an empty file: no sources, no pools
    ParseKubernetes(nullptr, config, errors);
    return;
  }
  if (!root.IsMap()) {
    errors->push_back(
        NodeError("", root, "expected a map with \"defaults\", \"sources\", \"pools\""));
    return;
  }
  std::optional<YamlEntry> entry = ReadEntry(root, "", errors);
  if (!entry) return;
  ParamReader r = MakeReader(*entry, "");
  r.Ignore({"defaults", "kubernetes", "history", "sources", "pools", "tierGroups"});
  r.RejectUnknown(
      "expected \"defaults\", \"kubernetes\", \"history\", \"sources\", \"tierGroups\" or "
      "\"pools\"");
  errors->insert(errors->end(), r.errors().begin(), r.errors().end());
  // Sections are read in dependency order, whatever their order in the file.
  if (auto it = entry->nodes.find("defaults"); it != entry->nodes.end()) {
    ParseDefaults(it->second, &config->defaults, errors);
  }
  auto kubernetes = entry->nodes.find("kubernetes");
  ParseKubernetes(kubernetes == entry->nodes.end() ? nullptr : &kubernetes->second, config, errors);
  if (auto it = entry->nodes.find("history"); it != entry->nodes.end()) {
    ParseHistory(it->second, config, errors);
  }
  std::set<std::string> broken_sources;
  if (auto it = entry->nodes.find("sources"); it != entry->nodes.end()) {
    ParseSources(it->second, config, &broken_sources, errors);
  }
  if (auto it = entry->nodes.find("tierGroups"); it != entry->nodes.end()) {
    ParseTierGroups(it->second, config, errors);
  }
  if (auto it = entry->nodes.find("pools"); it != entry->nodes.end()) {
    ParsePools(it->second, broken_sources, config, errors);
  }
  CheckTierGroups(*config, errors);
}

std::string YamlSyntaxError(const YAML::Exception& e) {
  if (e.mark.is_null()) return fmt::format("config: invalid YAML: {}", e.msg);
  return fmt::format("config (line {}, column {}): invalid YAML: {}", e.mark.line + 1,
                     e.mark.column + 1, e.msg);
}

absl::Status Failure(const std::vector<std::string>& errors, std::vector<std::string>* errors_out) {
  if (errors_out != nullptr) *errors_out = errors;
  return absl::InvalidArgumentError(fmt::format("{}", fmt::join(errors, "\n")));
}

}  // namespace

const SourceSpec* Config::FindSource(const std::string& name) const {
  for (const SourceSpec& s : sources) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

const policy::TierGroup* Config::FindTierGroup(const std::string& name) const {
  for (const policy::TierGroup& g : tier_groups) {
    if (g.name == name) return &g;
  }
  return nullptr;
}

absl::Status AttachScaleTarget(Config& config, size_t pool_index, const ScaleTargetRef& ref) {
  // Pools naming the same workload share one source: one read per interval for all of them.
  SourceSpec source = config.scale_source_template;
  std::get<KubernetesScaleParams>(source.params).target = ref;
  source.name = "workload:" + ref.namespace_name + "/" + ref.kind + "/" + ref.name;
  const SourceSpec* same = config.FindSource(source.name);
  if (same != nullptr && same->Key() != source.Key()) {
    return absl::FailedPreconditionError(fmt::format(
        "source name \"{}\" is already used by another source; rename that source", source.name));
  }
  PoolSpec& pool = config.pools.at(pool_index);
  pool.scale_target = ref;
  pool.scale_source = source.name;
  if (same == nullptr) config.sources.push_back(std::move(source));
  return absl::OkStatus();
}

const PoolSpec* Config::FindPool(const std::string& name) const {
  for (const PoolSpec& p : pools) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

absl::StatusOr<Config> ParseConfig(const std::string& yaml_text,
                                   std::vector<std::string>* errors_out,
                                   const ParseOptions& options) {
  Config config;
  config.secrets_resolved = options.resolve_secrets;
  std::vector<std::string> errors;
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
    ParseRoot(root, &config, &errors);
  } catch (const YAML::Exception& e) {
    errors.push_back(YamlSyntaxError(e));
  } catch (const std::exception& e) {
    errors.push_back(fmt::format("config: cannot parse: {}", e.what()));
  }
  if (!errors.empty()) return Failure(errors, errors_out);
  if (errors_out != nullptr) errors_out->clear();
  // The config's strings were allocated between the YAML tree's many small nodes; freeing the
  // tree alone would leave them pinning its pages. A copy made while the tree is still alive
  // lands outside that region, so the whole of it becomes free and can go back to the system
  // (see common::ReleaseFreeMemory). Copying 1000 pools is far cheaper than parsing them.
  Config compact = config;
  return compact;
}

std::optional<std::string> ReadFileText(const std::string& path, size_t max_bytes,
                                        std::string* error) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                       &std::fclose);
  if (!file) {
    *error = std::strerror(errno);
    return std::nullopt;
  }
  std::string text;
  char buf[8192];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, file.get())) > 0) {
    text.append(buf, n);
    if (text.size() > max_bytes) {
      *error = fmt::format("larger than {} bytes", max_bytes);
      return std::nullopt;
    }
  }
  if (std::ferror(file.get()) != 0) {
    *error = std::strerror(errno);
    return std::nullopt;
  }
  return text;
}

absl::StatusOr<Config> LoadConfigFile(const std::string& path, std::vector<std::string>* errors_out,
                                      const ParseOptions& options) {
  std::string error;
  std::optional<std::string> text = ReadFileText(path, kMaxConfigBytes, &error);
  if (!text) {
    return Failure({fmt::format("{}: cannot read config file: {}", path, error)}, errors_out);
  }
  return ParseConfig(*text, errors_out, options);
}

std::string NormalizeMetricName(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    char lower = static_cast<char>(std::tolower(u));
    // KEDA's own normalization turns '.', '/', ':', '%', '(' and ')' into '-', so a '.' kept
    // here would never match the name KEDA sends back.
    bool keep = (lower >= 'a' && lower <= 'z') || (c >= '0' && c <= '9') || c == '-';
    out.push_back(keep ? lower : '-');
  }
  return out;
}

}  // namespace poolscaler::config
