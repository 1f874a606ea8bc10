// Baseline autoscalers the simulator compares poolscaler against.
//
// keda-default — KEDA's lag trigger with KEDA's defaults feeding an HPA with default behavior:
//  - KEDA (keda.sh/docs "Scaling Deployments": pollingInterval 30 s, cooldownPeriod 300 s,
//    minReplicaCount 0): every 30 s it asks the trigger for activity (lag > activation
//    threshold, default 0); an inactive workload at 0 is scaled to max(minReplicaCount, 1) at
//    once; an active one goes back to 0 only at a poll more than cooldownPeriod after the last
//    active one (lastActiveTime + cooldownPeriod strictly before now).
//  - While above zero the HPA (kubernetes horizontal.go, sync period 15 s) computes
//    ceil(lag / lagThreshold) for an AverageValue external metric with 10 % tolerance. A default
//    ScaledObject has no `behavior`, so KEDA's HPA has none and runs the legacy path
//    (policy/hpa_legacy.h): the highest recommendation of the last 300 s, at most
//    max(2 × current, 4) per sync, minReplicas max(minReplicaCount, 1).
//
// kpa — the Knative Pod Autoscaler (knative.dev/docs serving/autoscaling, pkg/autoscaler/scaling
// autoscaler.go) with its defaults, treating backlog as concurrency: tick 2 s; stable window
// 60 s, panic window 6 s (10 %); target = lagThreshold × 70 % (container-concurrency-target-
// percentage); desired = ceil(window average / target); panic when the panic-window desired is
// >= 200 % of ready pods, and while panicking (until a stable window passes without the
// condition) it never scales down; max scale-up rate 1000×, max scale-down rate 2× per tick;
// scale to zero after the stable window averages 0 plus a 30 s grace period; from zero the
// activator wakes it on the first job (no wait for the tick).
#include <algorithm>
#include <cmath>
#include <deque>

#include "controllers.h"
#include "poolscaler/policy/hpa_legacy.h"

namespace poolscaler::sim {
namespace {

TimePoint At(int64_t t) { return TimePoint{} + std::chrono::seconds(t); }

class KedaDefault final : public Controller {
 public:
  explicit KedaDefault(const std::vector<SimPool>& pools) : pools_(pools), state_(pools.size()) {}

  void Step(int64_t t, const std::vector<Observation>& obs, std::vector<Verdict>& out) override {
    for (size_t i = 0; i < pools_.size(); ++i) {
      const SimPool& p = pools_[i];
      State& s = state_[i];
      Verdict& v = out[i];
      v.signal = p.name + "/lag";
      if (t % kPollingSeconds == 0) {
        if (obs[i].backlog > kActivationLag) {
          s.active = true;
          s.last_active = t;
          if (v.desired == 0) {
            v.desired = std::max<int64_t>(p.params.min_replicas, 1);
            v.limited_by = "keda-activation";
          }
        } else if (s.active && t - s.last_active > kCooldownSeconds) {  // KEDA: strict Before
          s.active = false;
          v.desired = p.params.min_replicas;
          v.limited_by = "keda-cooldown";
        }
      }
      v.active = s.active;
      if (t % kHpaSyncSeconds == 0 && v.desired > 0) {
        // The HPA's current replicas are the workload's, whatever set them; its
        // recommendations outlive KEDA's 0 ↔ 1 steps (the HPA object stays).
        policy::LegacySync sync = policy::LegacyHpaSync(
            obs[i].backlog, p.lag_threshold, v.desired,
            std::max<int64_t>(p.params.min_replicas, 1), p.params.max_replicas, At(t), s.hpa);
        v.desired = sync.replicas;
        v.limited_by.clear();
        for (policy::Limit l : sync.limits) {
          v.limited_by += (v.limited_by.empty() ? "" : "|") + std::string(policy::LimitName(l));
        }
      }
    }
  }

 private:
  static constexpr int64_t kPollingSeconds = 30;
  static constexpr int64_t kCooldownSeconds = 300;
  static constexpr int64_t kHpaSyncSeconds = 15;
  static constexpr double kActivationLag = 0;
  struct State {
    bool active = false;
    int64_t last_active = 0;
    policy::LegacyHpaHistory hpa;
  };
  const std::vector<SimPool> pools_;
  std::vector<State> state_;
};

class Kpa final : public Controller {
 public:
  explicit Kpa(const std::vector<SimPool>& pools) : pools_(pools), state_(pools.size()) {}

  void Step(int64_t t, const std::vector<Observation>& obs, std::vector<Verdict>& out) override {
    for (size_t i = 0; i < pools_.size(); ++i) {
      const SimPool& p = pools_[i];
      State& s = state_[i];
      Verdict& v = out[i];
      v.signal = p.name + "/lag";
      s.samples.push_back(obs[i].backlog);
      while (static_cast<int64_t>(s.samples.size()) > kStableSeconds) s.samples.pop_front();
      double target = p.lag_threshold * kTargetUtilization;
      bool wake = v.desired == 0 && obs[i].backlog > 0;  // the activator pokes the autoscaler
      if (t % kTickSeconds != 0 && !wake) continue;
      double stable_avg = Average(s.samples, kStableSeconds);
      double panic_avg = Average(s.samples, kPanicSeconds);
      int64_t stable = static_cast<int64_t>(std::ceil(stable_avg / target));
      int64_t panic = static_cast<int64_t>(std::ceil(panic_avg / target));
      int64_t ready = std::max<int64_t>(obs[i].ready, 1);
      if (static_cast<double>(panic) / static_cast<double>(ready) >= kPanicThreshold) {
        s.panic_since = t;
      } else if (s.panic_since && t - *s.panic_since >= kStableSeconds) {
        s.panic_since.reset();
      }
      int64_t desired = stable;
      std::string limit;
      if (s.panic_since) {
        desired = std::max(panic, v.desired);
        limit = "kpa-panic";
      }
      // Rate limits relative to ready pods.
      int64_t up = static_cast<int64_t>(std::ceil(kMaxScaleUpRate * static_cast<double>(ready)));
      int64_t down = static_cast<int64_t>(std::floor(static_cast<double>(ready) / kMaxScaleDownRate));
      if (obs[i].ready > 0) desired = std::clamp(desired, std::min(down, up), up);
      if (wake) desired = std::max<int64_t>(desired, 1);
      // Scale to zero only after a stable window at zero plus the grace period.
      if (desired == 0 && v.desired > 0) {
        if (!s.zero_since) s.zero_since = t;
        if (t - *s.zero_since < kScaleToZeroGraceSeconds) {
          desired = std::max<int64_t>(v.desired, 1);
          limit = "kpa-grace";
        }
      } else if (desired > 0) {
        s.zero_since.reset();
      }
      desired = std::clamp(desired, p.params.min_replicas, p.params.max_replicas);
      v.desired = desired;
      v.active = desired > 0;
      v.limited_by = limit;
    }
  }

 private:
  static double Average(const std::deque<double>& samples, int64_t seconds) {
    int64_t n = std::min<int64_t>(seconds, static_cast<int64_t>(samples.size()));
    if (n == 0) return 0;
    double sum = 0;
    for (int64_t k = 0; k < n; ++k) sum += samples[samples.size() - 1 - static_cast<size_t>(k)];
    return sum / static_cast<double>(n);
  }
  static constexpr int64_t kTickSeconds = 2;
  static constexpr int64_t kStableSeconds = 60;
  static constexpr int64_t kPanicSeconds = 6;
  static constexpr double kPanicThreshold = 2.0;
  static constexpr double kTargetUtilization = 0.7;
  static constexpr double kMaxScaleUpRate = 1000;
  static constexpr double kMaxScaleDownRate = 2;
  static constexpr int64_t kScaleToZeroGraceSeconds = 30;
  struct State {
    std::deque<double> samples;
    std::optional<int64_t> panic_since;
    std::optional<int64_t> zero_since;
  };
  const std::vector<SimPool> pools_;
  std::vector<State> state_;
};

}  // namespace

std::unique_ptr<Controller> MakeKedaDefault(const std::vector<SimPool>& pools) {
  return std::make_unique<KedaDefault>(pools);
}
std::unique_ptr<Controller> MakeKpa(const std::vector<SimPool>& pools) {
  return std::make_unique<Kpa>(pools);
}

}  // namespace poolscaler::sim
