#pragma once
// PoolTable: every pool's definition, policy history and latest decision. Config pools come from
// the YAML file; raw pools are implied by raw-mode triggers (one per distinct trigger). The
// evaluator calls EvaluateAll; gRPC handlers and the metrics collector only read. Watchers
// (StreamIsActive) are told when a pool's active state changes or the pool goes away.
// The class is thread-safe; watcher callbacks run on the evaluating thread, outside the lock,
// and must not block.
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "poolscaler/common/time.h"
#include "poolscaler/policy/budget.h"
#include "poolscaler/policy/policy.h"
#include "poolscaler/sampler/sample_store.h"

namespace poolscaler::pools {

struct SignalBinding {
  std::string name;        // "orders/outstanding": source name + measure
  std::string source_key;  // SampleStore key
  std::string measure;
  double lag_threshold = 5;
  double activation_threshold = 0;
  policy::SignalKind kind = policy::SignalKind::kLag;
  std::string pods_measure{};  // kUtilization: the source's pod count measure
  // Drain-time mode (params.drain on): the source's counter measures; "" for the lag rule.
  std::string arrived_measure{};
  std::string completed_measure{};
  bool drain() const { return !arrived_measure.empty(); }
};

struct PoolDefinition {
  std::string id;           // table key: the pool name, or "raw:" + trigger key
  std::string name;         // display name and metric label (secret-free)
  std::string metric_name;  // what GetMetricSpec announces
  bool raw = false;
  policy::PoolParams params;
  std::vector<SignalBinding> signals;
  // The pool's workload (scaleTargetRef): the kubernetes-scale source's SampleStore key ("" for
  // none), its description, and how long a decided target explains the counts the workload
  // reports (policy::ObserveReplicas).
  std::string scale_source_key{};
  std::string scale_target{};
  Duration scale_settle{};
};

// What the pool's "current replicas" stood on at the last evaluation (/pools currentReplicas,
// poolscaler_pool_current_replicas*).
struct CurrentReplicas {
  // "kubernetes": the workload's scale subresource; "decision": the pool's own last target (no
  // scaleTargetRef, or the workload could not be read: `status` says why); "none": no target
  // decided yet.
  std::string from = "none";
  std::optional<int64_t> replicas;       // the count the policy started from
  std::optional<int64_t> spec_replicas;  // the workload's, when read
  std::optional<int64_t> status_replicas;
  std::optional<TimePoint> read_at;  // when the workload was read
  absl::Status status;               // why the workload is not known (OK when it is)
  // How the first count was used after start-up or the pool's creation: "kubernetes" (the
  // windows were seeded from it), "none" (no seed: the pool has no scaleTargetRef, or the
  // workload could not be read before the first decision) or "" while waiting for it.
  std::string seed;
  std::string last_observation;  // policy::ObservationName, "" before any
  uint64_t adopted_total = 0;    // counts taken as news (policy::kAdopted)
};

struct SignalState {
  std::string name;
  absl::Status status;  // OK, or why the value is unknown
  double value = 0;
  int64_t replicas = 0;
  // Drain-time signals: what the estimate stood at (unset while unknown); `drain_replicas`
  // unset means the lag rule gave `replicas`.
  bool drain = false;
  std::optional<double> arrival_per_second;
  std::optional<double> completion_per_second;
  std::optional<double> per_replica_rate;
  std::optional<int64_t> drain_replicas;
};

struct PoolState {
  PoolDefinition definition;
  // OK, or UNAVAILABLE naming the first signal without a usable value when no signal has one
  // (then `decision` is the last good one, if any, and is not served). With some signals known
  // the status is OK: the decision may scale up, not down (policy::Limit::kSignalMissing), and
  // the unknown signals carry their error in `signals`.
  absl::Status status = absl::UnavailableError("not evaluated yet");
  bool has_decision = false;
  // Evaluated once with every signal's source sampled (or failed) and its workload read (or
  // tried): the answer it serves is the warm one (Warm()).
  bool warm = false;
  policy::Decision decision;
  std::vector<SignalState> signals;
  TimePoint evaluated_at{};
  TimePoint decided_at{};
  // At decided_at: how long the pool would stay active if its work stopped
  // (policy::TimeToInactive).
  Duration inactive_after{};
  CurrentReplicas current;
  // Evaluations in which each limit changed the decision, indexed by policy::Limit.
  std::array<uint64_t, std::size(policy::kAllLimits)> limited_total{};
  // Signals without a usable value at the last evaluation (/pools `signalsMissing`,
  // poolscaler_pool_signals_missing).
  size_t SignalsMissing() const;
  // Set only in the last notification a watcher gets (pool removed, server closing): the
  // watcher should end with `status`.
  bool final = false;
};

class PoolTable {
 public:
  using Watcher = std::function<void(const PoolState&)>;

  PoolTable() = default;
  // Takes the lock once, so the destruction happens after the last Unwatch of any stream
  // that finished on another thread.
  ~PoolTable();

  // Makes `defs` the config pools and `tier_groups` their shared budgets; raw pools are
  // untouched. A pool that keeps its id keeps its policy history and last decision. Watchers of
  // removed pools get a final NOT_FOUND state.
  void SetConfigPools(std::vector<PoolDefinition> defs,
                      std::vector<policy::TierGroup> tier_groups = {});
  // Adds a raw pool unless present; marks it used at `now`.
  void EnsureRawPool(const PoolDefinition& def, TimePoint now);
  void TouchRaw(const std::string& id, TimePoint now);
  // Drops raw pools unused for longer than `idle` that nobody watches; returns their names.
  std::vector<std::string> RetireIdleRaw(TimePoint now, Duration idle);

  // Re-evaluates every pool from the store, then applies each tier group's budget across its
  // pools (policy::ShareBudget), cutting desired where the group is over budget.
  void EvaluateAll(const sampler::SampleStore& store, TimePoint now);

  // Restores the targets a previous process served (`history:` at start-up) into every config
  // pool that has none yet (policy::RestoreTargets); their window seed becomes "prometheus".
  // Returns the names of the pools restored.
  std::vector<std::string> RestoreTargets(
      const std::map<std::string, std::vector<std::pair<TimePoint, int64_t>>>& by_pool,
      TimePoint now);

  // True once every config pool is warm (PoolState::warm): evaluated with its sources' first
  // samples and its workload read (or tried), so its window seed and first decision are in
  // place. Readiness waits for it, so a restarted replica serves no answer that forgot the
  // workload's size or the restored history.
  bool Warm() const;

  std::optional<PoolState> Get(const std::string& id) const;
  std::vector<PoolState> Snapshot() const;
  std::vector<policy::TierGroup> TierGroups() const;
  // Source keys used by raw pools (so the runtime keeps those sources alive).
  std::vector<std::string> RawSourceKeys() const;

  // Sends every watcher a final state with `status` (e.g. UNAVAILABLE at shutdown) and drops
  // them all.
  void CloseWatchers(const absl::Status& status);

  // Registers a watcher of pool `id`; returns a handle for Unwatch.
  uint64_t Watch(const std::string& id, Watcher watcher);
  void Unwatch(uint64_t handle);

 private:
  struct Entry {
    PoolState state;
    policy::PoolHistory history;
    // Drain-time estimates, one per definition signal (reset when the signals change).
    std::vector<policy::DrainState> drain;
    std::optional<TimePoint> raw_last_used;
  };
  struct WatcherEntry {
    std::string id;
    Watcher fn;
  };
  // Drain-time mode for one signal: folds the source's counters into `state` and sets
  // in.replicas when the rates are known; mu_ held (reads the store: PoolTable → SampleStore).
  static void ApplyDrain(const sampler::SampleStore& store, const SignalBinding& b,
                         const policy::DrainParams& params, policy::DrainState& state,
                         std::optional<int64_t> current, TimePoint now, policy::SignalInput& in,
                         SignalState& s);
  // Reads the pool's workload count (definition.scale_source_key) into its history
  // (policy::ObserveReplicas) and state.current. False while the pool waits for the first read:
  // no decision yet and the source has not been tried. mu_ held (reads the store).
  static bool ObserveWorkload(const sampler::SampleStore& store, Entry& e, TimePoint now);
  // Cuts the fresh evaluations of each tier group's pools to its budget; mu_ held.
  void ApplyTierBudgets(std::map<std::string, policy::Evaluation>& fresh, TimePoint now);
  // Collects the callbacks to run for `id` with `state`; mu_ held.
  void CollectNotifications(const std::string& id, const PoolState& state,
                            std::vector<std::pair<Watcher, PoolState>>* out) const;

  mutable std::mutex mu_;
  std::map<std::string, Entry> pools_;          // guarded by mu_
  std::vector<policy::TierGroup> tier_groups_;  // guarded by mu_
  std::map<uint64_t, WatcherEntry> watchers_;   // guarded by mu_
  uint64_t next_handle_ = 1;                    // guarded by mu_
};

}  // namespace poolscaler::pools
