#pragma once
// The /pools document: every pool's last decision and why, for people and dashboards.
#include <string>
#include <vector>

#include "poolscaler/common/time.h"
#include "poolscaler/pools/pool_table.h"

namespace poolscaler::telemetry {

// A JSON array, one object per pool, sorted by name. `now` gives the evaluation ages.
std::string PoolsJson(const std::vector<pools::PoolState>& pools, TimePoint now);

}  // namespace poolscaler::telemetry
