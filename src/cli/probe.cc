#include "probe.h"

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "poolscaler/local/scaler_client.h"

namespace poolscaler::cli {

int Probe(const ProbeOptions& o) {
  local::ScalerClient client(o.address);
  local::ScaledObjectKey key{"probe", "default", o.metadata};
  local::PollResult p = client.Poll(key, std::chrono::milliseconds(o.timeout_ms));
  if (!p.status.ok()) {
    int code = static_cast<int>(p.status.code());
    std::string error(p.status.message());
    if (o.json) {
      nlohmann::json j = {{"ok", false}, {"rpc", p.failed_rpc}, {"code", code}, {"error", error}};
      std::printf("%s\n", j.dump().c_str());
    } else {
      std::printf("%s failed (code %d): %s\n", p.failed_rpc.c_str(), code, error.c_str());
    }
    return 1;
  }
  // What the HPA does with it (AverageValue), and KEDA's 0 when inactive.
  long long hpa =
      p.active && p.target > 0 ? static_cast<long long>(std::ceil(p.value / p.target)) : 0;
  if (o.json) {
    nlohmann::json j = {{"ok", true},        {"metricName", p.metric_name},
                        {"target", p.target}, {"value", p.value},
                        {"active", p.active}, {"hpaReplicas", hpa}};
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("metric=%s target=%g value=%g active=%s hpa_replicas=%lld\n", p.metric_name.c_str(),
                p.target, p.value, p.active ? "true" : "false", hpa);
  }
  return 0;
}

}  // namespace poolscaler::cli
