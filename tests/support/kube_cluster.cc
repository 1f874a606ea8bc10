#include "support/kube_cluster.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace poolscaler::testing {
namespace {

std::string MakeWorkDir() {
  std::string tmpl =
      (std::filesystem::temp_directory_path() / "poolscaler-kubectl-XXXXXX").string();
  return mkdtemp(tmpl.data()) ? tmpl : std::filesystem::temp_directory_path().string();
}

}  // namespace

std::unique_ptr<KubeCluster> KubeCluster::FromEnvFile(const std::string& path,
                                                      std::string* error) {
  std::ifstream in(path);
  if (!in) {
    *error = "cannot read " + path + " (is the cluster up? ctest starts it with the fixture test "
             "kube.cluster_up; by hand: scripts/kube up)";
    return nullptr;
  }
  std::map<std::string, std::string> vars;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    vars[line.substr(0, eq)] = line.substr(eq + 1);
  }
  if (vars["KUBECONFIG"].empty() || vars["KUBECTL"].empty()) {
    *error = path + " has no KUBECONFIG or KUBECTL line";
    return nullptr;
  }
  return std::unique_ptr<KubeCluster>(new KubeCluster(std::move(vars), MakeWorkDir()));
}

std::unique_ptr<KubeCluster> KubeCluster::FromEnvironment(std::string* error) {
  const char* path = getenv("POOLSCALER_KUBE_ENV");
  if (path == nullptr || *path == '\0') {
    *error = "POOLSCALER_KUBE_ENV is not set (ctest sets it for the \"kube\" tests; by hand: "
             "POOLSCALER_KUBE_ENV=DIR/cluster.env after scripts/kube up --dir DIR)";
    return nullptr;
  }
  return FromEnvFile(path, error);
}

KubeCluster::KubeCluster(std::map<std::string, std::string> vars, std::string work_dir)
    : vars_(std::move(vars)), work_dir_(std::move(work_dir)) {
  kubeconfig_ = vars_["KUBECONFIG"];
  kubectl_ = vars_["KUBECTL"];
}

KubeCluster::~KubeCluster() {
  std::error_code ec;
  if (work_dir_ != std::filesystem::temp_directory_path().string()) {
    std::filesystem::remove_all(work_dir_, ec);
  }
}

std::string KubeCluster::Var(const std::string& name) const {
  auto it = vars_.find(name);
  return it == vars_.end() ? "" : it->second;
}

RunResult KubeCluster::Kubectl(const std::vector<std::string>& args,
                               std::chrono::milliseconds timeout) const {
  std::vector<std::string> argv{kubectl_};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunToEnd(argv, work_dir_, {"KUBECONFIG=" + kubeconfig_}, timeout);
}

RunResult KubeCluster::ApplyYaml(const std::string& yaml,
                                 const std::vector<std::string>& extra) const {
  std::string file = work_dir_ + "/manifest-" + std::to_string(++serial_) + ".yaml";
  {
    std::ofstream out(file, std::ios::trunc);
    out << yaml;
  }
  std::vector<std::string> args{"apply", "--server-side", "--force-conflicts", "-f", file};
  args.insert(args.end(), extra.begin(), extra.end());
  return Kubectl(args);
}

std::optional<std::string> KubeCluster::JsonPath(const std::string& object, const std::string& ns,
                                                 const std::string& expr) const {
  std::vector<std::string> args{"get", object, "-o", "jsonpath=" + expr};
  if (!ns.empty()) {
    args.push_back("-n");
    args.push_back(ns);
  }
  RunResult r = Kubectl(args, std::chrono::seconds(20));
  if (r.code != 0) return std::nullopt;
  return r.out;
}

std::optional<int> KubeCluster::DeploymentReplicas(const std::string& ns,
                                                   const std::string& name) const {
  std::optional<std::string> v = JsonPath("deployment/" + name, ns, "{.spec.replicas}");
  if (!v) return std::nullopt;
  if (v->empty()) return 1;  // the API's default when spec.replicas is unset
  try {
    return std::stoi(*v);
  } catch (...) {
    return std::nullopt;
  }
}

std::string KubeCluster::Condition(const std::string& object, const std::string& ns,
                                   const std::string& type) const {
  return JsonPath(object, ns, "{.status.conditions[?(@.type==\"" + type + "\")].status}")
      .value_or("");
}

std::string KubeCluster::LogTail(const std::string& component, size_t bytes) const {
  return FileTail(Var("KUBE_DIR") + "/logs/" + component + ".log", bytes);
}

KubeNamespace::KubeNamespace(const KubeCluster& cluster, std::string name)
    : cluster_(cluster), name_(std::move(name)) {
  // A namespace left over by an earlier run of the same test is deleted first (and waited for:
  // a namespace being deleted refuses new objects).
  cluster_.Kubectl({"delete", "namespace", name_, "--ignore-not-found", "--wait=true",
                    "--timeout=120s"},
                   std::chrono::seconds(130));
  RunResult r = cluster_.Kubectl({"create", "namespace", name_});
  ok_ = r.code == 0;
  if (!ok_) error_ = "kubectl create namespace " + name_ + ": " + r.err;
}

KubeNamespace::~KubeNamespace() {
  if (ok_) cluster_.Kubectl({"delete", "namespace", name_, "--wait=false"});
}

}  // namespace poolscaler::testing
