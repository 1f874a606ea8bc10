#include "poolscaler/sources/rabbitmq_json.h"

#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include "absl/status/status.h"

namespace poolscaler::sources {
namespace {

using Json = nlohmann::json;

constexpr size_t kMaxReasonBytes = 200;

// A non-negative finite number at `key` of `object`: nullopt when absent or null, an error
// message in `problem` when present with another type or value.
std::optional<double> Count(const Json& object, const char* key, std::string* problem) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::nullopt;
  if (!it->is_number()) {
    *problem = fmt::format("\"{}\" is not a number", key);
    return std::nullopt;
  }
  double v = it->get<double>();
  if (!std::isfinite(v) || v < 0) {
    *problem = fmt::format("\"{}\" is not a non-negative number", key);
    return std::nullopt;
  }
  return v;
}

// message_stats.<key>_details.rate, 0 when absent or not a finite number.
double Rate(const Json& stats, const std::string& key) {
  auto details = stats.find(key + "_details");
  if (details == stats.end() || !details->is_object()) return 0;
  auto rate = details->find("rate");
  if (rate == details->end() || !rate->is_number()) return 0;
  double v = rate->get<double>();
  return std::isfinite(v) && v > 0 ? v : 0;
}

absl::StatusOr<QueueStats> FromJson(const Json& q) {
  if (!q.is_object()) return absl::InvalidArgumentError("a queue is not a JSON object");
  QueueStats out;
  auto name = q.find("name");
  if (name == q.end() || !name->is_string()) {
    return absl::InvalidArgumentError("a queue has no string \"name\"");
  }
  out.name = name->get<std::string>();
  std::string problem;
  out.ready = Count(q, "messages_ready", &problem);
  out.unacked = Count(q, "messages_unacknowledged", &problem);
  out.consumers = Count(q, "consumers", &problem);
  auto stats = q.find("message_stats");
  if (stats != q.end() && stats->is_object()) {
    out.publish_count = Count(*stats, "publish", &problem).value_or(0);
    out.deliver_get_count = Count(*stats, "deliver_get", &problem).value_or(0);
    out.ack_count = Count(*stats, "ack", &problem).value_or(0);
    out.no_ack_count = Count(*stats, "deliver_no_ack", &problem).value_or(0) +
                       Count(*stats, "get_no_ack", &problem).value_or(0);
    out.publish_rate = Rate(*stats, "publish");
    out.deliver_get_rate = Rate(*stats, "deliver_get");
    out.ack_rate = Rate(*stats, "ack");
  }
  if (!problem.empty()) {
    return absl::InvalidArgumentError(fmt::format("queue \"{}\": {}", out.name.substr(0, 80), problem));
  }
  return out;
}

}  // namespace

absl::StatusOr<QueueStats> DecodeQueue(std::string_view json) {
  Json doc = Json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return absl::InvalidArgumentError("not JSON");
  return FromJson(doc);
}

absl::StatusOr<std::vector<QueueStats>> DecodeQueueList(std::string_view json) {
  Json doc = Json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return absl::InvalidArgumentError("not JSON");
  const Json* items = &doc;
  if (doc.is_object()) {
    auto it = doc.find("items");
    if (it == doc.end()) return absl::InvalidArgumentError("an object without \"items\"");
    items = &*it;
  }
  if (!items->is_array()) return absl::InvalidArgumentError("not a JSON array of queues");
  std::vector<QueueStats> out;
  out.reserve(items->size());
  for (size_t i = 0; i < items->size(); ++i) {
    absl::StatusOr<QueueStats> q = FromJson((*items)[i]);
    if (!q.ok()) {
      return absl::InvalidArgumentError(fmt::format("item {}: {}", i, std::string(q.status().message())));
    }
    out.push_back(std::move(*q));
  }
  return out;
}

std::string ManagementErrorReason(std::string_view json) {
  Json doc = Json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return "";
  for (const char* key : {"reason", "error"}) {
    auto it = doc.find(key);
    if (it != doc.end() && it->is_string()) {
      std::string text = it->get<std::string>();
      if (text.size() > kMaxReasonBytes) text.resize(kMaxReasonBytes);
      if (!text.empty()) return text;
    }
  }
  return "";
}

}  // namespace poolscaler::sources
