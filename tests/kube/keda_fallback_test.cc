// What real KEDA does when poolscaler cannot answer. poolscaler never makes up a number: a
// failing or stale source gives UNAVAILABLE, so KEDA's fallback applies. Measured for a
// ScaledObject with `fallback` and one without, on one pool:
//   1. the broker goes away (poolscaler up, its source failing);
//   2. the broker is back;
//   3. poolscaler itself is stopped (KEDA's gRPC calls fail to connect).
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "kube/kube_e2e.h"
#include "support/redis_server.h"

namespace poolscaler::testing {
namespace {

using std::chrono::seconds;

constexpr int kFallbackReplicas = 6;
constexpr int kFailureThreshold = 3;
constexpr int kPolling = 2;
constexpr int kKedaCooldown = 10;

std::string ScaledObject(const std::string& ns, const std::string& name, bool fallback,
                         const std::string& address) {
  std::string y =
      "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata:\n  name: " + name +
      "\n  namespace: " + ns +
      "\nspec:\n"
      "  scaleTargetRef: {name: " + name + "}\n"
      "  minReplicaCount: 0\n"
      "  maxReplicaCount: 10\n"
      "  pollingInterval: " + std::to_string(kPolling) + "\n"
      "  cooldownPeriod: " + std::to_string(kKedaCooldown) + "\n";
  if (fallback) {
    y += "  fallback:\n    failureThreshold: " + std::to_string(kFailureThreshold) +
         "\n    replicas: " + std::to_string(kFallbackReplicas) + "\n";
  }
  y += "  advanced:\n"
       "    horizontalPodAutoscalerConfig:\n"
       "      behavior:\n"
       "        scaleDown:\n"
       "          stabilizationWindowSeconds: 0\n"
       "          policies: [{type: Percent, value: 100, periodSeconds: 15}]\n"
       "        scaleUp:\n"
       "          stabilizationWindowSeconds: 0\n"
       "          policies: [{type: Percent, value: 1000, periodSeconds: 15}]\n"
       "  triggers:\n"
       "    - type: external\n"
       "      metadata:\n"
       "        scalerAddress: " + address + "\n"
       "        pool: work\n";
  return y;
}

class KedaFallbackTest : public KubeE2ETest {};

TEST_F(KedaFallbackTest, SourceFailureAndPoolscalerStopped) {
  const std::string ns = "e2e-fallback";
  KubeNamespace space(*cluster_, ns);
  ASSERT_TRUE(space.ok()) << space.error();
  auto redis = RedisServer::Start();
  ASSERT_TRUE(redis);
  auto fill = [&] {
    RedisReply r = redis->Command({"XGROUP", "CREATE", "jobs", "workers", "$", "MKSTREAM"});
    ASSERT_NE(r.kind, RedisReply::kError) << r.str;
    for (int i = 0; i < 20; ++i) redis->Command({"XADD", "jobs", "*", "job", "x"});
  };
  fill();
  std::string error;
  auto scaler = PoolscalerProcess::Start(
      "sources:\n"
      "  - {name: backlog, type: redis-streams, address: " + redis->address() +
          ", stream: jobs, consumerGroup: workers, sampleInterval: 1s, staleAfter: 3s}\n"
      "pools:\n"
      "  - name: work\n"
      "    minReplicas: 0\n"
      "    maxReplicas: 10\n"
      "    signals: [{source: backlog, lagThreshold: 10}]\n",
      dir_, {}, &error);
  ASSERT_TRUE(scaler) << error;
  Apply(DeploymentYaml(ns, "with-fallback") + "---\n" + DeploymentYaml(ns, "no-fallback") +
        "---\n" + ScaledObject(ns, "with-fallback", true, scaler->grpc_address()) + "---\n" +
        ScaledObject(ns, "no-fallback", false, scaler->grpc_address()));
  for (const char* so : {"with-fallback", "no-fallback"}) {
    ASSERT_TRUE(WaitReady(std::string("scaledobject/") + so, ns)) << Describe(ns);
    ASSERT_TRUE(WaitReplicas(ns, so, [](int r) { return r == 2; }, seconds(90)))
        << History(ns, so) << Describe(ns);
  }

  // 1. The broker goes away.
  ResetClock();
  redis->Stop();
  auto fb = WaitReplicas(ns, "with-fallback", [](int r) { return r == kFallbackReplicas; },
                         seconds(120));
  ASSERT_TRUE(fb) << History(ns, "with-fallback") << Describe(ns) << scaler->HttpGet("/pools");
  EXPECT_TRUE(WaitUntil(
      [&] { return cluster_->Condition("scaledobject/with-fallback", ns, "Fallback") == "True"; },
      seconds(30)))
      << Describe(ns);
  // Without fallback KEDA keeps the replicas (the HPA cannot read the metric, KEDA does not go
  // to 0 on an error), for longer than cooldownPeriod.
  std::vector<int> kept = WatchReplicas(ns, "no-fallback", seconds(kKedaCooldown + 15));
  for (int r : kept) EXPECT_EQ(r, 2) << History(ns, "no-fallback");
  const std::string no_fb_ready = cluster_->Condition("scaledobject/no-fallback", ns, "Ready");
  const double t_source_down = *fb;

  // 2. The broker is back (empty: redis-server here keeps no data), with the same backlog.
  ResetClock();
  ASSERT_TRUE(redis->Restart());
  fill();
  auto back = WaitReplicas(ns, "with-fallback", [](int r) { return r == 2; }, seconds(120));
  ASSERT_TRUE(back) << History(ns, "with-fallback") << Describe(ns) << scaler->HttpGet("/pools");
  EXPECT_TRUE(WaitUntil(
      [&] { return cluster_->Condition("scaledobject/with-fallback", ns, "Fallback") == "False"; },
      seconds(30)))
      << Describe(ns);

  // 3. poolscaler stops.
  ResetClock();
  scaler->Stop();
  auto fb_stopped = WaitReplicas(
      ns, "with-fallback", [](int r) { return r == kFallbackReplicas; }, seconds(120));
  ASSERT_TRUE(fb_stopped) << History(ns, "with-fallback") << Describe(ns);
  kept = WatchReplicas(ns, "no-fallback", seconds(kKedaCooldown + 15));
  for (int r : kept) EXPECT_EQ(r, 2) << History(ns, "no-fallback");
  const std::string no_fb_ready_stopped =
      cluster_->Condition("scaledobject/no-fallback", ns, "Ready");

  char buf[512];
  std::snprintf(buf, sizeof(buf),
                "source down: fallback %d replicas after %.1f s (failureThreshold %d, polling "
                "%d s), no fallback kept 2 for %d s (Ready=%s); source back: 2 again after "
                "%.1f s; poolscaler stopped: fallback after %.1f s, no fallback kept 2 for %d s "
                "(Ready=%s)",
                kFallbackReplicas, t_source_down, kFailureThreshold, kPolling, kKedaCooldown + 15,
                no_fb_ready.c_str(), *back, *fb_stopped, kKedaCooldown + 15,
                no_fb_ready_stopped.c_str());
  Figure("kube fallback", buf);
}

}  // namespace
}  // namespace poolscaler::testing
