// The HPA's tolerance band in pool mode, through real KEDA and the real HPA: KEDA passes a
// ScaledObject's behavior.scaleUp/scaleDown.tolerance to the HPA it creates (Kubernetes 1.37:
// HPAConfigurableTolerance is GA). With `tolerance: 0` (what deploy/examples set) a pool target
// of 21 at 20 replicas is applied; with the default 10 % band the HPA keeps 20.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "kube/kube_e2e.h"
#include "support/redis_server.h"

namespace poolscaler::testing {
namespace {

using std::chrono::seconds;

std::string ScaledObject(const std::string& ns, const std::string& name, bool zero_tolerance,
                         const std::string& address) {
  PoolScaledObject so;
  so.ns = ns;
  so.name = name;
  so.address = address;
  so.max_replicas = 30;
  so.advanced = PassThroughBehavior(zero_tolerance ? "0" : "");
  return so.Yaml();
}

class KedaToleranceTest : public KubeE2ETest {};

TEST_F(KedaToleranceTest, ZeroToleranceAppliesTheExactPoolTarget) {
  const std::string ns = "e2e-tolerance";
  KubeNamespace space(*cluster_, ns);
  ASSERT_TRUE(space.ok()) << space.error();
  auto redis = RedisServer::Start();
  ASSERT_TRUE(redis);
  RedisReply r = redis->Command({"XGROUP", "CREATE", "jobs", "workers", "$", "MKSTREAM"});
  ASSERT_NE(r.kind, RedisReply::kError) << r.str;
  auto add = [&](int n) {
    for (int i = 0; i < n; ++i) redis->Command({"XADD", "jobs", "*", "job", "x"});
  };
  // One replica per entry, and poolscaler's own band at 0 too, so the pool target is exact.
  std::string error;
  auto scaler = PoolscalerProcess::Start(
      "sources:\n"
      "  - {name: backlog, type: redis-streams, address: " + redis->address() +
          ", stream: jobs, consumerGroup: workers, sampleInterval: 1s}\n"
      "pools:\n"
      "  - name: work\n"
      "    minReplicas: 0\n"
      "    maxReplicas: 30\n"
      "    cooldownSeconds: 30\n"
      "    behavior:\n"
      "      scaleUp: {tolerance: 0, policies: [{type: Percent, value: 1000, periodSeconds: 15}]}\n"
      "      scaleDown: {tolerance: 0, stabilizationWindowSeconds: 0}\n"
      "    signals: [{source: backlog, lagThreshold: 1}]\n",
      dir_, {}, &error);
  ASSERT_TRUE(scaler) << error;
  add(20);
  Apply(DeploymentYaml(ns, "exact") + "---\n" + DeploymentYaml(ns, "banded") + "---\n" +
        ScaledObject(ns, "exact", true, scaler->grpc_address()) + "---\n" +
        ScaledObject(ns, "banded", false, scaler->grpc_address()));
  auto at20 = WaitEach(ns, {"exact", "banded"}, [](int n) { return n == 20; }, seconds(120));
  ASSERT_TRUE(at20[0] && at20[1]) << History(ns, "exact") << " / " << History(ns, "banded")
                                  << Describe(ns) << scaler->HttpGet("/pools");
  // KEDA copied the field into its HPA.
  std::optional<std::string> up = cluster_->JsonPath(
      "hpa/keda-hpa-exact", ns, "{.spec.behavior.scaleUp.tolerance}");
  EXPECT_EQ(up.value_or("?"), "0") << Describe(ns);

  // 21: 5 % above 20 replicas.
  ResetClock();
  add(1);
  auto exact = WaitReplicas(ns, "exact", [](int n) { return n == 21; }, seconds(60));
  ASSERT_TRUE(exact) << History(ns, "exact") << Describe(ns) << scaler->HttpGet("/pools");
  // Three HPA syncs later the banded one still holds 20 (21 / 20 = 1.05 is inside 1 ± 0.1).
  std::vector<int> banded = WatchReplicas(ns, "banded", seconds(20));
  for (int n : banded) EXPECT_EQ(n, 20) << History(ns, "banded");
  // 23 is 15 % above: outside the band, both follow.
  const double t_23 = Now();
  add(2);
  auto both = WaitEach(ns, {"exact", "banded"}, [](int n) { return n == 23; }, seconds(60));
  ASSERT_TRUE(both[0] && both[1]) << History(ns, "exact") << " / " << History(ns, "banded")
                                  << Describe(ns);

  char buf[256];
  std::snprintf(buf, sizeof(buf),
                "pool target 20 → 21: tolerance 0 applied it after %.1f s, the default band kept "
                "20 for %zu checks over 20 s; → 23: both followed (%.1f s after the 23rd entry)",
                *exact, banded.size(), std::max(*both[0], *both[1]) - t_23);
  Figure("kube tolerance", buf);
}

}  // namespace
}  // namespace poolscaler::testing
