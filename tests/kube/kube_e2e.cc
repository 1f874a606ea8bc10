#include "kube/kube_e2e.h"

#include <httplib.h>
#include <signal.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "support/eventually.h"

namespace poolscaler::testing {

std::unique_ptr<PoolscalerProcess> PoolscalerProcess::Start(
    const std::string& config, const TempDir& dir, const std::vector<std::string>& extra_args,
    std::string* error) {
  auto p = std::unique_ptr<PoolscalerProcess>(new PoolscalerProcess());
  p->grpc_port_ = FreeLoopbackPort();
  p->http_port_ = FreeLoopbackPort();
  if (p->grpc_port_ == 0 || p->http_port_ == 0 || p->grpc_port_ == p->http_port_) {
    *error = "no free loopback ports";
    return nullptr;
  }
  p->argv_ = {POOLSCALER_BINARY, "--log-level", "debug", "serve",
              "--grpc-plaintext", "--grpc-listen", p->grpc_address(),
              "--http-listen", "127.0.0.1:" + std::to_string(p->http_port_)};
  if (!config.empty()) {
    p->argv_.push_back("--config");
    p->argv_.push_back(dir.Write("poolscaler-" + std::to_string(p->grpc_port_) + ".yaml", config));
  }
  p->argv_.insert(p->argv_.end(), extra_args.begin(), extra_args.end());
  p->cwd_ = dir.path();
  if (!p->Launch(error)) return nullptr;
  return p;
}

bool PoolscalerProcess::Launch(std::string* error) {
  process_ = std::make_unique<Process>(argv_, cwd_);
  bool ready = Eventually(
      [&] {
        int status = 0;
        HttpGet("/readyz", &status);
        return status == 200 || !running();
      },
      std::chrono::seconds(30), std::chrono::milliseconds(100));
  if (!ready || !running()) {
    *error = "poolscaler serve did not become ready: " + LogTail();
    return false;
  }
  return true;
}

bool PoolscalerProcess::Restart(std::string* error) {
  Stop();
  return Launch(error);
}

std::string PoolscalerProcess::HttpGet(const std::string& path, int* status) const {
  httplib::Client http("127.0.0.1", http_port_);
  http.set_connection_timeout(2);
  http.set_read_timeout(5);
  auto res = http.Get(path);
  if (status) *status = res ? res->status : 0;
  return res ? res->body : "";
}

double PoolscalerProcess::Metric(const std::string& name,
                                 const std::vector<std::string>& labels) const {
  std::istringstream in(HttpGet("/metrics"));
  std::string line;
  double sum = 0;
  bool found = false;
  while (std::getline(in, line)) {
    if (line.rfind(name, 0) != 0 || line.size() <= name.size()) continue;
    if (line[name.size()] != '{' && line[name.size()] != ' ') continue;
    bool all = true;
    for (const std::string& l : labels) all = all && line.find(l) != std::string::npos;
    size_t space = line.rfind(' ');
    if (!all || space == std::string::npos) continue;
    sum += std::stod(line.substr(space + 1));
    found = true;
  }
  return found ? sum : -1;
}

void PoolscalerProcess::Stop() {
  if (!process_ || !running()) return;
  process_->Signal(SIGTERM);
  if (!process_->Wait(std::chrono::seconds(10))) {
    process_->Signal(SIGKILL);
    process_->Wait(std::chrono::seconds(5));
  }
}

void PoolscalerProcess::Kill() {
  if (!process_ || !running()) return;
  process_->Signal(SIGKILL);
  process_->Wait(std::chrono::seconds(5));
}

bool PoolscalerProcess::running() const {
  return process_ && process_->Wait(std::chrono::milliseconds(0)) == std::nullopt;
}

std::string PoolscalerProcess::LogTail(size_t bytes) const {
  if (!process_) return "";
  std::string err = process_->Stderr();
  return err.size() > bytes ? err.substr(err.size() - bytes) : err;
}

void KubeE2ETest::SetUp() {
  std::string error;
  cluster_ = KubeCluster::FromEnvironment(&error);
  ASSERT_TRUE(cluster_) << error;
  ASSERT_FALSE(dir_.path().empty());
  ResetClock();
}

void KubeE2ETest::TearDown() {
  for (const auto& [key, changes] : history_) {
    std::string line;
    for (const ReplicaChange& c : changes) {
      char buf[48];
      std::snprintf(buf, sizeof(buf), " %d@%.1f", c.replicas, c.seconds);
      line += buf;
    }
    std::printf("replicas %s:%s\n", key.c_str(), line.c_str());
  }
}

void KubeE2ETest::Apply(const std::string& yaml) {
  RunResult r = cluster_->ApplyYaml(yaml);
  ASSERT_EQ(r.code, 0) << "kubectl apply failed:\n" << r.err << r.out << "\n--- manifest\n" << yaml;
}

std::string KubeE2ETest::DeploymentYaml(const std::string& ns, const std::string& name,
                                        int replicas) {
  std::ostringstream y;
  y << "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: " << name
    << "\n  namespace: " << ns << "\nspec:\n  replicas: " << replicas
    << "\n  selector:\n    matchLabels: {app: " << name << "}\n"
    << "  template:\n    metadata:\n      labels: {app: " << name << "}\n"
    << "    spec:\n      containers:\n"
    // No kubelet runs in the test cluster: this image is never pulled, the Pods stay Pending.
    << "        - name: worker\n          image: registry.invalid/poolscaler-e2e-worker:never\n";
  return y.str();
}

void KubeE2ETest::Record(const std::string& key, int replicas) {
  std::vector<ReplicaChange>& h = history_[key];
  if (h.empty() || h.back().replicas != replicas) h.push_back({Now(), replicas});
}

std::optional<double> KubeE2ETest::WaitReplicas(const std::string& ns,
                                                const std::string& deployment,
                                                const std::function<bool(int)>& pred,
                                                std::chrono::seconds timeout) {
  return WaitEach(ns, {deployment}, pred, timeout).front();
}

namespace {
using Wanted = std::vector<std::pair<std::string, std::function<bool(int)>>>;
}  // namespace

std::vector<std::optional<double>> KubeE2ETest::WaitEach(
    const std::string& ns, const std::vector<std::string>& deployments,
    const std::function<bool(int)>& pred, std::chrono::seconds timeout) {
  Wanted wanted;
  for (const std::string& d : deployments) wanted.emplace_back(d, pred);
  return WaitFor(ns, wanted, timeout);
}

std::vector<std::optional<double>> KubeE2ETest::WaitEach(
    const std::string& ns, const std::vector<std::pair<std::string, int>>& targets,
    std::chrono::seconds timeout) {
  Wanted wanted;
  for (const auto& [d, n] : targets) wanted.emplace_back(d, [n = n](int r) { return r == n; });
  return WaitFor(ns, wanted, timeout);
}

std::vector<std::optional<double>> KubeE2ETest::WaitFor(
    const std::string& ns,
    const std::vector<std::pair<std::string, std::function<bool(int)>>>& wanted,
    std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<std::optional<double>> matched(wanted.size());
  size_t left = wanted.size();
  while (left > 0) {
    for (size_t i = 0; i < wanted.size(); ++i) {
      if (matched[i]) continue;
      std::optional<int> r = cluster_->DeploymentReplicas(ns, wanted[i].first);
      if (!r) continue;
      Record(ns + "/" + wanted[i].first, *r);
      if (wanted[i].second(*r)) {
        matched[i] = Now();
        --left;
      }
    }
    if (left == 0 || std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  return matched;
}

std::vector<int> KubeE2ETest::WatchReplicas(const std::string& ns, const std::string& deployment,
                                            std::chrono::seconds duration) {
  std::vector<int> seen;
  auto end = std::chrono::steady_clock::now() + duration;
  const std::string key = ns + "/" + deployment;
  while (std::chrono::steady_clock::now() < end) {
    std::optional<int> r = cluster_->DeploymentReplicas(ns, deployment);
    if (r) {
      Record(key, *r);
      seen.push_back(*r);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  return seen;
}

bool KubeE2ETest::WaitUntil(const std::function<bool()>& check, std::chrono::seconds timeout) {
  return Eventually(check, timeout, std::chrono::milliseconds(250));
}

bool KubeE2ETest::WaitReady(const std::string& object, const std::string& ns,
                            std::chrono::seconds timeout) {
  return WaitUntil([&] { return cluster_->Condition(object, ns, "Ready") == "True"; }, timeout);
}

std::string KubeE2ETest::History(const std::string& ns, const std::string& deployment) const {
  auto it = history_.find(ns + "/" + deployment);
  if (it == history_.end()) return "(none)";
  std::string s;
  for (const ReplicaChange& c : it->second) {
    char buf[48];
    std::snprintf(buf, sizeof(buf), "%s%d@%.1f", s.empty() ? "" : " ", c.replicas, c.seconds);
    s += buf;
  }
  return s;
}

std::string KubeE2ETest::Describe(const std::string& ns) const {
  std::string out = "--- kubectl get -n " + ns + "\n";
  RunResult r = cluster_->Kubectl(
      {"get", "scaledobjects,scaledjobs,hpa,deployments,jobs", "-n", ns, "-o", "wide"});
  out += r.out + r.err;
  r = cluster_->Kubectl({"get", "events", "-n", ns, "--sort-by=.lastTimestamp"});
  out += "--- events\n" + r.out + r.err;
  r = cluster_->Kubectl({"get", "hpa", "-n", ns, "-o", "yaml"});
  out += "--- hpa\n" + r.out.substr(r.out.size() > 6000 ? r.out.size() - 6000 : 0);
  out += "--- keda-operator log\n" + cluster_->LogTail("keda-operator", 3000);
  out += "--- keda-adapter log\n" + cluster_->LogTail("keda-adapter", 1500);
  out += "--- kube-controller-manager log\n" + cluster_->LogTail("kube-controller-manager", 1500);
  return out;
}

std::string RestartPoolConfig(const std::string& redis, const std::string& kubeconfig,
                              const RestartPool& pool) {
  std::string c = "defaults: {sampleInterval: 1s}\nkubernetes: {kubeconfig: " + kubeconfig +
                  ", sampleInterval: 1s" +
                  (pool.workloads_from_scaled_objects ? ", workloadsFromScaledObjects: true" : "") +
                  "}\nsources:\n  - {name: jobs, type: redis-streams, address: " + redis +
                  ", stream: jobs, consumerGroup: workers}\npools:\n  - name: work\n";
  if (pool.min_replicas > 0) c += "    minReplicas: " + std::to_string(pool.min_replicas) + "\n";
  c += "    maxReplicas: 100\n    scaleDownWindowSeconds: " + std::to_string(pool.window_seconds) +
       "\n";
  if (!pool.target_namespace.empty()) {
    c += "    scaleTargetRef: {name: work, namespace: " + pool.target_namespace + "}\n";
  }
  return c + "    signals: [{source: jobs, lagThreshold: 10}]\n";
}

std::string PassThroughBehavior(const std::string& tolerance) {
  const std::string tol = tolerance.empty() ? "" : "          tolerance: " + tolerance + "\n";
  return "  advanced:\n"
         "    horizontalPodAutoscalerConfig:\n"
         "      behavior:\n"
         "        scaleDown:\n"
         "          stabilizationWindowSeconds: 0\n"
         "          policies: [{type: Percent, value: 100, periodSeconds: 15}]\n" +
         tol +
         "        scaleUp:\n"
         "          stabilizationWindowSeconds: 0\n"
         "          policies: [{type: Percent, value: 1000, periodSeconds: 15}]\n" +
         tol;
}

std::string PoolScaledObject::Yaml() const {
  std::string y = "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata:\n  name: " + name +
                  "\n  namespace: " + ns + "\nspec:\n  scaleTargetRef: {name: " + name + "}\n" +
                  "  minReplicaCount: " + std::to_string(min_replicas) + "\n" +
                  "  maxReplicaCount: " + std::to_string(max_replicas) + "\n" +
                  "  pollingInterval: " + std::to_string(polling_interval) + "\n";
  if (cooldown_period >= 0) y += "  cooldownPeriod: " + std::to_string(cooldown_period) + "\n";
  return y + extra_spec + advanced +
         "  triggers:\n"
         "    - type: " +
         trigger_type +
         "\n"
         "      metadata:\n"
         "        scalerAddress: " +
         address +
         "\n"
         "        pool: work\n";
}

void Figure(const std::string& name, const std::string& text) {
  std::printf("[figures] %s: %s\n", name.c_str(), text.c_str());
  std::fflush(stdout);
}

}  // namespace poolscaler::testing
