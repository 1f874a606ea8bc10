// Fuzzes config::ParseConfig (the YAML config file). Input: the YAML text.
//
// Set-up (LLVMFuzzerInitialize): environment variables POOLSCALER_FUZZ_PASSWORD and
// POOLSCALER_FUZZ_USER and the file /tmp/poolscaler-fuzz-password hold canary credentials, so
// seeds with passwordEnv / usernameEnv / passwordFile reach the credential code; stdin is
// /dev/null, so "passwordFile: /dev/stdin" cannot block.
//
// Invariants:
//  - Never throws (ParseConfig promises it; an escaping exception aborts).
//  - Failure: INVALID_ARGUMENT; `errors_out` lists every error, none empty, and the message is
//    exactly those errors joined by newlines.
//  - Success: `errors_out` is cleared; defaults are sane (interval > 0, staleAfter >= interval);
//    every source is a complete redis-streams source with a unique name and 0 < timeout <=
//    interval <= staleAfter; every pool has a unique name, a unique non-empty normalized metric
//    name, 0 <= min <= max <= 1e6, cooldown and window 0..1 year, at least one signal, and each
//    signal names a source of the config, a measure that source reports, lagThreshold > 0 and
//    activation >= 0, with no signal twice.
//  - The canary credentials never appear in an error, a source's description or its key (unless
//    the YAML text itself contains them).
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <fmt/format.h>

#include "absl/status/statusor.h"
#include "fuzz_check.h"
#include "poolscaler/config/config.h"

namespace {

namespace config = poolscaler::config;
using poolscaler::Duration;
using poolscaler::fuzz::Contains;

constexpr char kEnvPassword[] = "env-canary-pw-51d3";
constexpr char kEnvUser[] = "env-canary-user-9e07";
constexpr char kFilePassword[] = "file-canary-pw-c2a8";
constexpr char kPasswordFile[] = "/tmp/poolscaler-fuzz-password";

// Writes `text` to `path` atomically (a temp file renamed over it), so fuzzers running in
// parallel never read a half-written file.
void WriteFileAtomically(const std::string& path, const std::string& text) {
  std::string temp = fmt::format("{}.{}", path, getpid());
  std::FILE* f = std::fopen(temp.c_str(), "wb");
  if (f == nullptr) return;  // seeds then reach the "cannot read" path instead
  std::fwrite(text.data(), 1, text.size(), f);
  std::fclose(f);
  std::rename(temp.c_str(), path.c_str());
}

void CheckOk(const config::Config& cfg, const std::string& yaml) {
  const Duration one_year = std::chrono::hours(24 * 365);
  const config::Defaults& d = cfg.defaults;
  FUZZ_CHECK(d.sample_interval > Duration::zero(), yaml);
  FUZZ_CHECK(!d.stale_after || *d.stale_after >= d.sample_interval, yaml);
  FUZZ_CHECK(d.timeout > Duration::zero() && d.raw_source_idle > Duration::zero(), yaml);

  std::set<std::string> source_names;
  for (const config::SourceSpec& s : cfg.sources) {
    FUZZ_CHECK(source_names.insert(s.name).second, fmt::format("duplicate source {}: {}", s.name, yaml));
    FUZZ_CHECK(!s.name.empty() &&
                   (s.kind == config::kRedisStreams || s.kind == config::kNatsJetStream ||
                    s.kind == config::kPrometheus || s.kind == config::kKubernetesResources ||
                    s.kind == config::kRabbitMq),
               yaml);
    if (s.kind == config::kPrometheus) {
      const auto* p = std::get_if<config::PrometheusParams>(&s.params);
      FUZZ_CHECK(p != nullptr && !p->query.empty() && !p->server_address.empty(), yaml);
      FUZZ_CHECK(p->username.empty() == p->password.empty(), yaml);
    } else if (s.kind == config::kKubernetesResources) {
      const auto* k = std::get_if<config::KubernetesResourcesParams>(&s.params);
      FUZZ_CHECK(k != nullptr && !k->namespace_name.empty(), yaml);
      FUZZ_CHECK(k->cpu_request_cores >= 0 && k->memory_request_bytes >= 0 &&
                     std::isfinite(k->cpu_request_cores) && std::isfinite(k->memory_request_bytes),
                 yaml);
    } else if (s.kind == config::kRabbitMq) {
      const auto* q = std::get_if<config::RabbitMqParams>(&s.params);
      FUZZ_CHECK(q != nullptr && !q->host.empty() && !q->queue.empty() && !q->vhost.empty(), yaml);
      FUZZ_CHECK(q->port >= 1 && q->port <= 65535, yaml);
    } else if (s.kind == config::kNatsJetStream) {
      const auto* n = std::get_if<config::NatsJetStreamParams>(&s.params);
      FUZZ_CHECK(n != nullptr && !n->servers.empty() && !n->stream.empty(), yaml);
      FUZZ_CHECK(n->username.empty() == n->password.empty(), yaml);
    } else {
      const auto* redis = std::get_if<config::RedisStreamsParams>(&s.params);
      FUZZ_CHECK(redis != nullptr, yaml);
      FUZZ_CHECK(!redis->host.empty() && !redis->stream.empty(), yaml);
      FUZZ_CHECK(redis->port >= 1 && redis->port <= 65535, yaml);
      FUZZ_CHECK(redis->database >= 0 && redis->database <= 1000, yaml);
    }
    FUZZ_CHECK(s.sample_interval > Duration::zero(), yaml);
    FUZZ_CHECK(s.stale_after >= s.sample_interval, yaml);
    FUZZ_CHECK(s.timeout > Duration::zero() && s.timeout <= s.sample_interval, yaml);
  }

  std::set<std::string> pool_names;
  std::set<std::string> metric_names;
  for (const config::PoolSpec& p : cfg.pools) {
    FUZZ_CHECK(!p.name.empty() && pool_names.insert(p.name).second,
               fmt::format("pool name \"{}\": {}", p.name, yaml));
    FUZZ_CHECK(!p.metric_name.empty() &&
                   config::NormalizeMetricName(p.metric_name) == p.metric_name &&
                   metric_names.insert(p.metric_name).second,
               fmt::format("metric name \"{}\": {}", p.metric_name, yaml));
    FUZZ_CHECK(p.params.min_replicas >= 0 && p.params.min_replicas <= p.params.max_replicas &&
                   p.params.max_replicas <= 1'000'000,
               fmt::format("replicas {}..{}: {}", p.params.min_replicas, p.params.max_replicas, yaml));
    FUZZ_CHECK(p.params.cooldown >= Duration::zero() && p.params.cooldown <= one_year, yaml);
    const poolscaler::policy::Behavior& b = p.params.behavior;
    for (const poolscaler::policy::ScalingRules* rules : {&b.scale_up, &b.scale_down}) {
      FUZZ_CHECK(rules->tolerance >= 0 && std::isfinite(rules->tolerance), yaml);
      FUZZ_CHECK(rules->stabilization_window >= Duration::zero() &&
                     rules->stabilization_window <= one_year,
                 yaml);
      FUZZ_CHECK(!rules->policies.empty(), yaml);
      for (const poolscaler::policy::ScalingPolicy& sp : rules->policies) {
        FUZZ_CHECK(sp.value > 0 && sp.period > Duration::zero(), yaml);
      }
    }
    FUZZ_CHECK(!p.signals.empty(), yaml);
    std::set<std::string> signal_names;
    for (const config::SignalSpec& s : p.signals) {
      const config::SourceSpec* source = cfg.FindSource(s.source);
      FUZZ_CHECK(source != nullptr, fmt::format("signal source \"{}\": {}", s.source, yaml));
      FUZZ_CHECK(source->HasMeasure(s.measure), fmt::format("measure \"{}\": {}", s.measure, yaml));
      FUZZ_CHECK(std::isfinite(s.lag_threshold) && s.lag_threshold > 0, yaml);
      FUZZ_CHECK(std::isfinite(s.activation_lag_threshold) && s.activation_lag_threshold >= 0, yaml);
      FUZZ_CHECK(signal_names.insert(s.Name()).second, yaml);
      FUZZ_CHECK((s.kind == poolscaler::policy::SignalKind::kUtilization) ==
                     config::IsUtilizationMeasure(source->kind, s.measure),
                 yaml);
      FUZZ_CHECK(s.kind == poolscaler::policy::SignalKind::kLag || source->HasMeasure(s.pods_measure), yaml);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  setenv("POOLSCALER_FUZZ_PASSWORD", kEnvPassword, 1);
  setenv("POOLSCALER_FUZZ_USER", kEnvUser, 1);
  WriteFileAtomically(kPasswordFile, std::string(kFilePassword) + "\n");
  if (std::freopen("/dev/null", "rb", stdin) == nullptr) std::abort();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 16384) return 0;
  const std::string yaml(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> errors = {"left over from an earlier call"};
  absl::StatusOr<config::Config> cfg;
  try {
    cfg = config::ParseConfig(yaml, &errors);
  } catch (...) {
    FUZZ_CHECK(false, "ParseConfig threw: " + yaml);
  }

  std::vector<std::string> visible;  // text a secret must never reach
  if (cfg.ok()) {
    FUZZ_CHECK(errors.empty(), "errors_out not cleared on success");
    CheckOk(*cfg, yaml);
    for (const config::SourceSpec& s : cfg->sources) {
      visible.push_back(s.Describe());
      visible.push_back(s.Key());
    }
  } else {
    FUZZ_CHECK(cfg.status().code() == absl::StatusCode::kInvalidArgument, cfg.status().ToString());
    FUZZ_CHECK(!errors.empty(), "failure without errors: " + yaml);
    for (const std::string& e : errors) FUZZ_CHECK(!e.empty(), "an empty error: " + yaml);
    FUZZ_CHECK(cfg.status().message() == fmt::format("{}", fmt::join(errors, "\n")),
               std::string(cfg.status().message()));
    visible.emplace_back(cfg.status().message());
  }
  for (const char* canary : {kEnvPassword, kEnvUser, kFilePassword}) {
    if (Contains(yaml, canary)) continue;
    for (const std::string& text : visible) {
      FUZZ_CHECK(!Contains(text, canary), fmt::format("credential {} in \"{}\"", canary, text));
    }
  }
  return 0;
}
