// The `kubernetes:` section (how poolscaler reaches the API server for pools' workloads) and a
// pool's `scaleTargetRef:`.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "config_parts.h"
#include "source_params.h"
#include "yaml_entry.h"

namespace poolscaler::config {
namespace {

// "group/version" with a DNS-like group, or "v1" (the core group); the version is "v" + digits
// with an optional alpha/beta suffix, as Kubernetes names them.
bool IsApiVersion(std::string_view s) {
  size_t slash = s.find('/');
  std::string_view version = slash == std::string_view::npos ? s : s.substr(slash + 1);
  if (slash != std::string_view::npos && !IsKubernetesName(s.substr(0, slash))) return false;
  if (version.size() < 2 || version.size() > 20 || version[0] != 'v' ||
      !std::isdigit(static_cast<unsigned char>(version[1]))) {
    return false;
  }
  return std::all_of(version.begin(), version.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) ||
           std::isdigit(static_cast<unsigned char>(c));
  });
}

// A Kind: an upper-case letter, then letters and digits (Deployment, StatefulSet, MyWorkload).
bool IsKind(std::string_view s) {
  if (s.empty() || s.size() > 63 || !std::isupper(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; });
}

}  // namespace

bool IsKubernetesName(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(s.front()) || !alnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(), [&](char c) { return alnum(c) || c == '-' || c == '.'; });
}

void ParseKubernetes(const YAML::Node* node, Config* config, std::vector<std::string>* errors) {
  SourceSpec& t = config->scale_source_template;
  t.kind = kKubernetesScale;
  t.params = KubernetesScaleParams{};
  auto& params = std::get<KubernetesScaleParams>(t.params);
  if (node == nullptr || node->IsNull()) {
    KeyValues none;
    ParamReader r(none, "kubernetes.");
    ReadTiming(r, config->defaults, &t);
    return;
  }
  std::optional<YamlEntry> entry = ReadEntry(*node, "kubernetes", errors);
  if (!entry) return;
  ParamReader r = MakeReader(*entry, "kubernetes");
  ReadKubeConnection(r, &params);
  ReadTiming(r, config->defaults, &t);
  if (std::optional<bool> v = r.Bool("workloadsFromScaledObjects")) {
    config->workloads_from_scaled_objects = *v;
  }
  r.RejectUnknown(
      "kubernetes takes kubeconfig, or apiServer, tokenFile and caFile (in-cluster), "
      "sampleInterval, staleAfter, timeout for the reads of each pool's scaleTargetRef, and "
      "workloadsFromScaledObjects");
  errors->insert(errors->end(), r.errors().begin(), r.errors().end());
}

std::optional<ScaleTargetRef> ParseScaleTargetRef(const YAML::Node& node, const std::string& path,
                                                  std::vector<std::string>* errors) {
  std::optional<YamlEntry> entry = ReadEntry(node, path, errors);
  if (!entry) return std::nullopt;
  ParamReader r = MakeReader(*entry, path);
  ScaleTargetRef ref;
  if (r.Has("apiVersion")) {
    if (auto v = r.RequiredString("apiVersion")) {
      if (IsApiVersion(*v))
        ref.api_version = *v;
      else
        r.Fail("apiVersion", "expected \"group/version\" (apps/v1) or \"v1\"");
    }
  }
  if (r.Has("kind")) {
    if (auto v = r.RequiredString("kind")) {
      if (IsKind(*v))
        ref.kind = *v;
      else
        r.Fail("kind", "expected a Kubernetes kind (Deployment, StatefulSet, ...)");
    }
  }
  for (auto [key, out] : {std::pair{"name", &ref.name}, {"namespace", &ref.namespace_name}}) {
    if (auto v = r.RequiredString(key)) {
      if (IsKubernetesName(*v))
        *out = *v;
      else
        r.Fail(key, "is not a Kubernetes name (lowercase letters, digits, '-' and '.')");
    }
  }
  r.RejectUnknown(
      "scaleTargetRef takes apiVersion (default apps/v1), kind (default "
      "Deployment), name and namespace");
  errors->insert(errors->end(), r.errors().begin(), r.errors().end());
  if (!r.ok()) return std::nullopt;
  return ref;
}

}  // namespace poolscaler::config
