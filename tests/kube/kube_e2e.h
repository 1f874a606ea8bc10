#pragma once
// Helpers of the end-to-end tests through real KEDA (ctest label "kube"): poolscaler as a
// process on loopback, manifests of the workloads KEDA scales, and waits on what the API server
// says with every replica change recorded for the [figures] lines.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "support/kube_cluster.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace poolscaler::testing {

// `poolscaler serve --grpc-plaintext` with a config file, gRPC and HTTP on free loopback ports.
// Stopped by PID when destroyed. Not thread-safe.
class PoolscalerProcess {
 public:
  // Writes `config` (may be empty: no --config) into `dir`, starts the binary and waits (up to
  // 30 s) for /readyz. nullptr and `error` when it does not come up.
  static std::unique_ptr<PoolscalerProcess> Start(const std::string& config, const TempDir& dir,
                                                  const std::vector<std::string>& extra_args,
                                                  std::string* error);
  int grpc_port() const { return grpc_port_; }
  int http_port() const { return http_port_; }
  std::string grpc_address() const { return "127.0.0.1:" + std::to_string(grpc_port_); }
  // GET on the HTTP port; "" on failure, *status set when given.
  std::string HttpGet(const std::string& path, int* status = nullptr) const;
  // Sum of the values of the /metrics series called `name` that carry every label of `labels`
  // (e.g. {"method=\"IsActive\""}); -1 when there is none.
  double Metric(const std::string& name, const std::vector<std::string>& labels = {}) const;
  void Stop();  // SIGTERM, SIGKILL after 10 s
  void Kill();  // SIGKILL (an OOM kill, a node lost): no shutdown at all
  // Stops (if running) and starts again with the same arguments and ports; false and `error`
  // when it does not become ready.
  bool Restart(std::string* error);
  bool running() const;
  std::string LogTail(size_t bytes = 4000) const;

 private:
  bool Launch(std::string* error);

  std::vector<std::string> argv_;
  std::string cwd_;
  std::unique_ptr<Process> process_;
  int grpc_port_ = 0, http_port_ = 0;
};

// One replica count seen at `seconds` after the test's clock started.
struct ReplicaChange {
  double seconds;
  int replicas;
};

class KubeE2ETest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // kubectl apply --server-side; a failure fails the test with kubectl's message.
  void Apply(const std::string& yaml);
  // A Deployment with `replicas` and an image that is never pulled (no kubelet runs): its
  // Pods stay Pending and only its scale subresource moves.
  static std::string DeploymentYaml(const std::string& ns, const std::string& name,
                                    int replicas = 0);

  // Seconds since the test's clock started (SetUp or ResetClock).
  double Now() const { return SecondsSince(clock_start_); }
  void ResetClock() { clock_start_ = std::chrono::steady_clock::now(); }

  // Polls the Deployment's spec.replicas every 250 ms until `pred` holds or `timeout` passes;
  // returns the time (Now()) it first held, or nullopt. Every change seen is recorded.
  std::optional<double> WaitReplicas(const std::string& ns, const std::string& deployment,
                                     const std::function<bool(int)>& pred,
                                     std::chrono::seconds timeout);
  // The same for several Deployments at once, each polled every round until it matched: the
  // i-th time is when deployments[i] first matched (nullopt: not within `timeout`). Use it
  // where Deployments change concurrently, so one wait does not delay the other's time.
  std::vector<std::optional<double>> WaitEach(const std::string& ns,
                                              const std::vector<std::string>& deployments,
                                              const std::function<bool(int)>& pred,
                                              std::chrono::seconds timeout);
  // The same with an exact replica count per Deployment ({"parse-small", 8}, ...).
  std::vector<std::optional<double>> WaitEach(
      const std::string& ns, const std::vector<std::pair<std::string, int>>& targets,
      std::chrono::seconds timeout);
  // Polls the Deployment for `duration` and returns every value seen (recorded too).
  std::vector<int> WatchReplicas(const std::string& ns, const std::string& deployment,
                                 std::chrono::seconds duration);
  // Polls `check` every 250 ms until it returns true or `timeout` passes.
  bool WaitUntil(const std::function<bool()>& check, std::chrono::seconds timeout);
  // Waits for a ScaledObject (or ScaledJob) to have condition Ready=True.
  bool WaitReady(const std::string& object, const std::string& ns,
                 std::chrono::seconds timeout = std::chrono::seconds(60));
  // The changes recorded for a Deployment, as "0@0.0 1@3.2 5@9.8".
  std::string History(const std::string& ns, const std::string& deployment) const;
  // What the cluster says about `ns` (ScaledObjects, HPAs, Deployments, events) and the tails
  // of KEDA's and the controller manager's logs: the message of a failed assertion.
  std::string Describe(const std::string& ns) const;

  std::unique_ptr<KubeCluster> cluster_;
  TempDir dir_;

 private:
  void Record(const std::string& key, int replicas);
  std::vector<std::optional<double>> WaitFor(
      const std::string& ns,
      const std::vector<std::pair<std::string, std::function<bool(int)>>>& wanted,
      std::chrono::seconds timeout);
  std::chrono::steady_clock::time_point clock_start_ = std::chrono::steady_clock::now();
  std::map<std::string, std::vector<ReplicaChange>> history_;
};

// The restart tests' poolscaler config: one Redis source (stream "jobs", group "workers",
// sampled every 1 s), the Kubernetes connection, and one pool "work" (lagThreshold 10, up to
// 100 replicas) with a scale-down window of `window_seconds`.
struct RestartPool {
  int window_seconds = 0;
  int min_replicas = 0;          // written only when above 0
  std::string target_namespace;  // scaleTargetRef {name: work} in it; empty: no scaleTargetRef
  bool workloads_from_scaled_objects = false;
};
std::string RestartPoolConfig(const std::string& redis, const std::string& kubeconfig,
                              const RestartPool& pool);

// The HPA behavior that passes poolscaler's decision through, as deploy/examples writes it:
// the `advanced:` block of a ScaledObject's spec (no stabilization window, 100 % per 15 s down,
// 1000 % per 15 s up); `tolerance` (for example "0") is written in both directions when given.
std::string PassThroughBehavior(const std::string& tolerance = "");

// A pool-mode ScaledObject pointed at poolscaler at `address`: KEDA's fields as given, then
// `extra_spec` (spec lines indented by two spaces, such as a fallback: block), then `advanced`,
// then one trigger of `trigger_type` for pool "work".
struct PoolScaledObject {
  std::string ns;
  std::string name = "work";
  std::string address;
  std::string trigger_type = "external";
  int min_replicas = 0;
  int max_replicas = 10;
  int polling_interval = 2;
  int cooldown_period = -1;  // below 0: not written (KEDA's default, 300 s)
  std::string extra_spec;
  std::string advanced = PassThroughBehavior();  // "" for none: the HPA's own defaults
  std::string Yaml() const;
};

// "[figures] name: text" on stdout (ctest --output-on-failure shows it; scripts/test keeps it).
void Figure(const std::string& name, const std::string& text);

}  // namespace poolscaler::testing
