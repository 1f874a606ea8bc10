#pragma once
// `poolscaler probe`: asks a running poolscaler what KEDA would be told for a trigger.
#include <map>
#include <string>

namespace poolscaler::cli {

struct ProbeOptions {
  std::string address = "127.0.0.1:9090";
  std::map<std::string, std::string> metadata;
  int timeout_ms = 2000;
  bool json = false;
};

// Calls GetMetricSpec, GetMetrics and IsActive in KEDA's order and prints one line (or one JSON
// object). Returns 0 when every call succeeded, 1 otherwise.
int Probe(const ProbeOptions& options);

}  // namespace poolscaler::cli
