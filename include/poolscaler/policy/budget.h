#pragma once
// Tier groups: pools that share budgets on cpu, memory and gpu. A pure step after every pool of
// the group has been evaluated on its own: it cuts desired replicas so the group fits its
// budget. Values only; nothing here is shared between threads.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "poolscaler/policy/policy.h"

namespace poolscaler::policy {

// Totals a tier group may use; an unset resource is not limited.
struct Budget {
  std::optional<double> cpu_cores;
  std::optional<double> memory_bytes;
  std::optional<double> gpus;
};

struct TierGroup {
  std::string name;
  Budget budget;
};

struct BudgetDemand {
  int64_t priority = 0;      // higher is served first
  ReplicaCost cost;          // per replica
  int64_t min_replicas = 0;  // always granted, budget or not
  int64_t desired = 0;       // what the pool's own policy decided (>= min_replicas)
};

struct BudgetGrant {
  int64_t replicas = 0;
  std::optional<Limit> limit;  // kBudgetCpu / kBudgetMemory / kBudgetGpu when cut
};

// Shares `budget` among `demands` (same order in the result):
//  1. every pool gets min_replicas (even when the minimums alone exceed the budget; the config
//     check rejects such a group);
//  2. priorities from highest down: a level whose extra demand (desired - min) fits is granted
//     in full; otherwise its pools get replicas one at a time, always to the pool with the
//     smallest granted/extra fraction (so shares follow demand), while the next replica fits.
//     A pool is only limited by resources it costs; lower levels get what is left.
// A cut pool's grant names the resource its next replica did not fit in.
std::vector<BudgetGrant> ShareBudget(const Budget& budget,
                                     const std::vector<BudgetDemand>& demands);

// Total cost of `replicas` of each pool; for checks and metrics.
ReplicaCost TotalCost(const std::vector<BudgetDemand>& demands,
                      const std::vector<int64_t>& replicas);

}  // namespace poolscaler::policy
