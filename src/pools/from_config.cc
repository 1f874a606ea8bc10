#include "poolscaler/pools/from_config.h"

#include <map>
#include <string>

namespace poolscaler::pools {

std::vector<PoolDefinition> DefinitionsFromConfig(const config::Config& cfg) {
  std::map<std::string, std::string> key_of;  // source name -> store key
  for (const config::SourceSpec& s : cfg.sources) key_of.emplace(s.name, s.Key());
  std::vector<PoolDefinition> defs;
  defs.reserve(cfg.pools.size());
  for (const config::PoolSpec& p : cfg.pools) {
    PoolDefinition def;
    def.id = p.name;
    def.name = p.name;
    def.metric_name = p.metric_name;
    def.params = p.params;
    if (const config::SourceSpec* scale = cfg.FindSource(p.scale_source)) {
      def.scale_source_key = scale->Key();
      def.scale_target = p.scale_target ? p.scale_target->Describe() : scale->name;
      // A decision reaches the workload after KEDA's or the HPA's next query (the HPA syncs
      // every 15 s by default) and is seen at the next read: a minute plus two reads covers it.
      def.scale_settle = std::chrono::seconds(60) + 2 * scale->sample_interval;
    }
    for (const config::SignalSpec& s : p.signals) {
      def.signals.push_back({s.Name(), key_of.at(s.source), s.measure, s.lag_threshold,
                             s.activation_lag_threshold, s.kind, s.pods_measure, s.arrived_measure,
                             s.completed_measure});
    }
    defs.push_back(std::move(def));
  }
  return defs;
}

}  // namespace poolscaler::pools
