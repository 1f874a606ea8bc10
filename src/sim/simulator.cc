#include "poolscaler/sim/simulator.h"

#include <algorithm>
#include <deque>
#include <map>

#include <fmt/format.h>

#include "controllers.h"

namespace poolscaler::sim {
namespace {

constexpr double kEpsilon = 1e-9;

// One pool's fluid FIFO backlog and pods.
struct PoolModel {
  std::deque<std::pair<int64_t, double>> backlog;  // (arrival second, jobs left)
  std::vector<int64_t> pods;                       // second each pod is ready, ascending
  double Backlog() const {
    double sum = 0;
    for (const auto& [t, n] : backlog) sum += n;
    return sum;
  }
  int64_t Ready(int64_t t) const {
    return std::count_if(pods.begin(), pods.end(), [t](int64_t r) { return r <= t; });
  }
  void ScaleTo(int64_t target, int64_t t, int64_t startup_s) {
    while (static_cast<int64_t>(pods.size()) < target) pods.push_back(t + startup_s);
    // Removes the latest-ready pods first (starting ones before ready ones).
    while (static_cast<int64_t>(pods.size()) > target) pods.pop_back();
  }
  // Works `capacity` jobs off the front; returns the work done.
  double Process(double capacity) {
    double done = 0;
    while (capacity > kEpsilon && !backlog.empty()) {
      double take = std::min(capacity, backlog.front().second);
      backlog.front().second -= take;
      capacity -= take;
      done += take;
      if (backlog.front().second <= kEpsilon) backlog.pop_front();
    }
    return done;
  }
};

bool OverBudget(const policy::Budget& b, const policy::ReplicaCost& used) {
  auto over = [](const std::optional<double>& limit, double v) {
    return limit && v > *limit * (1 + 1e-9) + 1e-9;
  };
  return over(b.cpu_cores, used.cpu_cores) || over(b.memory_bytes, used.memory_bytes) ||
         over(b.gpus, used.gpus);
}

}  // namespace

const char* PolicyName(PolicyKind k) {
  switch (k) {
    case PolicyKind::kPoolscaler: return "poolscaler";
    case PolicyKind::kKedaDefault: return "keda-default";
    case PolicyKind::kKpa: return "kpa";
  }
  return "unknown";
}

absl::StatusOr<SimResult> Simulate(const std::vector<SimPool>& pools,
                                   const std::vector<policy::TierGroup>& groups,
                                   const std::vector<TraceRow>& trace, PolicyKind policy,
                                   Duration tail) {
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < pools.size(); ++i) index[pools[i].name] = i;
  int64_t last_t = 0;
  std::map<int64_t, std::vector<std::pair<size_t, double>>> arrivals;  // t → (pool, jobs)
  for (const TraceRow& row : trace) {
    auto it = index.find(row.pool);
    if (it == index.end()) {
      return absl::InvalidArgumentError(fmt::format(
          "trace: pool \"{}\" (second {}) is not a pool of the config", row.pool, row.t));
    }
    arrivals[row.t].emplace_back(it->second, row.arrivals);
    last_t = std::max(last_t, row.t);
  }
  std::unique_ptr<Controller> controller;
  switch (policy) {
    case PolicyKind::kPoolscaler: controller = MakePoolscaler(pools, groups); break;
    case PolicyKind::kKedaDefault: controller = MakeKedaDefault(pools); break;
    case PolicyKind::kKpa: controller = MakeKpa(pools); break;
  }
  const int64_t end = last_t + static_cast<int64_t>(ToSeconds(tail));
  std::vector<PoolModel> models(pools.size());
  std::vector<Verdict> verdicts(pools.size());
  for (size_t i = 0; i < pools.size(); ++i) {
    verdicts[i].desired = pools[i].params.min_replicas;
    models[i].ScaleTo(pools[i].params.min_replicas, -1'000'000, 0);  // min pods start ready
  }
  SimResult result;
  std::vector<Summary> sums(pools.size());
  std::vector<std::optional<int64_t>> last_zero_one(pools.size());
  for (size_t i = 0; i < pools.size(); ++i) {
    sums[i].policy = policy;
    sums[i].pool = pools[i].name;
  }
  std::vector<double> arrived(pools.size());
  std::vector<double> total_arrived(pools.size());
  std::vector<double> total_completed(pools.size());
  std::vector<Observation> obs(pools.size());
  for (int64_t t = 0; t <= end; ++t) {
    std::fill(arrived.begin(), arrived.end(), 0);
    if (auto it = arrivals.find(t); it != arrivals.end()) {
      for (const auto& [i, n] : it->second) {
        arrived[i] += n;
        if (n > 0) models[i].backlog.emplace_back(t, n);
      }
    }
    for (size_t i = 0; i < pools.size(); ++i) {
      total_arrived[i] += arrived[i];
      obs[i] = {models[i].Backlog(), models[i].Ready(t), verdicts[i].desired, total_arrived[i],
                total_completed[i]};
    }
    std::vector<int64_t> before(pools.size());
    for (size_t i = 0; i < pools.size(); ++i) before[i] = verdicts[i].desired;
    controller->Step(t, obs, verdicts);
    for (size_t i = 0; i < pools.size(); ++i) {
      const SimPool& p = pools[i];
      PoolModel& m = models[i];
      int64_t target = verdicts[i].desired;
      if (target != before[i]) {
        ++sums[i].scale_changes;
        // A 0↔1 flap: back to zero less than cooldownSeconds after leaving it.
        if (before[i] == 0) last_zero_one[i] = t;
        if (target == 0 && last_zero_one[i] &&
            t - *last_zero_one[i] < static_cast<int64_t>(ToSeconds(p.params.cooldown))) {
          ++sums[i].zero_one_flaps;
        }
      }
      m.ScaleTo(target, t, static_cast<int64_t>(ToSeconds(p.startup)));
      total_completed[i] += m.Process(static_cast<double>(m.Ready(t)) * p.per_replica_rate);
      SecondRow row;
      row.t = t;
      row.pool = p.name;
      row.policy = policy;
      row.arrivals = arrived[i];
      row.backlog = m.Backlog();
      row.oldest_age_s = m.backlog.empty() ? 0 : static_cast<double>(t + 1 - m.backlog.front().first);
      row.replicas = static_cast<int64_t>(m.pods.size());
      row.desired = target;
      row.active = verdicts[i].active;
      row.signal = verdicts[i].signal;
      row.limited_by = verdicts[i].limited_by;
      sums[i].replica_seconds += static_cast<double>(row.replicas);
      if (row.oldest_age_s > ToSeconds(p.backlog_age_slo)) ++sums[i].seconds_over_slo;
      sums[i].max_replicas = std::max(sums[i].max_replicas, row.replicas);
      result.rows.push_back(std::move(row));
    }
    for (const policy::TierGroup& g : groups) {
      policy::ReplicaCost used;
      for (size_t i = 0; i < pools.size(); ++i) {
        if (pools[i].params.tier_group != g.name) continue;
        double n = static_cast<double>(verdicts[i].desired);
        used.cpu_cores += n * pools[i].params.cost.cpu_cores;
        used.memory_bytes += n * pools[i].params.cost.memory_bytes;
        used.gpus += n * pools[i].params.cost.gpus;
      }
      if (!OverBudget(g.budget, used)) continue;
      for (size_t i = 0; i < pools.size(); ++i) {
        if (pools[i].params.tier_group == g.name) ++sums[i].budget_violations;
      }
    }
  }
  result.summaries = std::move(sums);
  return result;
}

}  // namespace poolscaler::sim
