#include "poolscaler/adapter/objects.h"

#include <fmt/format.h>

#include <ctime>
#include <nlohmann/json.hpp>

#include "poolscaler/adapter/api_path.h"

namespace poolscaler::adapter {
namespace {

using Json = nlohmann::ordered_json;

std::string Dump(const Json& j) {
  return j.dump(-1, ' ', /*ensure_ascii=*/false, Json::error_handler_t::replace);
}

Json GroupVersion() { return Json{{"groupVersion", kGroupVersion}, {"version", kVersionName}}; }

Json Group() {
  return Json{{"name", kGroupName},
              {"versions", Json::array({GroupVersion()})},
              {"preferredVersion", GroupVersion()}};
}

}  // namespace

std::string ApiGroupListJson() {
  return Dump(
      Json{{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", Json::array({Group()})}});
}

std::string ApiGroupJson() {
  Json j{{"kind", "APIGroup"}, {"apiVersion", "v1"}};
  j.update(Group());
  return Dump(j);
}

std::string ApiResourceListJson(const std::vector<std::string>& metric_names) {
  Json resources = Json::array();
  for (const std::string& name : metric_names) {
    resources.push_back(Json{{"name", name},
                             {"singularName", ""},
                             {"namespaced", true},
                             {"kind", "ExternalMetricValueList"},
                             {"verbs", Json::array({"get"})}});
  }
  return Dump(Json{{"kind", "APIResourceList"},
                   {"apiVersion", "v1"},
                   {"groupVersion", kGroupVersion},
                   {"resources", std::move(resources)}});
}

std::string ExternalMetricValueListJson(const std::vector<MetricItem>& items) {
  Json list = Json::array();
  for (const MetricItem& item : items) {
    Json labels = Json::object();
    for (const auto& [k, v] : item.labels) labels[k] = v;
    list.push_back(Json{{"metricName", item.metric_name},
                        {"metricLabels", std::move(labels)},
                        {"timestamp", Rfc3339(item.timestamp)},
                        {"value", item.value}});
  }
  return Dump(Json{{"kind", "ExternalMetricValueList"},
                   {"apiVersion", kGroupVersion},
                   {"metadata", Json::object()},
                   {"items", std::move(list)}});
}

std::string StatusJson(int http_code, std::string_view message, std::string_view metric) {
  Json j{{"kind", "Status"},    {"apiVersion", "v1"}, {"metadata", Json::object()},
         {"status", "Failure"}, {"message", message}, {"reason", StatusReason(http_code)}};
  if (!metric.empty()) {
    j["details"] = Json{{"name", metric}, {"group", kGroupName}, {"kind", metric}};
  }
  j["code"] = http_code;
  return Dump(j);
}

const char* StatusReason(int http_code) {
  switch (http_code) {
    case 400: return "BadRequest";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "NotFound";
    case 405: return "MethodNotAllowed";
    case 503: return "ServiceUnavailable";
    default: return "InternalError";
  }
}

int HttpCodeOf(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kInvalidArgument: return 400;
    case absl::StatusCode::kUnauthenticated: return 401;
    case absl::StatusCode::kPermissionDenied: return 403;
    case absl::StatusCode::kNotFound: return 404;
    case absl::StatusCode::kUnimplemented: return 405;
    case absl::StatusCode::kUnavailable: return 503;
    default: return 500;
  }
}

std::string Rfc3339(std::chrono::system_clock::time_point t) {
  std::time_t seconds =
      std::chrono::system_clock::to_time_t(std::chrono::floor<std::chrono::seconds>(t));
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", utc.tm_year + 1900, utc.tm_mon + 1,
                     utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec);
}

}  // namespace poolscaler::adapter
