#include "poolscaler/common/address.h"

#include <fmt/format.h>

#include "poolscaler/common/numbers.h"
#include "poolscaler/common/text.h"

namespace poolscaler {

std::string HostPort::ToString() const {
  std::string h = host.empty() ? "0.0.0.0" : host;
  if (h.find(':') != std::string::npos) return fmt::format("[{}]:{}", h, port);
  return fmt::format("{}:{}", h, port);
}

absl::StatusOr<HostPort> ParseHostPort(std::string_view field, std::string_view text,
                                       bool allow_zero) {
  auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(
        fmt::format("{}: {} (value {}); expected host:port", field, why, Quote(text)));
  };
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return bad("missing port");
  std::string_view host = text.substr(0, colon);
  std::string_view port_text = text.substr(colon + 1);
  if (!host.empty() && host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return bad("unbalanced brackets");
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return bad("IPv6 hosts must be written in brackets");
  }
  // A bracket inside the host ("[[a]]:80" gives "[a]") names no host and does not print back.
  if (host.find_first_of("[]") != std::string_view::npos) {
    return bad("brackets are only allowed around a whole IPv6 host");
  }
  absl::StatusOr<int64_t> port = ParseInt(field, port_text);
  if (!port.ok() || *port < (allow_zero ? 0 : 1) || *port > 65535) {
    return bad(allow_zero ? "port must be 0..65535" : "port must be 1..65535");
  }
  return HostPort{std::string(host), static_cast<int>(*port)};
}

}  // namespace poolscaler
