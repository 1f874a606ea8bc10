#include "poolscaler/telemetry/pools_json.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace poolscaler::telemetry {

std::string PoolsJson(const std::vector<pools::PoolState>& pools, TimePoint now) {
  std::vector<const pools::PoolState*> sorted;
  for (const auto& p : pools) sorted.push_back(&p);
  std::sort(sorted.begin(), sorted.end(),
            [](auto* a, auto* b) { return a->definition.name < b->definition.name; });
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const pools::PoolState* p : sorted) {
    const pools::PoolDefinition& def = p->definition;
    nlohmann::ordered_json j;
    j["name"] = def.name;
    j["mode"] = def.raw ? "raw" : "pool";
    j["metricName"] = def.metric_name;
    j["minReplicas"] = def.params.min_replicas;
    j["maxReplicas"] = def.params.max_replicas;
    if (!def.params.tier_group.empty()) {
      const policy::ReplicaCost& c = def.params.cost;
      j["tierGroup"] = def.params.tier_group;
      j["priority"] = def.params.priority;
      j["costPerReplica"] = {
          {"cpu", c.cpu_cores}, {"memoryBytes", c.memory_bytes}, {"gpu", c.gpus}};
    }
    j["available"] = p->status.ok();
    if (!p->status.ok()) j["error"] = std::string(p->status.message());
    // Signals without a fresh value (their errors are in `signals`): with some known, the
    // decision may rise but not fall ("signal-missing" in limitedBy when that held it).
    j["signalsMissing"] = p->SignalsMissing();
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
      // Each limit with the target before and after it, in the order applied.
      nlohmann::ordered_json steps = nlohmann::ordered_json::array();
      for (const policy::LimitStep& step : d.steps) {
        nlohmann::ordered_json sj;
        sj["limit"] = policy::LimitName(step.limit);
        sj["from"] = step.before;
        sj["to"] = step.after;
        steps.push_back(sj);
      }
      j["limits"] = steps;
      j["decidedSecondsAgo"] = ToSeconds(now - p->decided_at);
      // Time to zero, poolscaler's part: IsActive turns false this long after the work stops
      // (cooldownSeconds); KEDA then waits the ScaledObject's cooldownPeriod, plus up to one
      // pollingInterval, before it takes the workload to 0.
      j["cooldownSeconds"] = ToSeconds(def.params.cooldown);
      j["inactiveAfterSeconds"] =
          std::max(0.0, ToSeconds(p->inactive_after) - ToSeconds(now - p->decided_at));
    }
    // What "current replicas" (tolerance, rate policies, stabilization) stood on, and whether the
    // windows were seeded from the workload after start-up.
    const pools::CurrentReplicas& c = p->current;
    nlohmann::ordered_json cj;
    cj["replicas"] = c.replicas ? nlohmann::ordered_json(*c.replicas) : nullptr;
    cj["from"] = c.from;
    cj["windowSeed"] = c.seed.empty() ? "waiting" : c.seed;
    if (!def.scale_target.empty()) {
      nlohmann::ordered_json wj;
      wj["target"] = def.scale_target;
      wj["specReplicas"] = c.spec_replicas ? nlohmann::ordered_json(*c.spec_replicas) : nullptr;
      wj["statusReplicas"] =
          c.status_replicas ? nlohmann::ordered_json(*c.status_replicas) : nullptr;
      wj["readSecondsAgo"] =
          c.read_at ? nlohmann::ordered_json(ToSeconds(now - *c.read_at)) : nullptr;
      if (!c.status.ok()) wj["error"] = std::string(c.status.message());
      wj["lastObservation"] = c.last_observation;
      wj["changesAdopted"] = c.adopted_total;
      cj["workload"] = wj;
    }
    j["currentReplicas"] = cj;
    nlohmann::ordered_json signals = nlohmann::ordered_json::array();
    for (const pools::SignalState& s : p->signals) {
      nlohmann::ordered_json sj;
      sj["name"] = s.name;
      if (s.status.ok()) {
        sj["value"] = s.value;
        sj["replicas"] = s.replicas;
        if (s.drain) {
          // Drain-time mode: the estimates behind `replicas` (null while unknown; then
          // `replicas` is the lag rule's).
          nlohmann::ordered_json dj;
          auto opt = [](const auto& v) { return v ? nlohmann::ordered_json(*v) : nullptr; };
          dj["rule"] = s.drain_replicas ? "drain-time" : "lag (rates not known yet)";
          dj["arrivalsPerSecond"] = opt(s.arrival_per_second);
          dj["completionsPerSecond"] = opt(s.completion_per_second);
          dj["perReplicaRate"] = opt(s.per_replica_rate);
          sj["drain"] = dj;
        }
      } else {
        sj["error"] = std::string(s.status.message());
      }
      signals.push_back(sj);
    }
    j["signals"] = signals;
    nlohmann::ordered_json totals = nlohmann::ordered_json::object();
    for (policy::Limit l : policy::kAllLimits) {
      uint64_t n = p->limited_total[static_cast<size_t>(l)];
      if (n > 0) totals[policy::LimitName(l)] = n;
    }
    j["limitedEvaluations"] = totals;
    out.push_back(j);
  }
  return out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace poolscaler::telemetry
