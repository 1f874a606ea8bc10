#pragma once
// StateCollector: builds the per-source and per-pool metric families at scrape time from the
// SampleStore and PoolTable snapshots. Thread-safe (it only reads thread-safe objects).
#include <prometheus/collectable.h>

#include "poolscaler/common/time.h"
#include "poolscaler/pools/pool_table.h"
#include "poolscaler/sampler/sample_store.h"

namespace poolscaler::telemetry {

class StateCollector : public prometheus::Collectable {
 public:
  // All references must outlive the collector.
  StateCollector(const sampler::SampleStore& store, const pools::PoolTable& table,
                 const Clock& clock);
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  void CollectSources(std::vector<prometheus::MetricFamily>* out, TimePoint now) const;
  void CollectPools(std::vector<prometheus::MetricFamily>* out) const;
  void CollectTiers(std::vector<prometheus::MetricFamily>* out) const;

  const sampler::SampleStore& store_;
  const pools::PoolTable& table_;
  const Clock& clock_;
};

}  // namespace poolscaler::telemetry
