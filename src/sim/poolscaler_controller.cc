// The product itself: policy::Evaluate per pool on its sampling interval, then
// policy::ShareBudget per tier group — the same calls pools::PoolTable makes in the server.
#include <algorithm>
#include <cmath>

#include "controllers.h"
#include "poolscaler/policy/drain.h"

namespace poolscaler::sim {
namespace {

TimePoint At(int64_t t) { return TimePoint{} + std::chrono::seconds(t); }

std::string Joined(const policy::Decision& d) {
  std::string out;
  for (policy::Limit l : d.limits) {
    if (!out.empty()) out += '|';
    out += policy::LimitName(l);
  }
  return out;
}

class PoolscalerController final : public Controller {
 public:
  PoolscalerController(const std::vector<SimPool>& pools,
                       const std::vector<policy::TierGroup>& groups)
      : pools_(pools), groups_(groups), history_(pools.size()), drain_(pools.size()) {}

  void Step(int64_t t, const std::vector<Observation>& obs, std::vector<Verdict>& out) override {
    std::vector<std::optional<policy::Evaluation>> fresh(pools_.size());
    for (size_t i = 0; i < pools_.size(); ++i) {
      const SimPool& p = pools_[i];
      int64_t every = std::max<int64_t>(
          1, static_cast<int64_t>(std::llround(ToSeconds(p.sample_interval))));
      if (t % every != 0) continue;
      policy::SignalInput s{p.name + "/lag", obs[i].backlog, p.lag_threshold,
                            p.activation_threshold};
      if (p.params.drain.enabled()) {
        // As pools::PoolTable does with a source's arrived_total / completed_total.
        policy::DrainReading reading{obs[i].backlog, obs[i].arrived_total,
                                     obs[i].completed_total, At(t)};
        policy::DrainOutcome drain = policy::DrainStep(p.params.drain, drain_[i], reading,
                                                       history_[i].behavior.current, At(t));
        s.replicas = drain.replicas;
        s.arriving = drain.arriving;
        if (s.replicas) s.name = p.name + "/drain-time";
      }
      fresh[i] = policy::Evaluate(p.params, {s}, history_[i], At(t));
    }
    for (const policy::TierGroup& g : groups_) {
      std::vector<size_t> members;
      std::vector<policy::BudgetDemand> demands;
      for (size_t i = 0; i < pools_.size(); ++i) {
        const policy::PoolParams& pp = pools_[i].params;
        if (pp.tier_group != g.name) continue;
        policy::BudgetDemand d;
        d.priority = pp.priority;
        d.cost = pp.cost;
        if (fresh[i]) {
          const policy::Decision& dec = fresh[i]->decision;
          d.min_replicas = dec.active ? std::max<int64_t>(pp.min_replicas, 1) : pp.min_replicas;
          d.min_replicas = std::min(d.min_replicas, dec.desired);
          d.desired = dec.desired;
        } else {
          d.min_replicas = d.desired = out[i].desired;
        }
        members.push_back(i);
        demands.push_back(d);
      }
      std::vector<policy::BudgetGrant> grants = policy::ShareBudget(g.budget, demands);
      for (size_t k = 0; k < members.size(); ++k) {
        size_t i = members[k];
        if (fresh[i] && grants[k].limit) {
          policy::OverrideDesired(pools_[i].params, *fresh[i], grants[k].replicas,
                                  *grants[k].limit, At(t));
        }
      }
    }
    for (size_t i = 0; i < pools_.size(); ++i) {
      if (!fresh[i]) continue;
      history_[i] = std::move(fresh[i]->history);
      const policy::Decision& d = fresh[i]->decision;
      out[i] = {d.desired, d.active, d.winning_signal, Joined(d)};
    }
  }

 private:
  const std::vector<SimPool> pools_;
  const std::vector<policy::TierGroup> groups_;
  std::vector<policy::PoolHistory> history_;
  std::vector<policy::DrainState> drain_;
};

}  // namespace

std::unique_ptr<Controller> MakePoolscaler(const std::vector<SimPool>& pools,
                                           const std::vector<policy::TierGroup>& groups) {
  return std::make_unique<PoolscalerController>(pools, groups);
}

}  // namespace poolscaler::sim
