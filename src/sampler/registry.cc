#include "poolscaler/sampler/registry.h"

#include <fmt/format.h>

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
      return fmt::format("{}~{:04x}", wanted, std::hash<std::string>{}(key) & 0xffff);
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
  std::map<std::string, std::string> keys;  // name → key
  std::vector<std::string> created;
  for (const config::SourceSpec& spec : specs) {
    std::string key = spec.Key();
    keys[spec.name] = key;
    config::SourceSpec named = spec;
    named.name = UniqueName(spec.name, key);
    auto it = entries_.find(key);
    if (it == entries_.end()) {
      absl::Status st = Create(key, named);
      if (!st.ok()) {
        for (const std::string& k : created) Drop(k);  // leave the previous set as it was
        return absl::Status(st.code(), fmt::format("source {}: {}", spec.name,
                                                   std::string(st.message())));
      }
      created.push_back(key);
    } else if (it->second.spec.name != named.name ||
               it->second.spec.sample_interval != named.sample_interval ||
               it->second.spec.stale_after != named.stale_after ||
               it->second.spec.timeout != named.timeout) {
      // Same query, new name or timing (the config's win over a raw trigger's): replace the
      // live source; its store record and sampling slot carry over.
      Replace(key, named);
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
