#include "poolscaler/telemetry/pools_json.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace poolscaler::telemetry {

std::string PoolsJson(const std::vector<pools::PoolState>& pools, TimePoint now) {
  std::vector<const pools::PoolState*> sorted;
  for (const auto& p : pools) sorted.push_back(&p);
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) {
    return a->definition.name < b->definition.name;
  });
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const pools::PoolState* p : sorted) {
    const pools::PoolDefinition& def = p->definition;
    nlohmann::ordered_json j;
    j["name"] = def.name;
    j["mode"] = def.raw ? "raw" : "pool";
    j["metricName"] = def.metric_name;
    j["minReplicas"] = def.params.min_replicas;
    j["maxReplicas"] = def.params.max_replicas;
    j["available"] = p->status.ok();
    if (!p->status.ok()) j["error"] = std::string(p->status.message());
    if (p->has_decision) {
      const policy::Decision& d = p->decision;
      j["desiredReplicas"] = d.desired;
      j["rawDesiredReplicas"] = d.raw_desired;
      j["active"] = d.active;
      j["winningSignal"] = d.winning_signal;
      j["winningValue"] = d.winning_value;
      nlohmann::ordered_json limits = nlohmann::ordered_json::array();
      for (policy::Limit l : d.limits) limits.push_back(policy::LimitName(l));
      j["limitedBy"] = limits;
      j["decidedSecondsAgo"] = ToSeconds(now - p->decided_at);
    }
    nlohmann::ordered_json signals = nlohmann::ordered_json::array();
    for (const pools::SignalState& s : p->signals) {
      nlohmann::ordered_json sj;
      sj["name"] = s.name;
      if (s.status.ok()) {
        sj["value"] = s.value;
        sj["replicas"] = s.replicas;
      } else {
        sj["error"] = std::string(s.status.message());
      }
      signals.push_back(sj);
    }
    j["signals"] = signals;
    out.push_back(j);
  }
  return out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace poolscaler::telemetry
