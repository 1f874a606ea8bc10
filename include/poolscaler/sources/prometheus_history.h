#pragma once
// The `history:` reader: at start-up, the targets poolscaler served before a restart, read back
// from the Prometheus that scraped it (poolscaler_pool_desired_replicas), so the pools'
// stabilization windows can be restored. Blocking (one HTTP request); call it before serving.
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "poolscaler/common/time.h"
#include "poolscaler/config/config.h"

namespace poolscaler::sources {

// Targets per pool name, oldest first, as (when, replicas) on the steady clock.
using RecentTargets = std::map<std::string, std::vector<std::pair<TimePoint, int64_t>>>;

// One range query, `max by (pool) (poolscaler_pool_desired_replicas)` from `window` ago until
// now at the spec's step (the highest answer of any replica that was scraped), within the
// spec's timeout. Sample times are moved from the wall clock to the steady clock at
// `steady_now`. Errors: those of the prometheus source (UNAVAILABLE when unreachable, ...), with
// "history: prometheus at URL" in front. Never puts a credential in a message.
absl::StatusOr<RecentTargets> ReadRecentTargets(const config::HistorySpec& spec, Duration window,
                                                TimePoint steady_now);

}  // namespace poolscaler::sources
