#pragma once
// KubeCluster: the test cluster that `scripts/kube up` started (real etcd, kube-apiserver,
// kube-controller-manager and, unless --no-keda, KEDA's operator and metrics server), seen from
// a test: its variables (cluster.env) and kubectl. Every question a test asks goes to the API
// server through the cluster's own kubectl, so an assertion is on what Kubernetes says.
//
// The cluster is not owned: ctest's fixture tests start and stop it (tests/kube/CMakeLists.txt).
// Not thread-safe; use it from the test's thread.
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/process.h"

namespace poolscaler::testing {

class KubeCluster {
 public:
  // Reads the KEY=VALUE file `scripts/kube up` wrote (DIR/cluster.env). On failure returns
  // nullptr and sets `error` (the file is missing, or KUBECONFIG/KUBECTL are not in it).
  static std::unique_ptr<KubeCluster> FromEnvFile(const std::string& path, std::string* error);
  // The same, from the file named by $POOLSCALER_KUBE_ENV (set by ctest for label "kube").
  static std::unique_ptr<KubeCluster> FromEnvironment(std::string* error);
  ~KubeCluster();  // removes the work directory (manifests written, kubectl output)
  KubeCluster(const KubeCluster&) = delete;
  KubeCluster& operator=(const KubeCluster&) = delete;

  // A variable of cluster.env ("" when absent): KUBECONFIG, KUBECTL, KUBE_DIR, API_SERVER,
  // KUBERNETES_VERSION, KEDA_VERSION, HPA_SYNC_PERIOD, ...
  std::string Var(const std::string& name) const;
  const std::string& kubeconfig() const { return kubeconfig_; }
  const std::string& kubectl() const { return kubectl_; }
  // The PKI directory of the cluster (ca.crt, front-proxy-ca.crt, ...).
  std::string PkiDir() const { return Var("KUBE_DIR") + "/pki"; }

  // Runs kubectl with the cluster's kubeconfig; `dir` receives its output files.
  RunResult Kubectl(const std::vector<std::string>& args,
                    std::chrono::milliseconds timeout = std::chrono::seconds(60)) const;
  // Writes `yaml` to a file and runs `kubectl <verb> -f FILE <extra...>` (verb "apply
  // --server-side" by default). Returns the kubectl result.
  RunResult ApplyYaml(const std::string& yaml, const std::vector<std::string>& extra = {}) const;
  // `kubectl get KIND/NAME -n NS -o jsonpath=EXPR`; nullopt when kubectl fails (not found...).
  std::optional<std::string> JsonPath(const std::string& object, const std::string& ns,
                                      const std::string& expr) const;
  // spec.replicas of a Deployment (the scale subresource KEDA and the HPA write); nullopt when
  // it cannot be read.
  std::optional<int> DeploymentReplicas(const std::string& ns, const std::string& name) const;
  // A condition's status ("True", "False", "Unknown") of a ScaledObject, HPA, ...; "" if absent.
  std::string Condition(const std::string& object, const std::string& ns,
                        const std::string& type) const;
  // Last lines of a cluster component's log (etcd, kube-apiserver, kube-controller-manager,
  // keda-operator, keda-adapter), for failure messages.
  std::string LogTail(const std::string& component, size_t bytes = 4000) const;

 private:
  KubeCluster(std::map<std::string, std::string> vars, std::string work_dir);

  std::map<std::string, std::string> vars_;
  std::string kubeconfig_, kubectl_;
  std::string work_dir_;  // kubectl's output files and the YAML files ApplyYaml writes
  mutable int serial_ = 0;
};

// A namespace made for one test and deleted (without waiting) when it goes away.
class KubeNamespace {
 public:
  KubeNamespace(const KubeCluster& cluster, std::string name);
  ~KubeNamespace();
  KubeNamespace(const KubeNamespace&) = delete;
  KubeNamespace& operator=(const KubeNamespace&) = delete;
  const std::string& name() const { return name_; }
  bool ok() const { return ok_; }
  const std::string& error() const { return error_; }

 private:
  const KubeCluster& cluster_;
  std::string name_;
  bool ok_ = false;
  std::string error_;
};

// Seconds since `start`, for the [figures] lines.
inline double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace poolscaler::testing
