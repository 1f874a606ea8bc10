#include "poolscaler/adapter/api_path.h"

#include <fmt/format.h>

#include <vector>

#include "poolscaler/common/text.h"

namespace poolscaler::adapter {
namespace {

absl::Status NotFound(std::string_view path) {
  return absl::NotFoundError(
      fmt::format("the server could not find the requested resource (path {})", Quote(path)));
}

}  // namespace

bool IsNamespaceName(std::string_view name) {
  if (name.empty() || name.size() > 63 || name.front() == '-' || name.back() == '-') return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

absl::StatusOr<ApiPath> ParseApiPath(std::string_view path) {
  if (path.empty() || path.front() != '/') return NotFound(path);
  std::string_view rest = path.substr(1);
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  std::vector<std::string_view> parts;
  while (!rest.empty()) {
    size_t slash = rest.find('/');
    std::string_view part = rest.substr(0, slash);
    if (part.empty()) return NotFound(path);  // "//"
    parts.push_back(part);
    if (parts.size() > 6) return NotFound(path);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
  }
  ApiPath out;
  if (parts.size() == 1 && (parts[0] == "healthz" || parts[0] == "livez" || parts[0] == "readyz")) {
    out.kind = ApiPath::Kind::kHealth;
    out.health = std::string(parts[0]);
    return out;
  }
  if (parts.empty() || parts[0] != "apis") return NotFound(path);
  if (parts.size() == 1) return out;  // kApis
  if (parts[1] != kGroupName) return NotFound(path);
  out.kind = ApiPath::Kind::kGroup;
  if (parts.size() == 2) return out;
  if (parts[2] != kVersionName) return NotFound(path);
  out.kind = ApiPath::Kind::kVersion;
  if (parts.size() == 3) return out;
  if (parts.size() != 6 || parts[3] != "namespaces") return NotFound(path);
  if (!IsNamespaceName(parts[4])) {
    return absl::InvalidArgumentError(fmt::format(
        "namespace {} is not a valid namespace name (a DNS-1123 label: a-z, 0-9 and '-', at most "
        "63 characters)",
        Quote(parts[4])));
  }
  out.kind = ApiPath::Kind::kMetric;
  out.namespace_name = std::string(parts[4]);
  out.metric = std::string(parts[5]);
  return out;
}

}  // namespace poolscaler::adapter
