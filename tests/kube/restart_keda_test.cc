// The restart of issue 19 through real KEDA and the real HPA: a Deployment at 20 replicas under a
// pool-mode ScaledObject (the HPA's own stabilization 0, so poolscaler's answer passes through),
// the backlog cut to 2 replicas of work, poolscaler restarted with SIGTERM and then SIGKILL
// inside its 60 s scale-down window. The Deployment's spec.replicas, as the API server reports
// it, stays at 20 until the window has passed and then goes to 2.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <thread>

#include "kube/kube_e2e.h"
#include "support/redis_server.h"

namespace poolscaler::testing {
namespace {

using std::chrono::seconds;

constexpr int kWindow = 60;

// `named`: the pool names its workload (scaleTargetRef); otherwise poolscaler finds it from the
// ScaledObject whose trigger names the pool (kubernetes.workloadsFromScaledObjects).
std::string Config(const std::string& redis, const std::string& kubeconfig, const std::string& ns,
                   bool named) {
  return RestartPoolConfig(redis, kubeconfig, {kWindow, 1, named ? ns : "", !named});
}

std::string ScaledObjectYaml(const std::string& ns, const std::string& address) {
  PoolScaledObject so;
  so.ns = ns;
  so.address = address;
  so.min_replicas = 1;
  so.max_replicas = 100;
  so.polling_interval = 5;
  return so.Yaml();
}

class RestartKedaTest : public KubeE2ETest {
 protected:
  void Run(bool named);
};

TEST_F(RestartKedaTest, ARolledScalerDoesNotShrinkTheFleetInsideTheWindow) { Run(true); }

// The same without a scaleTargetRef: the restarted process lists the ScaledObjects before it is
// ready and takes the workload of the one whose trigger names the pool.
TEST_F(RestartKedaTest, TheWorkloadOfTheAskingScaledObjectIsFoundAfterARestart) { Run(false); }

void RestartKedaTest::Run(bool named) {
  const std::string label = named ? "scaleTargetRef" : "from the ScaledObject";
  KubeNamespace ns(*cluster_, named ? "restart-keda" : "restart-keda-so");
  ASSERT_TRUE(ns.ok()) << ns.error();
  auto redis = RedisServer::Start();
  ASSERT_TRUE(redis);
  auto backlog = [&](int entries) {
    redis->Command({"DEL", "jobs"});
    redis->Command({"XGROUP", "CREATE", "jobs", "workers", "$", "MKSTREAM"});
    for (int i = 0; i < entries; ++i) redis->Command({"XADD", "jobs", "*", "job", "x"});
  };
  backlog(200);  // 20 replicas of work
  std::string error;
  auto scaler = PoolscalerProcess::Start(
      Config(redis->address(), cluster_->kubeconfig(), ns.name(), named), dir_, {}, &error);
  ASSERT_TRUE(scaler) << error;
  Apply(DeploymentYaml(ns.name(), "work", 20) + "---\n" +
        ScaledObjectYaml(ns.name(), scaler->grpc_address()));
  ASSERT_TRUE(WaitReady("scaledobject/work", ns.name())) << Describe(ns.name());
  // The HPA has acted on poolscaler's answer at least once: it asked for the metric.
  ASSERT_TRUE(WaitUntil(
      [&] {
        return scaler->Metric("poolscaler_grpc_requests_total", {"method=\"GetMetrics\""}) >= 2;
      },
      seconds(90)))
      << Describe(ns.name()) << scaler->LogTail();
  if (!named) {
    // The first process started before the ScaledObject existed, so its pool began without the
    // workload (and may have ramped from 1 under the rate policies); its next list finds it.
    ASSERT_TRUE(WaitUntil(
        [&] { return scaler->Metric("poolscaler_pool_workload_known", {"pool=\"work\""}) == 1; },
        seconds(90)))
        << scaler->HttpGet("/pools") << scaler->LogTail();
  }
  ASSERT_TRUE(WaitReplicas(
      ns.name(), "work", [](int r) { return r == 20; }, seconds(120)))
      << History(ns.name(), "work") << Describe(ns.name());

  ResetClock();
  backlog(20);  // 2 replicas of work from now on
  std::this_thread::sleep_for(seconds(5));
  ASSERT_TRUE(scaler->Restart(&error)) << "SIGTERM: " << error;
  const double sigterm_at = Now();
  std::vector<int> seen = WatchReplicas(ns.name(), "work", seconds(15));
  scaler->Kill();
  ASSERT_TRUE(scaler->Restart(&error)) << "SIGKILL: " << error;
  const double sigkill_at = Now();
  const std::string pools = scaler->HttpGet("/pools");
  EXPECT_NE(pools.find("\"windowSeed\": \"kubernetes\""), std::string::npos) << pools;
  // Watch until 10 s before the window ends (the window started at the cut, at 0 s).
  std::vector<int> later =
      WatchReplicas(ns.name(), "work", seconds(static_cast<int>(kWindow - 10 - Now())));
  seen.insert(seen.end(), later.begin(), later.end());
  const int lowest = seen.empty() ? -1 : *std::min_element(seen.begin(), seen.end());
  Figure("restart-keda", label + ": restarts at " + std::to_string(sigterm_at) +
                             " s (SIGTERM) and " + std::to_string(sigkill_at) +
                             " s (SIGKILL): lowest spec.replicas " + "until " +
                             std::to_string(kWindow - 10) + " s " + std::to_string(lowest) +
                             " (window " + std::to_string(kWindow) + " s, work for 2)");
  EXPECT_EQ(lowest, 20) << History(ns.name(), "work") << Describe(ns.name()) << scaler->LogTail();

  // After the window the fleet goes down as configured.
  auto down = WaitReplicas(
      ns.name(), "work", [](int r) { return r == 2; }, seconds(90));
  ASSERT_TRUE(down) << History(ns.name(), "work") << Describe(ns.name()) << scaler->LogTail();
  Figure("restart-keda", label + ": at 2 replicas after " + std::to_string(*down) + " s (window " +
                             std::to_string(kWindow) + " s from the cut)");
  EXPECT_GE(*down, kWindow - 1.0) << History(ns.name(), "work");
}

}  // namespace
}  // namespace poolscaler::testing
