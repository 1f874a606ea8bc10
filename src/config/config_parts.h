#pragma once
// Internal to the config module: the sections of the YAML file, each appending "path: problem"
// errors to `errors` and keeping whatever parsed.
#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "poolscaler/config/config.h"
#include "yaml_entry.h"

namespace poolscaler::config {

// `sources:` (a list, or null for none), using `config->defaults` for unset timing. Names of
// entries that had errors go to `broken`.
void ParseSources(const YAML::Node& node, Config* config, std::set<std::string>* broken,
                  std::vector<std::string>* errors);

// `pools:` (a list, or null for none). Signals must name one of `config->sources`; naming one in
// `broken` is not reported again.
void ParsePools(const YAML::Node& node, const std::set<std::string>& broken, Config* config,
                std::vector<std::string>* errors);

// A pool's `behavior:` map (HPA autoscaling/v2 shape) at `path` ("pools[0].behavior"), over the
// values already in `behavior` (defaults, or the v1 scaleDownWindowSeconds).
void ParseBehavior(const YAML::Node& node, const std::string& path, policy::Behavior* behavior,
                   std::vector<std::string>* errors);

// `tierGroups:` (a list, or null for none). Read before `pools:`.
void ParseTierGroups(const YAML::Node& node, Config* config, std::vector<std::string>* errors);
// A pool's `tierGroup`, `priority` and `cost` keys (the group must be in `config`).
void ReadPoolTier(const YamlEntry& entry, ParamReader& r, const std::string& path,
                  const Config& config, policy::PoolParams* params,
                  std::vector<std::string>* errors);
// Errors for groups whose members' minReplicas alone exceed the budget.
void CheckTierGroups(const Config& config, std::vector<std::string>* errors);

// A Kubernetes object name or namespace (DNS-1123 subdomain: lowercase letters, digits, '-'
// and '.', starting and ending with a letter or digit, at most 253 characters).
bool IsKubernetesName(std::string_view s);

// `kubernetes:` (a map, or absent/null for in-cluster defaults): fills
// config->scale_source_template, after `defaults:` is read.
void ParseKubernetes(const YAML::Node* node, Config* config, std::vector<std::string>* errors);
// A pool's `scaleTargetRef:` map at `path` ("pools[0].scaleTargetRef"); nullopt after errors.
std::optional<ScaleTargetRef> ParseScaleTargetRef(const YAML::Node& node, const std::string& path,
                                                  std::vector<std::string>* errors);

// A prometheus connection's credentials in YAML: `unsafeSsl`, `username`, `passwordEnv` or
// `passwordFile`, `bearerTokenEnv` or `bearerTokenFile` (inline secrets are refused).
void ReadPrometheusAuth(ParamReader& r, PrometheusParams* params);

// `history:` (absent: none): the Prometheus that keeps poolscaler's own series, read at
// start-up to restore the pools' recent targets.
void ParseHistory(const YAML::Node& node, Config* config, std::vector<std::string>* errors);

// Reads a whole file of at most `max_bytes`; on failure sets `error` (strerror text, or "larger
// than N bytes") and returns std::nullopt.
std::optional<std::string> ReadFileText(const std::string& path, size_t max_bytes,
                                        std::string* error);

}  // namespace poolscaler::config
