#include "poolscaler/pools/pool_table.h"

#include <fmt/format.h>

#include <functional>
#include <set>

namespace poolscaler::pools {

PoolTable::~PoolTable() { std::lock_guard lock(mu_); }

void PoolTable::CollectNotifications(const std::string& id, const PoolState& state,
                                     std::vector<std::pair<Watcher, PoolState>>* out) const {
  for (const auto& [handle, w] : watchers_) {
    if (w.id == id) out->emplace_back(w.fn, state);
  }
}

void PoolTable::SetConfigPools(std::vector<PoolDefinition> defs) {
  std::vector<std::pair<Watcher, PoolState>> notify;
  {
    std::lock_guard lock(mu_);
    std::set<std::string> ids;
    for (PoolDefinition& def : defs) {
      ids.insert(def.id);
      Entry& e = pools_[def.id];
      bool spec_changed = e.state.definition.metric_name != def.metric_name;
      e.state.definition = std::move(def);
      e.raw_last_used.reset();
      // The metric spec changed: StreamMetricSpec watchers must hear about it.
      if (spec_changed) CollectNotifications(e.state.definition.id, e.state, &notify);
    }
    for (auto it = pools_.begin(); it != pools_.end();) {
      if (!it->second.state.definition.raw && !ids.count(it->first)) {
        PoolState gone = it->second.state;
        gone.status = absl::NotFoundError(
            fmt::format("pool \"{}\" was removed from the config", it->first));
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
    for (auto& [id, e] : pools_) {
      PoolState& st = e.state;
      const PoolDefinition& def = st.definition;
      st.evaluated_at = now;
      st.signals.clear();
      std::vector<policy::SignalInput> inputs;
      absl::Status missing = absl::OkStatus();
      for (const SignalBinding& b : def.signals) {
        absl::StatusOr<double> v = store.Value(b.source_key, b.measure, now);
        SignalState s{b.name, v.status(), v.ok() ? *v : 0, 0};
        if (v.ok()) {
          s.replicas = policy::ReplicasForLag(*v, b.lag_threshold);
          inputs.push_back({b.name, *v, b.lag_threshold, b.activation_threshold});
        } else if (missing.ok()) {
          missing = absl::UnavailableError(
              fmt::format("signal {}: {}", b.name, std::string(v.status().message())));
        }
        st.signals.push_back(std::move(s));
      }
      bool was_active = st.has_decision && st.decision.active && st.status.ok();
      bool was_ok = st.status.ok();
      if (!missing.ok()) {
        // Unknown is not zero: no decision, history kept as it was.
        st.status = missing;
        continue;
      }
      policy::Evaluation ev = policy::Evaluate(def.params, inputs, e.history, now);
      e.history = std::move(ev.history);
      st.decision = std::move(ev.decision);
      st.has_decision = true;
      st.status = absl::OkStatus();
      st.decided_at = now;
      if (!was_ok || st.decision.active != was_active) CollectNotifications(id, st, &notify);
    }
  }
  for (auto& [fn, state] : notify) fn(state);
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
