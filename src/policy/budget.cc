#include "poolscaler/policy/budget.h"

#include <algorithm>
#include <array>
#include <map>
#include <queue>

namespace poolscaler::policy {
namespace {

constexpr std::array<Limit, 3> kResourceLimit = {Limit::kBudgetCpu, Limit::kBudgetMemory,
                                                 Limit::kBudgetGpu};

std::array<double, 3> Costs(const ReplicaCost& c) {
  return {c.cpu_cores, c.memory_bytes, c.gpus};
}

// Relative slack so that sums of fractional costs (0.1 × 3) do not miss an exact fit.
bool Fits(double need, double left) { return need <= left + 1e-9 * std::max(1.0, left); }

}  // namespace

ReplicaCost TotalCost(const std::vector<BudgetDemand>& demands,
                      const std::vector<int64_t>& replicas) {
  ReplicaCost total;
  for (size_t i = 0; i < demands.size() && i < replicas.size(); ++i) {
    double n = static_cast<double>(replicas[i]);
    total.cpu_cores += n * demands[i].cost.cpu_cores;
    total.memory_bytes += n * demands[i].cost.memory_bytes;
    total.gpus += n * demands[i].cost.gpus;
  }
  return total;
}

std::vector<BudgetGrant> ShareBudget(const Budget& budget,
                                     const std::vector<BudgetDemand>& demands) {
  std::array<std::optional<double>, 3> left = {budget.cpu_cores, budget.memory_bytes, budget.gpus};
  std::vector<BudgetGrant> grants(demands.size());
  // 1. Minimums first.
  for (size_t i = 0; i < demands.size(); ++i) {
    grants[i].replicas = std::max<int64_t>(demands[i].min_replicas, 0);
    std::array<double, 3> c = Costs(demands[i].cost);
    for (size_t r = 0; r < 3; ++r) {
      if (left[r]) *left[r] -= static_cast<double>(grants[i].replicas) * c[r];
    }
  }
  // 2. Priority levels, highest first.
  std::map<int64_t, std::vector<size_t>, std::greater<>> levels;
  for (size_t i = 0; i < demands.size(); ++i) levels[demands[i].priority].push_back(i);
  for (const auto& [priority, members] : levels) {
    (void)priority;
    // Does the whole level fit?
    std::array<double, 3> need{};
    for (size_t i : members) {
      int64_t extra = std::max<int64_t>(demands[i].desired - grants[i].replicas, 0);
      std::array<double, 3> c = Costs(demands[i].cost);
      for (size_t r = 0; r < 3; ++r) need[r] += static_cast<double>(extra) * c[r];
    }
    bool fits = true;
    for (size_t r = 0; r < 3; ++r) {
      if (left[r] && need[r] > 0 && !Fits(need[r], *left[r])) fits = false;
    }
    if (fits) {
      for (size_t i : members) {
        int64_t extra = std::max<int64_t>(demands[i].desired - grants[i].replicas, 0);
        grants[i].replicas += extra;
        std::array<double, 3> c = Costs(demands[i].cost);
        for (size_t r = 0; r < 3; ++r) {
          if (left[r]) *left[r] -= static_cast<double>(extra) * c[r];
        }
      }
      continue;
    }
    // Proportional to demand: one replica at a time to the least-served pool (by fraction of
    // its extra demand; ties to the earlier pool). A pool whose next replica does not fit drops
    // out for good, since budgets only shrink.
    struct Item {
      double fraction;
      size_t index;
      bool operator>(const Item& o) const {
        return fraction != o.fraction ? fraction > o.fraction : index > o.index;
      }
    };
    std::priority_queue<Item, std::vector<Item>, std::greater<>> queue;
    std::map<size_t, int64_t> extra_of, granted;
    for (size_t i : members) {
      int64_t extra = demands[i].desired - grants[i].replicas;
      std::array<double, 3> c = Costs(demands[i].cost);
      bool costs_something = false;
      for (size_t r = 0; r < 3; ++r) costs_something |= left[r] && c[r] > 0;
      if (!costs_something && extra > 0) {  // no budgeted resource: nothing to share
        grants[i].replicas += extra;
        continue;
      }
      if (extra > 0) {
        extra_of[i] = extra;
        granted[i] = 0;
        queue.push({0, i});
      }
    }
    while (!queue.empty()) {
      size_t i = queue.top().index;
      queue.pop();
      std::array<double, 3> c = Costs(demands[i].cost);
      std::optional<size_t> short_of;
      for (size_t r = 0; r < 3; ++r) {
        if (left[r] && c[r] > 0 && !Fits(c[r], *left[r])) {
          short_of = r;
          break;
        }
      }
      if (short_of) {
        grants[i].limit = kResourceLimit[*short_of];
        continue;
      }
      for (size_t r = 0; r < 3; ++r) {
        if (left[r]) *left[r] -= c[r];
      }
      ++grants[i].replicas;
      if (++granted[i] < extra_of[i]) {
        queue.push({static_cast<double>(granted[i]) / static_cast<double>(extra_of[i]), i});
      }
    }
  }
  return grants;
}

}  // namespace poolscaler::policy
