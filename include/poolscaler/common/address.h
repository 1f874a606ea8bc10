#pragma once
// Listen/connect addresses written "host:port": ":9091" (all interfaces), "127.0.0.1:0" (any
// free port), "[::1]:9090".
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace poolscaler {

struct HostPort {
  std::string host;  // without brackets; "" means all interfaces (listen) 
  int port = 0;
  // "host:port" again, with brackets around IPv6 hosts and "0.0.0.0" for "".
  std::string ToString() const;
};

// Parses "host:port"; port 0..65535 when `allow_zero`, else 1..65535. Errors name `field`.
absl::StatusOr<HostPort> ParseHostPort(std::string_view field, std::string_view text,
                                       bool allow_zero);

}  // namespace poolscaler
