// Fuzzes config::CheckScaledObjects (what `check-config --scaled-objects FILE` reads: a file of
// Kubernetes manifests). Input: the YAML text. It is checked twice: against a config with pools
// "workers", "analytics" and "test-workers", and with no config (raw mode only).
//
// Invariants:
//  - Never throws (CheckScaledObjects promises it; an escaping exception aborts).
//  - Every finding names where it is ("FILE" for the file as a whole, else "FILE: …") and has
//    a message; HasErrors() is true exactly when a finding is an error.
//  - Counts are not negative, and what is read does not depend on the config: the ScaledObject,
//    ScaledJob and trigger counts are the same with and without it.
//  - Time to zero: only with the config, each line names a pool of it; KEDA's parts are int32
//    values not below 0, the pool's cooldown is 0..1 year, so Total() (their sum) cannot
//    overflow.
#include <cstddef>
#include <cstdint>
#include <string>

#include <fmt/format.h>

#include "fuzz_check.h"
#include "poolscaler/config/config.h"
#include "poolscaler/config/scaled_object.h"

namespace {

namespace config = poolscaler::config;
using Severity = config::ScaledObjectFinding::Severity;

constexpr char kConfig[] = R"(
sources:
  - {name: orders, type: redis-streams, address: "127.0.0.1:6399", stream: orders,
     consumerGroup: workers}
pools:
  - {name: workers, minReplicas: 0, maxReplicas: 50, signals: [{source: orders, lagThreshold: 5}]}
  - {name: analytics, minReplicas: 1, maxReplicas: 20, cooldownSeconds: 120,
     signals: [{source: orders, lagThreshold: 10}]}
  - {name: test-workers, maxReplicas: 8, signals: [{source: orders, lagThreshold: 2}]}
)";

const config::Config& TheConfig() {
  static const config::Config* parsed = [] {
    auto c = config::ParseConfig(kConfig);
    if (!c.ok()) {
      std::fprintf(stderr, "fuzz config does not parse: %s\n", c.status().ToString().c_str());
      std::abort();
    }
    return new config::Config(*std::move(c));
  }();
  return *parsed;
}

void CheckReport(const config::ScaledObjectReport& r, const std::string& yaml, bool with_config) {
  FUZZ_CHECK(r.scaled_objects >= 0 && r.scaled_jobs >= 0 && r.poolscaler_triggers >= 0, yaml);
  bool errors = false;
  for (const config::ScaledObjectFinding& f : r.findings) {
    FUZZ_CHECK(f.where == "in.yaml" || f.where.rfind("in.yaml: ", 0) == 0,
               fmt::format("where \"{}\": {}", f.where, yaml));
    FUZZ_CHECK(!f.message.empty(), fmt::format("empty message at {}: {}", f.where, yaml));
    errors = errors || f.severity == Severity::kError;
  }
  FUZZ_CHECK(r.HasErrors() == errors, yaml);
  for (const config::TimeToZero& t : r.time_to_zero) {
    FUZZ_CHECK(t.where.rfind("in.yaml: ", 0) == 0, yaml);
    FUZZ_CHECK(t.pool_cooldown_seconds >= 0 && t.cooldown_period_seconds >= 0 &&
                   t.polling_interval_seconds >= 0,
               fmt::format("{}: {} {} {}: {}", t.where, t.pool_cooldown_seconds,
                           t.cooldown_period_seconds, t.polling_interval_seconds, yaml));
    constexpr int64_t kYear = 365LL * 24 * 3600;
    constexpr int64_t kInt32Max = 2147483647;
    FUZZ_CHECK(t.pool_cooldown_seconds <= kYear && t.cooldown_period_seconds <= kInt32Max &&
                   t.polling_interval_seconds <= kInt32Max,
               fmt::format("{}: {} {} {}", t.where, t.pool_cooldown_seconds,
                           t.cooldown_period_seconds, t.polling_interval_seconds));
    FUZZ_CHECK(t.Total() ==
                   t.pool_cooldown_seconds + t.cooldown_period_seconds + t.polling_interval_seconds,
               yaml);
    FUZZ_CHECK(with_config && TheConfig().FindPool(t.pool) != nullptr,
               fmt::format("time to zero for pool \"{}\" ({} config): {}", t.pool,
                           with_config ? "with the" : "without a", yaml));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 16384) return 0;
  const std::string yaml(reinterpret_cast<const char*>(data), size);
  config::ScaledObjectReport with, without;
  try {
    with = config::CheckScaledObjects(yaml, "in.yaml", &TheConfig());
    without = config::CheckScaledObjects(yaml, "in.yaml", nullptr);
  } catch (...) {
    FUZZ_CHECK(false, "CheckScaledObjects threw: " + yaml);
  }
  CheckReport(with, yaml, true);
  CheckReport(without, yaml, false);
  FUZZ_CHECK(
      with.scaled_objects == without.scaled_objects && with.scaled_jobs == without.scaled_jobs &&
          with.poolscaler_triggers == without.poolscaler_triggers,
      fmt::format("counts differ with the config ({} {} {}) and without ({} {} {}): {}",
                  with.scaled_objects, with.scaled_jobs, with.poolscaler_triggers,
                  without.scaled_objects, without.scaled_jobs, without.poolscaler_triggers, yaml));
  return 0;
}
