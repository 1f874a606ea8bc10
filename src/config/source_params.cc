#include "source_params.h"

#include <algorithm>

#include <fmt/format.h>

#include "poolscaler/common/duration.h"
#include "poolscaler/common/numbers.h"

namespace poolscaler::config {
namespace {

constexpr char kAddressForm[] = "expected \"host:port\" (IPv6 as \"[::1]:6379\")";

// Splits "host:port" / "[v6]:port". Returns false when the text has neither form.
bool SplitHostPort(std::string_view address, std::string* host, std::string* port) {
  size_t colon;
  if (!address.empty() && address.front() == '[') {
    size_t close = address.find(']');
    if (close == std::string_view::npos || close + 1 >= address.size() ||
        address[close + 1] != ':') {
      return false;
    }
    *host = std::string(address.substr(1, close - 1));
    colon = close + 1;
  } else {
    colon = address.rfind(':');
    if (colon == std::string_view::npos) return false;
    *host = std::string(address.substr(0, colon));
    if (host->find(':') != std::string::npos) return false;  // IPv6 needs brackets
  }
  *port = std::string(address.substr(colon + 1));
  return !host->empty() && !port->empty();
}

std::optional<int> ParsePort(std::string_view text) {
  absl::StatusOr<int64_t> v = ParseInt("port", text);
  if (!v.ok() || *v < 1 || *v > 65535) return std::nullopt;
  return static_cast<int>(*v);
}

void ReadAddress(ParamReader& r, RedisStreamsParams* out) {
  std::optional<std::string> address = r.String("address");
  if (!address) return;
  if (r.Has("host") || r.Has("port")) {
    r.Fail("address", "give \"address\" or \"host\" + \"port\", not both");
    r.Ignore({"host", "port"});
    return;
  }
  if (address->find("://") != std::string::npos || address->find('@') != std::string::npos) {
    // A URL may carry credentials: do not echo it.
    r.Fail("address", fmt::format("{}, without a scheme or credentials", kAddressForm),
           /*secret=*/true);
    return;
  }
  std::string host, port_text;
  if (!SplitHostPort(*address, &host, &port_text)) {
    r.Fail("address", kAddressForm);
    return;
  }
  std::optional<int> port = ParsePort(port_text);
  if (!port) {
    r.Fail("address", "port must be a whole number between 1 and 65535");
    return;
  }
  out->host = host;
  out->port = *port;
}

void ReadHost(ParamReader& r, RedisStreamsParams* out) {
  if (!r.Has("host")) {
    if (r.Has("port")) r.Fail("port", "needs \"host\" too");
    else r.FailEntry("one of \"address\" (host:port) or \"host\" is required");
    r.Ignore({"port"});
    return;
  }
  std::optional<std::string> host = r.RequiredString("host");
  std::optional<int64_t> port = r.Int("port", 1, 65535);
  if (!host) return;
  if (host->size() > 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  out->host = *host;
  if (port) out->port = static_cast<int>(*port);
}

}  // namespace

std::string FormatHostPort(const std::string& host, int port) {
  if (host.find(':') != std::string::npos) return fmt::format("[{}]:{}", host, port);
  return fmt::format("{}:{}", host, port);
}

void ReadRedisQuery(ParamReader& r, RedisStreamsParams* out) {
  if (r.Has("address")) ReadAddress(r, out);
  else ReadHost(r, out);
  if (std::optional<std::string> stream = r.RequiredString("stream")) out->stream = *stream;
  if (std::optional<std::string> group = r.String("consumerGroup")) out->consumer_group = *group;
  if (std::optional<int64_t> db = r.Int("databaseIndex", 0, 1000)) {
    out->database = static_cast<int>(*db);
  }
}

void ReadTiming(ParamReader& r, const Defaults& defaults, SourceSpec* spec) {
  Duration interval = defaults.sample_interval;
  if (std::optional<Duration> v = r.DurationValue("sampleInterval")) {
    if (*v <= Duration::zero()) r.Fail("sampleInterval", "must be greater than 0");
    else interval = *v;
  }
  spec->sample_interval = interval;

  spec->stale_after = defaults.stale_after && *defaults.stale_after >= interval
                          ? *defaults.stale_after
                          : 3 * interval;
  if (std::optional<Duration> v = r.DurationValue("staleAfter")) {
    if (*v < interval) {
      r.Fail("staleAfter",
             fmt::format("must be at least sampleInterval ({})", FormatDuration(interval)));
    } else {
      spec->stale_after = *v;
    }
  }

  spec->timeout = std::min(defaults.timeout, interval);
  if (std::optional<Duration> v = r.DurationValue("timeout")) {
    if (*v <= Duration::zero()) {
      r.Fail("timeout", "must be greater than 0");
    } else if (*v > interval) {
      r.Fail("timeout",
             fmt::format("must not exceed sampleInterval ({})", FormatDuration(interval)));
    } else {
      spec->timeout = *v;
    }
  }
}

std::optional<Duration> ReadSeconds(ParamReader& r, std::string_view key) {
  std::optional<double> v = r.NonNegativeDouble(key);
  if (!v) return std::nullopt;
  if (*v > kMaxSeconds) {
    r.Fail(key, fmt::format("must be at most {} (one year)", kMaxSeconds));
    return std::nullopt;
  }
  return FromSeconds(*v);
}

}  // namespace poolscaler::config
