#include "poolscaler/pools/pool_table.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <set>

#include "poolscaler/common/log.h"

namespace poolscaler::pools {
namespace {

// Whether two definitions read the same signals the same way (drain estimates carry over).
bool SameSignals(const PoolDefinition& a, const PoolDefinition& b) {
  if (a.signals.size() != b.signals.size()) return false;
  for (size_t i = 0; i < a.signals.size(); ++i) {
    const SignalBinding& x = a.signals[i];
    const SignalBinding& y = b.signals[i];
    if (x.source_key != y.source_key || x.measure != y.measure ||
        x.arrived_measure != y.arrived_measure || x.completed_measure != y.completed_measure) {
      return false;
    }
  }
  return a.params.drain.target_drain == b.params.drain.target_drain &&
         a.params.drain.per_replica_rate == b.params.drain.per_replica_rate &&
         a.params.drain.learn_per_replica_rate == b.params.drain.learn_per_replica_rate;
}

}  // namespace

PoolTable::~PoolTable() { std::lock_guard lock(mu_); }

void PoolTable::CollectNotifications(const std::string& id, const PoolState& state,
                                     std::vector<std::pair<Watcher, PoolState>>* out) const {
  for (const auto& [handle, w] : watchers_) {
    if (w.id == id) out->emplace_back(w.fn, state);
  }
}

void PoolTable::SetConfigPools(std::vector<PoolDefinition> defs,
                               std::vector<policy::TierGroup> tier_groups) {
  std::vector<std::pair<Watcher, PoolState>> notify;
  {
    std::lock_guard lock(mu_);
    tier_groups_ = std::move(tier_groups);
    std::set<std::string> ids;
    for (PoolDefinition& def : defs) {
      ids.insert(def.id);
      Entry& e = pools_[def.id];
      bool spec_changed = e.state.definition.metric_name != def.metric_name;
      if (!SameSignals(e.state.definition, def)) e.drain.clear();
      e.state.definition = std::move(def);
      e.raw_last_used.reset();
      // The metric spec changed: StreamMetricSpec watchers must hear about it.
      if (spec_changed) CollectNotifications(e.state.definition.id, e.state, &notify);
    }
    for (auto it = pools_.begin(); it != pools_.end();) {
      if (!it->second.state.definition.raw && !ids.count(it->first)) {
        PoolState gone = it->second.state;
        gone.status =
            absl::NotFoundError(fmt::format("pool \"{}\" was removed from the config", it->first));
        gone.final = true;
        CollectNotifications(it->first, gone, &notify);
        it = pools_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& [fn, state] : notify) fn(state);
}

void PoolTable::EnsureRawPool(const PoolDefinition& def, TimePoint now) {
  std::lock_guard lock(mu_);
  auto [it, inserted] = pools_.try_emplace(def.id);
  if (inserted) {
    it->second.state.definition = def;
    for (const auto& [id, e] : pools_) {
      if (id != def.id && e.state.definition.name == def.name) {
        // Two raw triggers with the same metric name (e.g. other thresholds): keep the
        // metric label unique.
        it->second.state.definition.name =
            fmt::format("{}~{:04x}", def.name, std::hash<std::string>{}(def.id) & 0xffff);
        break;
      }
    }
  }
  it->second.raw_last_used = now;
}

size_t PoolState::SignalsMissing() const {
  return static_cast<size_t>(std::count_if(signals.begin(), signals.end(),
                                           [](const SignalState& s) { return !s.status.ok(); }));
}

void PoolTable::TouchRaw(const std::string& id, TimePoint now) {
  std::lock_guard lock(mu_);
  auto it = pools_.find(id);
  if (it != pools_.end() && it->second.raw_last_used) it->second.raw_last_used = now;
}

std::vector<std::string> PoolTable::RetireIdleRaw(TimePoint now, Duration idle) {
  std::lock_guard lock(mu_);
  std::set<std::string> watched;
  for (const auto& [handle, w] : watchers_) watched.insert(w.id);
  std::vector<std::string> retired;
  for (auto it = pools_.begin(); it != pools_.end();) {
    const Entry& e = it->second;
    if (e.state.definition.raw && e.raw_last_used && now - *e.raw_last_used > idle &&
        !watched.count(it->first)) {
      retired.push_back(e.state.definition.name);
      it = pools_.erase(it);
    } else {
      ++it;
    }
  }
  return retired;
}

void PoolTable::EvaluateAll(const sampler::SampleStore& store, TimePoint now) {
  std::vector<std::pair<Watcher, PoolState>> notify;
  {
    std::lock_guard lock(mu_);
    // 1. Every pool on its own.
    std::map<std::string, policy::Evaluation> fresh;
    for (auto& [id, e] : pools_) {
      PoolState& st = e.state;
      const PoolDefinition& def = st.definition;
      st.evaluated_at = now;
      st.signals.clear();
      std::vector<policy::SignalInput> inputs;
      absl::Status missing = absl::OkStatus();
      e.drain.resize(def.signals.size());
      if (!ObserveWorkload(store, e, now)) continue;  // waiting for the workload's first read
      st.warm = st.warm || std::all_of(def.signals.begin(), def.signals.end(),
                                       [&](const SignalBinding& b) {
                                         return store.Attempted(b.source_key);
                                       });
      const std::optional<int64_t> current = e.history.behavior.current;
      for (size_t i = 0; i < def.signals.size(); ++i) {
        const SignalBinding& b = def.signals[i];
        absl::StatusOr<double> v = store.Value(b.source_key, b.measure, now);
        absl::StatusOr<double> pods = 0.0;
        if (v.ok() && b.kind == policy::SignalKind::kUtilization) {
          pods = store.Value(b.source_key, b.pods_measure, now);
          if (!pods.ok()) v = pods.status();
        }
        SignalState s;
        s.name = b.name;
        s.status = v.status();
        s.value = v.ok() ? *v : 0;
        if (v.ok()) {
          policy::SignalInput in{b.name, *v,   b.lag_threshold, b.activation_threshold,
                                 b.kind, *pods};
          if (b.drain() && def.params.drain.enabled()) {
            ApplyDrain(store, b, def.params.drain, e.drain[i], current, now, in, s);
          }
          s.replicas = in.replicas ? *in.replicas : policy::SignalReplicas(in);
          inputs.push_back(std::move(in));
        } else if (missing.ok()) {
          missing = absl::UnavailableError(
              fmt::format("signal {}: {}", b.name, std::string(v.status().message())));
        }
        st.signals.push_back(std::move(s));
      }
      const size_t missing_count = def.signals.size() - inputs.size();
      if (!missing.ok() && inputs.empty()) {
        // Unknown is not zero: no decision, history kept as it was; KEDA's fallback applies.
        st.status = missing;
        continue;
      }
      // Some signals known: they may raise the target, the unknown ones block a scale-down
      // (policy::Evaluate, the HPA's rule for invalid metrics).
      fresh.emplace(id, policy::Evaluate(def.params, inputs, e.history, now, missing_count));
    }
    // 2. Tier budgets across the pools of each group.
    ApplyTierBudgets(fresh, now);
    // 3. Publish.
    for (auto& [id, ev] : fresh) {
      Entry& e = pools_.at(id);
      PoolState& st = e.state;
      bool was_active = st.has_decision && st.decision.active && st.status.ok();
      bool was_ok = st.status.ok();
      e.history = std::move(ev.history);
      st.inactive_after = policy::TimeToInactive(st.definition.params, e.history, now);
      st.decision = std::move(ev.decision);
      st.has_decision = true;
      st.status = absl::OkStatus();
      st.decided_at = now;
      for (policy::Limit l : st.decision.limits) ++st.limited_total[static_cast<size_t>(l)];
      if (!was_ok || st.decision.active != was_active) CollectNotifications(id, st, &notify);
    }
  }
  for (auto& [fn, state] : notify) fn(state);
}

bool PoolTable::ObserveWorkload(const sampler::SampleStore& store, Entry& e, TimePoint now) {
  PoolState& st = e.state;
  const PoolDefinition& def = st.definition;
  CurrentReplicas& c = st.current;
  bool read = false;
  if (!def.scale_source_key.empty()) {
    absl::StatusOr<sampler::MeasuredAt> m = store.Values(
        def.scale_source_key, {config::kMeasureSpecReplicas, config::kMeasureStatusReplicas}, now);
    if (m.ok() && m->values[0]) {
      read = true;
      c.status = absl::OkStatus();
      c.spec_replicas = static_cast<int64_t>(*m->values[0]);
      c.status_replicas =
          m->values[1] ? std::optional<int64_t>(static_cast<int64_t>(*m->values[1])) : std::nullopt;
      c.read_at = m->at;
      policy::Observation o =
          policy::ObserveReplicas(def.params, e.history, *c.spec_replicas, now, def.scale_settle);
      c.last_observation = policy::ObservationName(o);
      if (o == policy::Observation::kAdopted) ++c.adopted_total;
      if (c.seed.empty()) c.seed = o == policy::Observation::kSeeded ? "kubernetes" : "none";
    } else {
      c.status = m.ok() ? absl::UnavailableError("the reading has no spec.replicas") : m.status();
      if (c.seed.empty()) {
        if (!st.has_decision && !store.Attempted(def.scale_source_key)) {
          // A start-up or a new pool: decide nothing until the workload has been read once.
          st.status = absl::UnavailableError(
              fmt::format("waiting for the first read of {}", def.scale_target));
          return false;
        }
        c.seed = "none";
        log::Warn(
            "pool starts without its workload's replica count: its stabilization "
            "window begins empty, so it may scale down at once",
            {{"pool", def.name},
             {"workload", def.scale_target},
             {"error", std::string(c.status.message())}});
      }
    }
  } else if (c.seed.empty()) {
    c.seed = "none";
    if (!def.raw && def.params.behavior.scale_down.stabilization_window > Duration::zero()) {
      log::Warn(
          "pool starts with an empty stabilization window (no scaleTargetRef, nothing restored "
          "from history): it may scale down at once",
          {{"pool", def.name}});
    }
  }
  const std::optional<int64_t>& current = e.history.behavior.current;
  c.replicas = current;
  c.from = !current ? "none" : read ? "kubernetes" : "decision";
  return true;
}

void PoolTable::ApplyDrain(const sampler::SampleStore& store, const SignalBinding& b,
                           const policy::DrainParams& params, policy::DrainState& state,
                           std::optional<int64_t> current, TimePoint now, policy::SignalInput& in,
                           SignalState& s) {
  s.drain = true;
  absl::StatusOr<sampler::MeasuredAt> counters =
      store.Values(b.source_key, {b.arrived_measure, b.completed_measure}, now);
  if (!counters.ok()) return;  // the backlog was fresh a moment ago; try again next time
  policy::DrainReading reading{in.value, counters->values[0], counters->values[1], counters->at};
  policy::DrainOutcome out = policy::DrainStep(params, state, reading, current, now);
  s.arrival_per_second = out.arrival_per_second;
  s.completion_per_second = out.completion_per_second;
  s.per_replica_rate = out.per_replica_rate;
  s.drain_replicas = out.replicas;
  in.replicas = out.replicas;
  in.arriving = out.arriving;
}

void PoolTable::ApplyTierBudgets(std::map<std::string, policy::Evaluation>& fresh, TimePoint now) {
  for (const policy::TierGroup& group : tier_groups_) {
    std::vector<policy::BudgetDemand> demands;
    std::vector<policy::Evaluation*> evaluations;  // null: a pool without a fresh decision
    std::vector<const PoolDefinition*> defs;
    for (auto& [id, e] : pools_) {
      const PoolDefinition& def = e.state.definition;
      if (def.raw || def.params.tier_group != group.name) continue;
      auto it = fresh.find(id);
      policy::BudgetDemand d;
      d.priority = def.params.priority;
      d.cost = def.params.cost;
      if (it != fresh.end()) {
        const policy::Decision& dec = it->second.decision;
        // An active pool keeps at least one replica whatever the budget (KEDA holds it there).
        d.min_replicas =
            dec.active ? std::max<int64_t>(def.params.min_replicas, 1) : def.params.min_replicas;
        d.min_replicas = std::min(d.min_replicas, dec.desired);
        d.desired = dec.desired;
        evaluations.push_back(&it->second);
      } else {
        // No fresh decision (a signal is unknown): KEDA's fallback decides; the last target
        // still holds its share.
        int64_t last = e.state.has_decision ? e.state.decision.desired : def.params.min_replicas;
        d.min_replicas = last;
        d.desired = last;
        evaluations.push_back(nullptr);
      }
      demands.push_back(d);
      defs.push_back(&def);
    }
    std::vector<policy::BudgetGrant> grants = policy::ShareBudget(group.budget, demands);
    for (size_t i = 0; i < grants.size(); ++i) {
      if (evaluations[i] == nullptr || !grants[i].limit) continue;
      policy::OverrideDesired(defs[i]->params, *evaluations[i], grants[i].replicas,
                              *grants[i].limit, now);
    }
  }
}

std::vector<policy::TierGroup> PoolTable::TierGroups() const {
  std::lock_guard lock(mu_);
  return tier_groups_;
}

std::vector<std::string> PoolTable::RestoreTargets(
    const std::map<std::string, std::vector<std::pair<TimePoint, int64_t>>>& by_pool,
    TimePoint now) {
  std::lock_guard lock(mu_);
  std::vector<std::string> restored;
  for (auto& [id, e] : pools_) {
    PoolState& st = e.state;
    if (st.definition.raw || st.has_decision) continue;
    auto it = by_pool.find(st.definition.name);
    if (it == by_pool.end()) continue;
    if (policy::RestoreTargets(st.definition.params, e.history, it->second, now)) {
      st.current.seed = "prometheus";
      restored.push_back(st.definition.name);
    }
  }
  return restored;
}

bool PoolTable::Warm() const {
  std::lock_guard lock(mu_);
  // Raw pools do not count: one appearing between two evaluations must not flip readiness.
  return std::all_of(pools_.begin(), pools_.end(), [](const auto& p) {
    return p.second.state.definition.raw || p.second.state.warm;
  });
}

std::optional<PoolState> PoolTable::Get(const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = pools_.find(id);
  if (it == pools_.end()) return std::nullopt;
  return it->second.state;
}

std::vector<PoolState> PoolTable::Snapshot() const {
  std::lock_guard lock(mu_);
  std::vector<PoolState> out;
  out.reserve(pools_.size());
  for (const auto& [id, e] : pools_) out.push_back(e.state);
  return out;
}

std::vector<std::string> PoolTable::RawSourceKeys() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> keys;
  for (const auto& [id, e] : pools_) {
    if (!e.state.definition.raw) continue;
    for (const SignalBinding& b : e.state.definition.signals) keys.push_back(b.source_key);
  }
  return keys;
}

void PoolTable::CloseWatchers(const absl::Status& status) {
  std::vector<std::pair<Watcher, PoolState>> notify;
  {
    std::lock_guard lock(mu_);
    for (const auto& [handle, w] : watchers_) {
      PoolState last;
      auto it = pools_.find(w.id);
      if (it != pools_.end()) last = it->second.state;
      last.status = status;
      last.final = true;
      notify.emplace_back(w.fn, std::move(last));
    }
    watchers_.clear();
  }
  for (auto& [fn, state] : notify) fn(state);
}

uint64_t PoolTable::Watch(const std::string& id, Watcher watcher) {
  std::lock_guard lock(mu_);
  uint64_t handle = next_handle_++;
  watchers_[handle] = {id, std::move(watcher)};
  return handle;
}

void PoolTable::Unwatch(uint64_t handle) {
  std::lock_guard lock(mu_);
  watchers_.erase(handle);
}

}  // namespace poolscaler::pools
