#pragma once
// SourceRegistry: which sources exist and who wants them. Config sources live as long as the
// config names them; raw-mode sources are registered on first use from trigger metadata and
// retired after `raw_idle` without a request, so deleted ScaledObjects stop costing broker
// queries. Every source is keyed by SourceSpec::Key(), so equal queries share one source.
// The class is thread-safe.
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "poolscaler/config/source_spec.h"
#include "poolscaler/sampler/sample_store.h"
#include "poolscaler/sampler/sampler.h"
#include "poolscaler/sources/source.h"

namespace poolscaler::sampler {

class SourceRegistry {
 public:
  // All references must outlive the registry.
  SourceRegistry(sources::SourceFactory& factory, Sampler& sampler, SampleStore& store);

  // Makes the config's sources exactly the config-owned set: creates new ones, updates timing
  // of kept ones, and drops the rest unless a raw trigger still uses them. Returns the key of
  // each config source by name. Fails without changing anything if a source cannot be created.
  absl::StatusOr<std::map<std::string, std::string>> ApplyConfig(
      const std::vector<config::SourceSpec>& specs);

  // Registers (or touches) a raw-mode source and returns its key.
  absl::StatusOr<std::string> EnsureRaw(const config::SourceSpec& spec, TimePoint now);
  // Marks a raw source as used now (a request or an open stream needs it).
  void Touch(const std::string& key, TimePoint now);
  // Removes raw-only sources unused for longer than `raw_idle`; returns their names.
  std::vector<std::string> RetireIdle(TimePoint now, Duration raw_idle);

  std::optional<config::SourceSpec> Find(const std::string& key) const;
  size_t size() const;

 private:
  struct Entry {
    config::SourceSpec spec;
    bool config_owned = false;
    std::optional<TimePoint> raw_last_used;  // set once a raw trigger has used it
  };
  absl::Status Create(const std::string& key, const config::SourceSpec& spec);  // mu_ held
  std::string UniqueName(const std::string& wanted, const std::string& key) const;  // mu_ held
  void Replace(const std::string& key, const config::SourceSpec& spec);  // mu_ held
  void Drop(const std::string& key);  // mu_ held

  sources::SourceFactory& factory_;
  Sampler& sampler_;
  SampleStore& store_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> entries_;  // guarded by mu_
};

}  // namespace poolscaler::sampler
