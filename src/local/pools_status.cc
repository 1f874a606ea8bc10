#include "poolscaler/local/pools_status.h"

#include <fmt/format.h>
#include <httplib.h>

#include <limits>
#include <nlohmann/json.hpp>
#include <optional>

#include "poolscaler/common/text.h"

namespace poolscaler::local {

namespace {

bool BoolField(const nlohmann::json& p, const char* key) {
  auto it = p.find(key);
  return it != p.end() && it->is_boolean() && it->get<bool>();
}

// A replica count: a whole number from 0 to INT64_MAX, else absent.
std::optional<int64_t> CountField(const nlohmann::json& p, const char* key) {
  auto it = p.find(key);
  if (it == p.end()) return std::nullopt;
  if (it->is_number_unsigned()) {
    const uint64_t v = it->get<uint64_t>();
    if (v <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return static_cast<int64_t>(v);
    }
    return std::nullopt;
  }
  if (it->is_number_integer() && it->get<int64_t>() >= 0) return it->get<int64_t>();
  return std::nullopt;
}

}  // namespace

absl::StatusOr<std::map<std::string, PoolStatus>> DecodePoolsJson(const std::string& body) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_array()) {
    return absl::InvalidArgumentError("/pools: expected a JSON array of pools");
  }
  std::map<std::string, PoolStatus> out;
  for (const nlohmann::json& p : j) {
    if (!p.is_object() || !p.contains("name") || !p["name"].is_string() ||
        p["name"].get_ref<const std::string&>().empty()) {
      return absl::InvalidArgumentError("/pools: a pool without a name");
    }
    PoolStatus s;
    s.available = BoolField(p, "available");
    if (p.contains("error") && p["error"].is_string()) s.error = p["error"].get<std::string>();
    s.desired = CountField(p, "desiredReplicas");
    s.raw_desired = CountField(p, "rawDesiredReplicas");
    s.active = BoolField(p, "active");
    if (p.contains("limitedBy") && p["limitedBy"].is_array()) {
      for (const nlohmann::json& l : p["limitedBy"]) {
        if (l.is_string()) s.limited_by.push_back(l.get<std::string>());
      }
    }
    if (p.contains("signals") && p["signals"].is_array() && !p["signals"].empty()) {
      const nlohmann::json& first = p["signals"][0];
      if (first.is_object() && first.contains("value") && first["value"].is_number()) {
        s.lag = first["value"].get<double>();
      }
    }
    out[p["name"].get<std::string>()] = std::move(s);
  }
  return out;
}

absl::StatusOr<std::unique_ptr<PoolsFetcher>> PoolsFetcher::Create(const std::string& url) {
  constexpr std::string_view kScheme = "http://";
  size_t slash = url.find('/', kScheme.size());
  if (!url.starts_with(kScheme) || slash == std::string::npos || slash == kScheme.size()) {
    return absl::InvalidArgumentError(
        fmt::format("--pools-url {}: expected http://host:port/pools", Quote(url)));
  }
  auto client = std::make_unique<httplib::Client>(url.substr(0, slash));
  return std::unique_ptr<PoolsFetcher>(new PoolsFetcher(url, url.substr(slash), std::move(client)));
}

PoolsFetcher::PoolsFetcher(std::string url, std::string path,
                           std::unique_ptr<httplib::Client> client)
    : url_(std::move(url)), path_(std::move(path)), client_(std::move(client)) {}

PoolsFetcher::~PoolsFetcher() = default;

absl::StatusOr<std::map<std::string, PoolStatus>> PoolsFetcher::Fetch(Duration timeout) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(timeout).count();
  client_->set_connection_timeout(us / 1000000, us % 1000000);
  client_->set_read_timeout(us / 1000000, us % 1000000);
  httplib::Result res = client_->Get(path_.c_str());
  if (!res) {
    return absl::UnavailableError(fmt::format("GET {}: {}", url_, httplib::to_string(res.error())));
  }
  if (res->status != 200) {
    return absl::UnavailableError(fmt::format("GET {}: HTTP {}", url_, res->status));
  }
  return DecodePoolsJson(res->body);
}

}  // namespace poolscaler::local
