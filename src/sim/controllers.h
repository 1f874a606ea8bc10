#pragma once
// Internal to the sim module: the autoscalers the simulator can run. Each sees, once per
// simulated second, every pool's lag and pod counts, and returns a replica target per pool.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "poolscaler/sim/simulator.h"

namespace poolscaler::sim {

struct Observation {
  double backlog = 0;   // unfinished jobs (what a lag signal reads)
  int64_t ready = 0;    // ready pods
  int64_t target = 0;   // current replica target
  double arrived_total = 0;    // cumulative arrivals (a monotonic counter, like entries-added)
  double completed_total = 0;  // cumulative completed work (like entries-read − pending)
};

struct Verdict {
  int64_t desired = 0;
  bool active = false;
  std::string signal;
  std::string limited_by;
};

class Controller {
 public:
  virtual ~Controller() = default;
  // Called for t = 0, 1, 2, ...; `obs` and `out` are indexed like the pools given at creation.
  // `out` holds the previous verdicts on entry; a controller that does not act this second
  // leaves them as they are.
  virtual void Step(int64_t t, const std::vector<Observation>& obs, std::vector<Verdict>& out) = 0;
};

std::unique_ptr<Controller> MakePoolscaler(const std::vector<SimPool>& pools,
                                           const std::vector<policy::TierGroup>& groups);
std::unique_ptr<Controller> MakeKedaDefault(const std::vector<SimPool>& pools);
std::unique_ptr<Controller> MakeKpa(const std::vector<SimPool>& pools);

}  // namespace poolscaler::sim
