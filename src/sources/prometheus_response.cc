#include "poolscaler/sources/prometheus_response.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include "absl/status/status.h"
#include "poolscaler/common/numbers.h"
#include "poolscaler/common/text.h"

namespace poolscaler::sources {
namespace {

using Json = nlohmann::json;

constexpr size_t kShownBody = 200;

absl::Status Malformed(std::string_view why) {
  return absl::FailedPreconditionError(fmt::format("prometheus: unexpected response: {}", why));
}

// A sample [<unix time>, "<value>"] → its value. NaN and ±Inf are refused: no replica count
// can come from them.
absl::StatusOr<double> SampleValue(const Json& sample) {
  if (!sample.is_array() || sample.size() != 2 || !sample[1].is_string()) {
    return Malformed("a sample is not [time, \"value\"]");
  }
  const std::string& text = sample[1].get_ref<const std::string&>();
  if (text == "NaN" || text == "+Inf" || text == "-Inf" || text == "Inf") {
    return absl::FailedPreconditionError(
        fmt::format("prometheus: the query returned {}; no replica count can come from it", text));
  }
  absl::StatusOr<double> v = ParseDouble("prometheus sample value", text);
  if (!v.ok()) return Malformed(std::string(v.status().message()));
  return *v;
}

absl::StatusOr<PrometheusResult> Reduce(const Json& result, config::Reduce reduce) {
  if (!result.is_array()) return Malformed("vector result is not a list");
  PrometheusResult out;
  out.series = result.size();
  out.empty = result.empty();
  double sum = 0, max = -INFINITY, min = INFINITY;
  for (const Json& element : result) {
    if (!element.is_object() || !element.contains("value")) {
      return Malformed("a vector element has no \"value\"");
    }
    absl::StatusOr<double> v = SampleValue(element["value"]);
    if (!v.ok()) return v.status();
    sum += *v;
    max = std::max(max, *v);
    min = std::min(min, *v);
  }
  if (out.empty) return out;
  switch (reduce) {
    case config::Reduce::kSum: out.value = sum; break;
    case config::Reduce::kMax: out.value = max; break;
    case config::Reduce::kMin: out.value = min; break;
    case config::Reduce::kAvg: out.value = sum / static_cast<double>(result.size()); break;
  }
  if (!std::isfinite(out.value)) {
    return absl::FailedPreconditionError("prometheus: the reduced value is not finite");
  }
  return out;
}

absl::Status HttpStatusError(long status, std::string_view body) {
  std::string shown(body.substr(0, kShownBody));
  if (status == 401) {
    return absl::UnauthenticatedError(
        fmt::format("prometheus: HTTP 401 (check the bearer token or username/password): {}",
                    Quote(shown)));
  }
  if (status == 403) {
    return absl::PermissionDeniedError(fmt::format("prometheus: HTTP 403: {}", Quote(shown)));
  }
  if (status >= 500) {
    return absl::UnavailableError(fmt::format("prometheus: HTTP {}: {}", status, Quote(shown)));
  }
  return absl::FailedPreconditionError(
      fmt::format("prometheus: HTTP {} (is serverAddress the Prometheus base URL?): {}", status,
                  Quote(shown)));
}

// The API envelope: HTTP status, "status", the error fields, and `data` with its resultType.
absl::StatusOr<Json> Data(std::string_view body, long http_status) {
  Json doc = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("status") ||
      !doc["status"].is_string()) {
    if (http_status != 200) return HttpStatusError(http_status, body);
    return Malformed("not a Prometheus API JSON object");
  }
  if (doc["status"] != "success") {
    std::string type = doc.value("errorType", "");
    std::string error = doc.value("error", "");
    std::string message = fmt::format("prometheus: query failed ({}): {}", type, error);
    if (type == "bad_data") return absl::InvalidArgumentError(message);
    if (type == "timeout" || type == "canceled" || type == "unavailable") {
      return absl::UnavailableError(message);
    }
    if (http_status == 401 || http_status == 403) return HttpStatusError(http_status, body);
    return absl::FailedPreconditionError(message);
  }
  if (http_status != 200) return HttpStatusError(http_status, body);
  if (!doc.contains("data") || !doc["data"].is_object()) return Malformed("no \"data\" object");
  Json data = std::move(doc["data"]);
  if (!data.contains("resultType") || !data["resultType"].is_string() || !data.contains("result")) {
    return Malformed("no \"resultType\"/\"result\"");
  }
  return data;
}

absl::StatusOr<PrometheusResult> Decode(std::string_view body, long http_status,
                                        config::Reduce reduce) {
  absl::StatusOr<Json> got = Data(body, http_status);
  if (!got.ok()) return got.status();
  const Json& data = *got;
  const std::string& type = data["resultType"].get_ref<const std::string&>();
  if (type == "scalar") {
    absl::StatusOr<double> v = SampleValue(data["result"]);
    if (!v.ok()) return v.status();
    return PrometheusResult{*v, 1, false};
  }
  if (type == "vector") return Reduce(data["result"], reduce);
  return absl::FailedPreconditionError(fmt::format(
      "prometheus: the query returned a {}; poolscaler needs an instant vector or a scalar "
      "(for a range vector, wrap it: e.g. sum(rate(x[2m])))", type));
}

absl::StatusOr<std::vector<PrometheusSeries>> DecodeMatrix(std::string_view body,
                                                           long http_status,
                                                           const std::string& label) {
  absl::StatusOr<Json> got = Data(body, http_status);
  if (!got.ok()) return got.status();
  const Json& data = *got;
  if (data["resultType"] != "matrix") {
    return Malformed(fmt::format("a range query returned a {}, not a matrix",
                                 data["resultType"].get<std::string>()));
  }
  const Json& result = data["result"];
  if (!result.is_array()) return Malformed("matrix result is not a list");
  std::vector<PrometheusSeries> out;
  out.reserve(result.size());
  for (const Json& element : result) {
    if (!element.is_object() || !element.contains("metric") || !element["metric"].is_object() ||
        !element.contains("values") || !element["values"].is_array()) {
      return Malformed("a matrix element has no \"metric\" and \"values\"");
    }
    const Json& metric = element["metric"];
    if (!metric.contains(label) || !metric[label].is_string()) {
      return Malformed(fmt::format("a series has no label {}", Quote(label)));
    }
    PrometheusSeries series;
    series.label = metric[label].get<std::string>();
    for (const Json& sample : element["values"]) {
      if (!sample.is_array() || sample.size() != 2 || !sample[0].is_number()) {
        return Malformed("a sample is not [time, \"value\"]");
      }
      double at = sample[0].get<double>();
      if (!std::isfinite(at)) return Malformed("a sample time is not finite");
      absl::StatusOr<double> v = SampleValue(sample);
      if (!v.ok()) return v.status();
      series.samples.emplace_back(at, *v);
    }
    out.push_back(std::move(series));
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<PrometheusSeries>> DecodePrometheusMatrix(std::string_view body,
                                                                     long http_status,
                                                                     const std::string& label) {
  try {
    return DecodeMatrix(body, http_status, label);
  } catch (const std::exception& e) {
    return Malformed(e.what());
  }
}

absl::StatusOr<PrometheusResult> DecodePrometheusResponse(std::string_view body, long http_status,
                                                          config::Reduce reduce) {
  try {
    return Decode(body, http_status, reduce);
  } catch (const std::exception& e) {  // nlohmann type errors on odd shapes
    return Malformed(e.what());
  }
}

}  // namespace poolscaler::sources
