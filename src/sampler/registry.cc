#include "poolscaler/sampler/registry.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>

#include "poolscaler/common/log.h"

namespace poolscaler::sampler {

SourceRegistry::SourceRegistry(sources::SourceFactory& factory, Sampler& sampler,
                               SampleStore& store)
    : factory_(factory), sampler_(sampler), store_(store) {}

std::string SourceRegistry::UniqueName(const std::string& wanted, const std::string& key) const {
  for (const auto& [k, e] : entries_) {
    if (k != key && e.spec.name == wanted) {
      // Same display name for a different query (e.g. another password): keep labels unique.
      return fmt::format("{}~{:04x}", wanted, std::hash<std::string>{}(key)&0xffff);
    }
  }
  return wanted;
}

absl::Status SourceRegistry::Create(const std::string& key, const config::SourceSpec& spec) {
  absl::StatusOr<std::unique_ptr<sources::Source>> source = factory_.Create(spec);
  if (!source.ok()) return source.status();
  std::shared_ptr<sources::Source> shared(std::move(*source));
  Entry& e = entries_[key];
  e.spec = shared->spec();
  store_.Register(key, e.spec.name, e.spec.Describe(), e.spec.stale_after);
  sampler_.Add(key, std::move(shared), e.spec.sample_interval);
  log::Info("source started", {{"source", e.spec.name}, {"description", e.spec.Describe()}});
  return absl::OkStatus();
}

void SourceRegistry::Drop(const std::string& key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  log::Info("source stopped", {{"source", it->second.spec.name}});
  sampler_.Remove(key);
  store_.Unregister(key);
  entries_.erase(it);
}

absl::StatusOr<std::map<std::string, std::string>> SourceRegistry::ApplyConfig(
    const std::vector<config::SourceSpec>& specs) {
  std::lock_guard lock(mu_);
  std::map<std::string, std::string> keys;                        // name → key
  std::vector<std::pair<std::string, config::SourceSpec>> named;  // key, spec with unique name
  for (const config::SourceSpec& spec : specs) {
    std::string key = spec.Key();
    keys[spec.name] = key;
    config::SourceSpec n = spec;
    n.name = UniqueName(spec.name, key);
    named.emplace_back(std::move(key), std::move(n));
  }
  // New sources first, so that a failure can leave the previous set exactly as it was.
  std::vector<std::string> created;
  for (size_t i = 0; i < named.size(); ++i) {
    const auto& [key, spec] = named[i];
    if (entries_.count(key) != 0) continue;
    absl::Status st = Create(key, spec);
    if (!st.ok()) {
      for (const std::string& k : created) Drop(k);
      return absl::Status(st.code(),
                          fmt::format("source {}: {}", specs[i].name, std::string(st.message())));
    }
    created.push_back(key);
  }
  for (const auto& [key, spec] : named) {
    if (std::find(created.begin(), created.end(), key) != created.end()) continue;
    const config::SourceSpec& live = entries_[key].spec;
    if (live.name != spec.name || live.sample_interval != spec.sample_interval ||
        live.stale_after != spec.stale_after || live.timeout != spec.timeout) {
      // Same query, new name or timing (the config's win over a raw trigger's): replace the
      // live source; its store record and sampling slot carry over.
      Replace(key, spec);
    }
  }
  for (const auto& [name, key] : keys) entries_[key].config_owned = true;
  std::vector<std::string> drop;
  for (auto& [key, e] : entries_) {
    bool wanted = false;
    for (const auto& [name, k] : keys) wanted = wanted || k == key;
    if (wanted) continue;
    e.config_owned = false;
    if (!e.raw_last_used) drop.push_back(key);  // raw triggers still using it keep it alive
  }
  for (const std::string& key : drop) Drop(key);
  // A source created beside the one it replaces (a changed address) had to take a suffixed
  // name while both ran; now that the old one is gone it gets the config's name back, so its
  // labels stay the same across the reload and are unique at every moment.
  for (const config::SourceSpec& spec : specs) {
    const std::string key = spec.Key();
    Entry& e = entries_[key];
    if (e.spec.name != spec.name && UniqueName(spec.name, key) == spec.name) {
      config::SourceSpec renamed = e.spec;
      renamed.name = spec.name;
      Replace(key, renamed);
    }
  }
  return keys;
}

void SourceRegistry::Replace(const std::string& key, const config::SourceSpec& spec) {
  absl::StatusOr<std::unique_ptr<sources::Source>> source = factory_.Create(spec);
  if (!source.ok()) {
    log::Error("source not updated; keeping the running one",
               {{"source", spec.name}, {"error", std::string(source.status().message())}});
    return;
  }
  Entry& e = entries_[key];
  e.spec = spec;
  store_.Register(key, spec.name, spec.Describe(), spec.stale_after);
  sampler_.Add(key, std::shared_ptr<sources::Source>(std::move(*source)), spec.sample_interval);
}

absl::StatusOr<std::string> SourceRegistry::EnsureRaw(const config::SourceSpec& spec,
                                                      TimePoint now) {
  std::string key = spec.Key();
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    config::SourceSpec named = spec;
    named.name = UniqueName(spec.name, key);
    absl::Status st = Create(key, named);
    if (!st.ok()) return st;
    it = entries_.find(key);
  }
  it->second.raw_last_used = now;
  return key;
}

void SourceRegistry::Touch(const std::string& key, TimePoint now) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it != entries_.end() && it->second.raw_last_used) it->second.raw_last_used = now;
}

std::vector<std::string> SourceRegistry::RetireIdle(TimePoint now, Duration raw_idle) {
  std::lock_guard lock(mu_);
  std::vector<std::string> keys, names;
  for (const auto& [key, e] : entries_) {
    if (!e.config_owned && e.raw_last_used && now - *e.raw_last_used > raw_idle) {
      keys.push_back(key);
      names.push_back(e.spec.name);
    }
  }
  for (const std::string& key : keys) Drop(key);
  return names;
}

std::optional<config::SourceSpec> SourceRegistry::Find(const std::string& key) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  return it->second.spec;
}

size_t SourceRegistry::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

}  // namespace poolscaler::sampler
