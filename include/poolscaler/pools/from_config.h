#pragma once
// The PoolTable's view of a config: one PoolDefinition per configured pool.
#include <vector>

#include "poolscaler/config/config.h"
#include "poolscaler/pools/pool_table.h"

namespace poolscaler::pools {

// Definitions for `cfg.pools`, in order. Each signal reads its source's SampleStore key
// (`SourceSpec::Key()`, the key the SourceRegistry registers it under). Every signal's source
// must exist in `cfg.sources`, as ParseConfig guarantees.
std::vector<PoolDefinition> DefinitionsFromConfig(const config::Config& cfg);

}  // namespace poolscaler::pools
