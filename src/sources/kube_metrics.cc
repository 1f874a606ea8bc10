#include "poolscaler/sources/kube_metrics.h"

#include <fmt/format.h>

#include <cstdint>
#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "poolscaler/common/quantity.h"
#include "poolscaler/common/text.h"

namespace poolscaler::sources {
namespace {

using Json = nlohmann::json;

absl::Status Malformed(std::string_view what, std::string_view why) {
  return absl::FailedPreconditionError(fmt::format("{}: unexpected response: {}", what, why));
}

std::string PodName(const Json& item) {
  if (!item.contains("metadata") || !item["metadata"].is_object()) return "";
  const Json& name = item["metadata"].value("name", Json());
  return name.is_string() ? name.get<std::string>() : "";
}

// Adds the quantity at `usage[key]` (if any) at `scale` into `*sum`.
absl::Status AddQuantity(const Json& usage, const char* key, int scale, const std::string& where,
                         int64_t* sum, bool* present = nullptr) {
  if (!usage.is_object() || !usage.contains(key)) {
    if (present != nullptr) *present = false;
    return absl::OkStatus();
  }
  const Json& v = usage[key];
  if (!v.is_string())
    return Malformed("kubernetes", fmt::format("{} {} is not a string", where, key));
  absl::StatusOr<Quantity> q =
      Quantity::Parse(fmt::format("{} {}", where, key), v.get_ref<const std::string&>());
  if (!q.ok()) return absl::FailedPreconditionError(q.status().message());
  absl::StatusOr<int64_t> scaled = q->ScaledValue(scale);
  if (!scaled.ok() || *scaled < 0 || *sum > INT64_MAX - *scaled) {
    return absl::FailedPreconditionError(fmt::format("{} {}: value out of range", where, key));
  }
  *sum += *scaled;
  return absl::OkStatus();
}

const Json* Items(const Json& doc, std::string_view kind) {
  if (!doc.is_object() || !doc.contains("items")) return nullptr;
  if (doc.contains("kind") && doc["kind"] != kind) return nullptr;
  const Json& items = doc["items"];
  return items.is_array() || items.is_null() ? &items : nullptr;
}

absl::StatusOr<PodMetricsSummary> DecodeMetrics(std::string_view body) {
  Json doc = Json::parse(body, nullptr, false);
  if (doc.is_discarded()) return Malformed("metrics API", "not JSON");
  const Json* items = Items(doc, "PodMetricsList");
  if (items == nullptr) return Malformed("metrics API", "not a PodMetricsList");
  PodMetricsSummary out;
  if (items->is_null()) return out;
  for (const Json& item : *items) {
    std::string name = PodName(item);
    if (name.empty()) return Malformed("metrics API", "an item has no metadata.name");
    const Json containers = item.value("containers", Json::array());
    if (!containers.is_array()) {
      return Malformed("metrics API", fmt::format("pod {}: containers is not a list", Quote(name)));
    }
    if (containers.empty()) {
      ++out.pods_without_metrics;
      continue;
    }
    PodUsage usage;
    for (const Json& c : containers) {
      std::string where = fmt::format("pod {} container {}", Quote(name),
                                      Quote(c.is_object() ? c.value("name", "") : ""));
      const Json u = c.is_object() ? c.value("usage", Json()) : Json();
      if (absl::Status s = AddQuantity(u, "cpu", -9, where, &usage.cpu_nanocores); !s.ok()) {
        return s;
      }
      if (absl::Status s = AddQuantity(u, "memory", 0, where, &usage.memory_bytes); !s.ok()) {
        return s;
      }
    }
    if (out.pods.count(name) != 0) {
      return Malformed("metrics API", fmt::format("pod {} listed twice", Quote(name)));
    }
    if (out.cpu_nanocores > INT64_MAX - usage.cpu_nanocores ||
        out.memory_bytes > INT64_MAX - usage.memory_bytes) {
      return Malformed("metrics API", "usage sums out of range");
    }
    out.cpu_nanocores += usage.cpu_nanocores;
    out.memory_bytes += usage.memory_bytes;
    out.pods.emplace(std::move(name), usage);
  }
  return out;
}

absl::StatusOr<std::map<std::string, PodRequests>> DecodeRequests(std::string_view body) {
  Json doc = Json::parse(body, nullptr, false);
  if (doc.is_discarded()) return Malformed("pods API", "not JSON");
  const Json* items = Items(doc, "PodList");
  if (items == nullptr) return Malformed("pods API", "not a PodList");
  std::map<std::string, PodRequests> out;
  if (items->is_null()) return out;
  for (const Json& item : *items) {
    std::string name = PodName(item);
    if (name.empty()) return Malformed("pods API", "an item has no metadata.name");
    const Json status = item.value("status", Json::object());
    std::string phase = status.is_object() ? status.value("phase", "") : "";
    if (phase == "Succeeded" || phase == "Failed") continue;
    const Json spec = item.value("spec", Json::object());
    const Json containers = spec.is_object() ? spec.value("containers", Json::array()) : Json();
    if (!containers.is_array()) {
      return Malformed("pods API",
                       fmt::format("pod {}: spec.containers is not a list", Quote(name)));
    }
    PodRequests r;
    if (containers.empty()) r.has_cpu = r.has_memory = false;
    for (const Json& c : containers) {
      std::string where = fmt::format("pod {} container {} request", Quote(name),
                                      Quote(c.is_object() ? c.value("name", "") : ""));
      Json requests;
      if (c.is_object() && c.contains("resources") && c["resources"].is_object()) {
        requests = c["resources"].value("requests", Json());
      }
      if (absl::Status s = AddQuantity(requests, "cpu", -9, where, &r.cpu_nanocores, &r.has_cpu);
          !s.ok()) {
        return s;
      }
      if (absl::Status s =
              AddQuantity(requests, "memory", 0, where, &r.memory_bytes, &r.has_memory);
          !s.ok()) {
        return s;
      }
    }
    out[name] = r;
  }
  return out;
}

// A replica count: a whole number in [0, 2^31 - 1] (int32 in the API).
absl::StatusOr<int64_t> Replicas(const Json& v, std::string_view field) {
  if (!v.is_number_integer() && !v.is_number_unsigned()) {
    return Malformed("scale subresource", fmt::format("{} is not a whole number", field));
  }
  const bool in_range = v.is_number_unsigned()
                            ? v.get<uint64_t>() <= INT32_MAX
                            : v.get<int64_t>() >= 0 && v.get<int64_t>() <= INT32_MAX;
  if (!in_range) return Malformed("scale subresource", fmt::format("{} is out of range", field));
  return v.get<int64_t>();
}

absl::StatusOr<ScaleReading> DecodeScaleBody(std::string_view body) {
  Json doc = Json::parse(body, nullptr, false);
  if (doc.is_discarded()) return Malformed("scale subresource", "not JSON");
  if (!doc.is_object() || doc.value("kind", Json()) != "Scale") {
    return Malformed("scale subresource", "not a Scale");
  }
  ScaleReading out;
  const Json spec = doc.value("spec", Json::object());
  const Json status = doc.value("status", Json::object());
  if (!spec.is_object() || !status.is_object()) {
    return Malformed("scale subresource", "spec or status is not an object");
  }
  if (spec.contains("replicas")) {  // omitted when 0
    absl::StatusOr<int64_t> n = Replicas(spec["replicas"], "spec.replicas");
    if (!n.ok()) return n.status();
    out.spec_replicas = *n;
  }
  if (status.contains("replicas")) {
    absl::StatusOr<int64_t> n = Replicas(status["replicas"], "status.replicas");
    if (!n.ok()) return n.status();
    out.status_replicas = *n;
  }
  return out;
}

absl::StatusOr<std::string> FindScale(std::string_view body, std::string_view kind) {
  Json doc = Json::parse(body, nullptr, false);
  if (doc.is_discarded()) return Malformed("API discovery", "not JSON");
  if (!doc.is_object() || doc.value("kind", Json()) != "APIResourceList" ||
      !doc.contains("resources") || !doc["resources"].is_array()) {
    return Malformed("API discovery", "not an APIResourceList");
  }
  std::string resource;
  for (const Json& r : doc["resources"]) {
    if (!r.is_object() || !r.contains("name") || !r["name"].is_string()) continue;
    const std::string& name = r["name"].get_ref<const std::string&>();
    if (name.find('/') == std::string::npos && r.value("kind", Json()) == kind) resource = name;
  }
  if (resource.empty()) {
    return absl::NotFoundError(fmt::format("API discovery: no resource of kind {}", Quote(kind)));
  }
  for (const Json& r : doc["resources"]) {
    if (r.is_object() && r.value("name", Json()) == resource + "/scale") return resource;
  }
  return absl::FailedPreconditionError(
      fmt::format("API discovery: {} ({}) has no scale subresource, so it cannot be scaled",
                  Quote(kind), resource));
}

}  // namespace

namespace {

absl::StatusOr<std::vector<ScaledObjectPool>> DecodeScaledObjects(std::string_view body) {
  Json doc = Json::parse(body, nullptr, false);
  if (doc.is_discarded()) return Malformed("ScaledObject list", "not JSON");
  if (!doc.is_object() || doc.value("kind", Json()) != "ScaledObjectList" ||
      !doc.contains("items") || !doc["items"].is_array()) {
    return Malformed("ScaledObject list", "not a ScaledObjectList");
  }
  auto text = [](const Json& object, const char* key) -> std::string {
    if (!object.is_object() || !object.contains(key) || !object[key].is_string()) return "";
    return object[key].get<std::string>();
  };
  std::vector<ScaledObjectPool> out;
  for (const Json& item : doc["items"]) {
    const Json metadata = item.is_object() ? item.value("metadata", Json()) : Json();
    ScaledObjectPool base;
    base.scaled_object = text(metadata, "name");
    base.namespace_name = text(metadata, "namespace");
    if (base.scaled_object.empty() || base.namespace_name.empty()) {
      return Malformed("ScaledObject list", "an item has no metadata.name and namespace");
    }
    const Json spec = item.value("spec", Json());
    const Json ref = spec.is_object() ? spec.value("scaleTargetRef", Json()) : Json();
    base.target_name = text(ref, "name");
    if (base.target_name.empty()) continue;
    if (std::string v = text(ref, "apiVersion"); !v.empty()) base.target_api_version = v;
    if (std::string v = text(ref, "kind"); !v.empty()) base.target_kind = v;
    const Json triggers = spec.value("triggers", Json());
    if (!triggers.is_array()) continue;
    for (const Json& trigger : triggers) {
      const std::string type = text(trigger, "type");
      if (type != "external" && type != "external-push") continue;
      const std::string pool =
          text(trigger.is_object() ? trigger.value("metadata", Json()) : Json(), "pool");
      if (pool.empty()) continue;
      ScaledObjectPool entry = base;
      entry.pool = pool;
      out.push_back(std::move(entry));
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<ScaledObjectPool>> DecodeScaledObjectPools(std::string_view body) {
  try {
    return DecodeScaledObjects(body);
  } catch (const std::exception& e) {
    return Malformed("ScaledObject list", e.what());
  }
}

absl::StatusOr<ScaleReading> DecodeScale(std::string_view body) {
  try {
    return DecodeScaleBody(body);
  } catch (const std::exception& e) {
    return Malformed("scale subresource", e.what());
  }
}

absl::StatusOr<std::string> FindScaleResource(std::string_view body, std::string_view kind) {
  try {
    return FindScale(body, kind);
  } catch (const std::exception& e) {
    return Malformed("API discovery", e.what());
  }
}

absl::StatusOr<PodMetricsSummary> DecodePodMetricsList(std::string_view body) {
  try {
    return DecodeMetrics(body);
  } catch (const std::exception& e) {
    return Malformed("metrics API", e.what());
  }
}

absl::StatusOr<std::map<std::string, PodRequests>> DecodePodRequests(std::string_view body) {
  try {
    return DecodeRequests(body);
  } catch (const std::exception& e) {
    return Malformed("pods API", e.what());
  }
}

absl::Status KubeApiError(long http_status, std::string_view body, std::string_view what,
                          std::string_view forbidden_hint) {
  std::string detail;
  Json doc = Json::parse(body, nullptr, false);
  if (!doc.is_discarded() && doc.is_object() && doc.contains("message") &&
      doc["message"].is_string()) {
    detail = doc["message"].get<std::string>();
  } else {
    detail = Quote(body.substr(0, 200));
  }
  std::string message = fmt::format("{}: HTTP {}: {}", what, http_status, detail);
  switch (http_status) {
    case 401:
      return absl::UnauthenticatedError(message + " (the token or client certificate was refused)");
    case 403:
      return absl::PermissionDeniedError(fmt::format("{} ({})", message, forbidden_hint));
    case 404:
      return absl::NotFoundError(message);
    case 429:
      return absl::UnavailableError(message);
    default:
      if (http_status >= 500) return absl::UnavailableError(message);
      return absl::FailedPreconditionError(message);
  }
}

}  // namespace poolscaler::sources
