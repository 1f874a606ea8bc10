#include "poolscaler/local/pools_status.h"

#include <fmt/format.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include "poolscaler/common/text.h"

namespace poolscaler::local {

absl::StatusOr<std::map<std::string, PoolStatus>> DecodePoolsJson(const std::string& body) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_array()) {
    return absl::InvalidArgumentError("/pools: expected a JSON array of pools");
  }
  std::map<std::string, PoolStatus> out;
  for (const nlohmann::json& p : j) {
    if (!p.is_object() || !p.contains("name") || !p["name"].is_string()) {
      return absl::InvalidArgumentError("/pools: a pool without a name");
    }
    PoolStatus s;
    s.available = p.value("available", false);
    if (p.contains("error") && p["error"].is_string()) s.error = p["error"].get<std::string>();
    if (p.contains("desiredReplicas") && p["desiredReplicas"].is_number_integer()) {
      s.desired = p["desiredReplicas"].get<int64_t>();
    }
    if (p.contains("rawDesiredReplicas") && p["rawDesiredReplicas"].is_number_integer()) {
      s.raw_desired = p["rawDesiredReplicas"].get<int64_t>();
    }
    s.active = p.value("active", false);
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
