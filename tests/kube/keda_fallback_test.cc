// What real KEDA does when poolscaler cannot answer. poolscaler never makes up a number: a
// failing or stale source gives UNAVAILABLE, so KEDA's fallback applies. Measured for a
// ScaledObject with `fallback` and one without, on one pool:
//   1. the broker goes away (poolscaler up, its source failing);
//   2. the broker is back;
//   3. poolscaler itself is stopped (KEDA's gRPC calls fail to connect);
//   4. poolscaler is started again on the same address.
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
  PoolScaledObject so;
  so.ns = ns;
  so.name = name;
  so.address = address;
  so.polling_interval = kPolling;
  so.cooldown_period = kKedaCooldown;
  if (fallback) {
    so.extra_spec = "  fallback:\n    failureThreshold: " + std::to_string(kFailureThreshold) +
                    "\n    replicas: " + std::to_string(kFallbackReplicas) + "\n";
  }
  return so.Yaml();
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

  // 3. poolscaler stops. KEDA's GetMetricSpec call fails, it drops its scaler cache on the
  // error and the rebuilt scaler has no metric spec, so no metric is ever matched to a fallback
  // (pkg/scaling/scale_handler.go, GetScaledObjectMetrics): the HPA cannot read the metric and
  // keeps the Deployment where it is, and KEDA's operator does not go to 0 on an error. Both
  // Deployments hold 2, with or without `fallback`, for longer than failureThreshold polls plus
  // cooldownPeriod.
  ResetClock();
  scaler->Stop();
  // The HPA's ScalingActive condition is what changes; KEDA's own Ready condition is not
  // reliable here (its status is refreshed when a poll errors, and the rebuilt scaler's empty
  // metric spec is not always an error), so it is recorded, not asserted.
  auto inactive = WaitUntil(
      [&] {
        return cluster_->Condition("hpa/keda-hpa-with-fallback", ns, "ScalingActive") == "False";
      },
      seconds(90));
  ASSERT_TRUE(inactive) << Describe(ns);
  const double t_inactive = Now();
  const int hold = kFailureThreshold * kPolling + kKedaCooldown + 20;
  for (const char* so : {"with-fallback", "no-fallback"}) {
    kept = WatchReplicas(ns, so, seconds(hold / 2));
    for (int r : kept) EXPECT_EQ(r, 2) << so << ": " << History(ns, so) << Describe(ns);
  }
  EXPECT_NE(cluster_->Condition("scaledobject/with-fallback", ns, "Fallback"), "True")
      << Describe(ns);
  const std::string stopped_ready =
      cluster_->Condition("scaledobject/with-fallback", ns, "Ready") + "/" +
      cluster_->Condition("scaledobject/no-fallback", ns, "Ready");

  // 4. poolscaler is back on the same address with a bigger backlog: both ScaledObjects
  // recover on their own (KEDA rebuilds the scaler on its next poll) and follow it.
  for (int i = 0; i < 20; ++i) redis->Command({"XADD", "jobs", "*", "job", "x"});
  ResetClock();
  ASSERT_TRUE(scaler->Restart(&error)) << error;
  auto recovered_both =
      WaitEach(ns, {"with-fallback", "no-fallback"}, [](int r) { return r == 4; }, seconds(120));
  const std::optional<double> recovered = recovered_both[0], recovered_no_fb = recovered_both[1];
  ASSERT_TRUE(recovered) << History(ns, "with-fallback") << Describe(ns);
  ASSERT_TRUE(recovered_no_fb) << History(ns, "no-fallback") << Describe(ns);
  for (const char* so : {"with-fallback", "no-fallback"}) {
    EXPECT_TRUE(WaitReady(std::string("scaledobject/") + so, ns)) << Describe(ns);
  }

  char buf[768];
  std::snprintf(buf, sizeof(buf),
                "source down: fallback %d replicas after %.1f s (failureThreshold %d, polling "
                "%d s), no fallback kept 2 for %d s (Ready=%s); source back: 2 again after "
                "%.1f s; poolscaler stopped: HPA ScalingActive=False after %.1f s, both kept 2 "
                "for %d s (no fallback even with `fallback`; Ready with/without fallback: %s); "
                "poolscaler restarted "
                "with 40 entries: 4 replicas after %.1f s (with fallback) and %.1f s (without)",
                kFallbackReplicas, t_source_down, kFailureThreshold, kPolling, kKedaCooldown + 15,
                no_fb_ready.c_str(), *back, t_inactive, hold, stopped_ready.c_str(), *recovered,
                *recovered_no_fb);
  Figure("kube fallback", buf);
}

}  // namespace
}  // namespace poolscaler::testing
