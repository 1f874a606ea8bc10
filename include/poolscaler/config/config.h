#pragma once
// The YAML config file: defaults, sources and pools. Parsing collects every error with its path
// in the file ("pools[1].signals[0].source: unknown source \"ordrs\""), so `check-config`
// can print them all at once.
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "poolscaler/config/source_spec.h"
#include "poolscaler/policy/budget.h"
#include "poolscaler/policy/policy.h"

namespace poolscaler::config {

struct Defaults {
  Duration sample_interval = std::chrono::seconds(5);
  std::optional<Duration> stale_after;  // unset: 3 × each source's interval
  Duration timeout = std::chrono::seconds(2);
  // Raw-mode sources nobody asked about for this long are stopped.
  Duration raw_source_idle = std::chrono::minutes(10);
};

struct SignalSpec {
  std::string source;   // SourceSpec::name in config; source key for raw-mode triggers
  std::string measure;  // one of the source's measures
  double lag_threshold = 5;
  double activation_lag_threshold = 0;
  // kUtilization for per-pod resource measures (kubernetes-resources cpu, memory,
  // *_utilization): lag_threshold is then the per-pod target and `pods_measure` names the
  // source's pod count.
  policy::SignalKind kind = policy::SignalKind::kLag;
  std::string pods_measure{};
  // Drain-time mode (the pool's targetDrainSeconds): the source's counter measures, set for lag
  // signals whose source reports them ("" otherwise: the lag rule applies).
  std::string arrived_measure{};
  std::string completed_measure{};
  // "source/measure", the name decisions report as the winning signal.
  std::string Name() const { return source + "/" + measure; }
};

// What `poolscaler simulate` needs to model a pool: how fast one replica works, how long a new
// pod takes to start, and the backlog-age objective. (Drain-time mode is policy::PoolParams::
// drain; `perReplicaRate` sets both the model's rate and drain mode's configured one.)
struct PoolModel {
  double per_replica_rate = 1;  // `perReplicaRate`: jobs one replica finishes per second
  Duration startup{std::chrono::seconds(30)};          // `startupSeconds`: pod start-up delay
  Duration backlog_age_slo{std::chrono::seconds(60)};  // `backlogAgeSLOSeconds`
};

struct PoolSpec {
  std::string name;
  std::string metric_name;  // sent in GetMetricSpec; default "pool-<name>"
  policy::PoolParams params;
  std::vector<SignalSpec> signals;
  PoolModel model;
  // `scaleTargetRef`: the workload whose scale subresource gives the pool's current replicas
  // (the HPA's "current replicas"), read by the kubernetes-scale source named `scale_source`.
  // Unset: the pool's own last target stands for it.
  std::optional<ScaleTargetRef> scale_target;
  std::string scale_source;
};

// The Prometheus that scrapes poolscaler (`history:`): at start-up, before the process reports
// ready, poolscaler reads each pool's poolscaler_pool_desired_replicas over its longest
// stabilization window and restores those targets (a restart then remembers its windows).
struct HistorySpec {
  PrometheusParams prometheus;  // server_address, auth and TLS; `query` is unused
  Duration timeout = std::chrono::seconds(10);
  // The resolution of the restored series (the range query's step).
  Duration step = std::chrono::seconds(5);
};

struct Config {
  Defaults defaults;
  // False when parsed with ParseOptions::resolve_secrets off: credentials then hold
  // placeholders and the config is only good for checking, never for connecting.
  bool secrets_resolved = true;
  std::vector<SourceSpec> sources;
  std::vector<PoolSpec> pools;
  std::vector<policy::TierGroup> tier_groups;  // `tierGroups:`, shared budgets
  // `kubernetes:`: the connection and timing every pool's scaleTargetRef source copies (kind
  // kKubernetesScale, in-cluster and `defaults` timing unless the section says otherwise).
  SourceSpec scale_source_template;
  // `kubernetes.workloadsFromScaledObjects`: pools without a scaleTargetRef take the workload of
  // the KEDA ScaledObject whose pool-mode trigger names them (AttachScaleTarget, by the runtime).
  bool workloads_from_scaled_objects = false;
  // `history:`: where poolscaler's own series are kept, to restore recent targets at start-up.
  std::optional<HistorySpec> history;

  const SourceSpec* FindSource(const std::string& name) const;
  const policy::TierGroup* FindTierGroup(const std::string& name) const;
  const PoolSpec* FindPool(const std::string& name) const;  // exact name
};

// Gives pools[pool_index] the workload `ref`: its scale_target and the kubernetes-scale source
// (scale_source_template with the target) that reads it, shared with every pool naming the same
// workload. FAILED_PRECONDITION when a configured source already has that source's name.
absl::Status AttachScaleTarget(Config& config, size_t pool_index, const ScaleTargetRef& ref);

// The errors of a config that did not parse, each "path: problem".
struct ConfigErrors {
  std::vector<std::string> errors;
};

// Parses YAML text. On failure (INVALID_ARGUMENT) the status message lists every error, one per
// line, each "path (line N): problem", and `errors_out` (if given) receives them separately (it is
// cleared on success). `passwordEnv`/`usernameEnv` are read from the process environment and
// `passwordFile` from disk, at parse time. Never throws; secrets never appear in errors.
struct ParseOptions {
  // Off (check-config --offline): *Env and *File keys must name a variable or path, but
  // neither is read, so a config can be checked where its secrets do not exist (CI, a laptop).
  bool resolve_secrets = true;
};
absl::StatusOr<Config> ParseConfig(const std::string& yaml_text,
                                   std::vector<std::string>* errors_out = nullptr,
                                   const ParseOptions& options = {});
// Reads and parses a file; an unreadable file is one error naming the path.
absl::StatusOr<Config> LoadConfigFile(const std::string& path,
                                      std::vector<std::string>* errors_out = nullptr,
                                      const ParseOptions& options = {});

// Normalizes a metric name so it survives KEDA's round trip (KEDA replaces '/', '.', ':', '%',
// '(' and ')' with '-' and the HPA may lowercase): lowercase, anything outside [a-z0-9-] → '-'.
std::string NormalizeMetricName(std::string_view name);

}  // namespace poolscaler::config
