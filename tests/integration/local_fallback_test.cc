// `poolscaler local`'s model of KEDA's errors and `fallback`, run against a real poolscaler and a
// real redis-server in the scenario tests/kube/keda_fallback_test runs on real KEDA v2.21 (the
// same poolscaler sources and pool, the same ScaledObjects: pollingInterval 2 s, one with
// `fallback: {failureThreshold: 3, replicas: 6}` and one without, an HPA sync of 5 s). Real KEDA
// reached the 6 fallback replicas 9.9-10.0 s after the broker stopped and kept the other one at
// 2; `poolscaler local` must do the same within one HPA sync of that, hold the one without
// fallback, and ask twice per failing observation (KEDA's retry with a rebuilt scaler).
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "local_loop_helpers.h"
#include "support/process.h"
#include "support/scaler_fixture.h"

namespace poolscaler::testing {
namespace {

using std::chrono::seconds;

const std::string kBinary = POOLSCALER_BINARY;
constexpr double kRealKedaSeconds = 10.0;  // README "Measured": real KEDA, 9.9-10.0 s
constexpr double kSyncSeconds = 5;

std::string Deployment(const std::string& name) {
  return "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: " + name +
         "}\nspec:\n  template:\n    spec:\n      terminationGracePeriodSeconds: 1\n"
         "      containers:\n        - name: worker\n          command: [sleep, \"900\"]\n";
}

// The ScaledObjects of tests/kube/keda_fallback_test.
std::string ScaledObject(const std::string& name, bool fallback, const std::string& address) {
  std::string y = "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {name: " + name +
                  "}\nspec:\n  scaleTargetRef: {name: " + name +
                  "}\n  minReplicaCount: 0\n  maxReplicaCount: 10\n  pollingInterval: 2\n"
                  "  cooldownPeriod: 10\n";
  if (fallback) y += "  fallback: {failureThreshold: 3, replicas: 6}\n";
  y += "  advanced:\n    horizontalPodAutoscalerConfig:\n      behavior:\n"
       "        scaleDown:\n          stabilizationWindowSeconds: 0\n"
       "          policies: [{type: Percent, value: 100, periodSeconds: 15}]\n"
       "        scaleUp:\n          stabilizationWindowSeconds: 0\n"
       "          policies: [{type: Percent, value: 1000, periodSeconds: 15}]\n"
       "  triggers:\n    - type: external\n      metadata:\n        scalerAddress: " +
       address + "\n        pool: work\n";
  return y;
}

class LocalFallbackTest : public ScalerFixture {};

TEST_F(LocalFallbackTest, ABrokerOutageFallsBackAsRealKedaDoes) {
  CreateGroup("jobs", "workers");
  AddEntries("jobs", 20);
  StartScaler(
      "sources:\n"
      "  - {name: backlog, type: redis-streams, address: $REDIS, stream: jobs, consumerGroup: "
      "workers, sampleInterval: 1s, staleAfter: 3s}\n"
      "pools:\n"
      "  - name: work\n"
      "    minReplicas: 0\n"
      "    maxReplicas: 10\n"
      "    signals: [{source: backlog, lagThreshold: 10}]\n");
  const std::string address = "127.0.0.1:" + std::to_string(scaler_->grpc_port());
  const std::string manifests = dir_.Write(
      "fallback-local.yaml", Deployment("with-fallback") + "---\n" + Deployment("no-fallback") +
                                 "---\n" + ScaledObject("with-fallback", true, address) + "---\n" +
                                 ScaledObject("no-fallback", false, address));
  const std::string report = dir_.path() + "/report";
  const auto launched = std::chrono::steady_clock::now();
  Process local({kBinary, "local", "--config", manifests, "--hpa-sync-period", "5s", "--duration",
                 "45s", "--report", report, "--plain"},
                dir_.path());
  // Both reach 2 replicas (20 entries / 10) by their second HPA sync, 10 s in; the broker goes
  // away at 18 s. The local clock starts a moment after `launched`, so `stopped_at` is an upper
  // bound of the stop in its time and the measured gap errs on the long side.
  std::this_thread::sleep_for(seconds(18));
  const double stopped_at =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - launched).count();
  redis_->Stop();
  ASSERT_EQ(local.Wait(seconds(90)), 0) << local.Stdout() << local.Stderr();

  std::vector<std::map<std::string, std::string>> rows = ReadCsv(report + "/decisions.csv");
  ASSERT_FALSE(rows.empty()) << local.Stdout();
  std::map<std::string, int> before;  // each ScaledObject's count when the broker stopped
  double fallback_at = -1;
  int failed_observations = 0;
  for (const auto& row : rows) {
    const double t = std::stod(row.at("t"));
    const std::string& so = row.at("pool");
    const int desired = std::stoi(row.at("desired"));
    // Every row, from the start: a poll before poolscaler's first sample fails too.
    if (row.at("error").rfind("GetMetrics:", 0) == 0) ++failed_observations;
    if (t < stopped_at) {
      before[so] = desired;
      continue;
    }
    if (so == "no-fallback") {
      EXPECT_EQ(desired, 2) << "t=" << t << " " << row.at("reason") << " " << row.at("error");
    } else if (fallback_at < 0 && desired == 6) {
      fallback_at = t;
      EXPECT_EQ(row.at("reason"), "fallback");
      EXPECT_EQ(row.at("by"), "hpa");  // the HPA applies it; the operator only counts
    }
  }
  EXPECT_EQ(before["with-fallback"], 2) << local.Stdout();
  EXPECT_EQ(before["no-fallback"], 2) << local.Stdout();
  ASSERT_GE(fallback_at, 0) << local.Stdout();
  const double gap = fallback_at - stopped_at;
  std::printf("fallback replicas %.1f s after the broker stopped (real KEDA: %.1f s)\n", gap,
              kRealKedaSeconds);
  EXPECT_NEAR(gap, kRealKedaSeconds, kSyncSeconds) << local.Stdout();
  // KEDA asks again with a rebuilt scaler after a failed GetMetricsAndActivity: every failing
  // observation in decisions.csv is two GetMetrics calls that poolscaler answered UNAVAILABLE.
  ASSERT_GT(failed_observations, 0);
  EXPECT_EQ(
      MetricValue(R"(poolscaler_grpc_requests_total{code="UNAVAILABLE",method="GetMetrics"})"),
      2 * failed_observations);
}

}  // namespace
}  // namespace poolscaler::testing
