// Raw mode through real KEDA: trigger metadata written as for KEDA's own Redis Streams scaler
// (no poolscaler config), on a ScaledObject (KEDA + HPA: ceil(lag / lagThreshold) replicas)
// and on a ScaledJob (KEDA creates ceil(lag / lagThreshold) Jobs).
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "kube/kube_e2e.h"
#include "support/redis_server.h"

namespace poolscaler::testing {
namespace {

using std::chrono::seconds;

class KedaRawTest : public KubeE2ETest {
 protected:
  void SetUp() override {
    KubeE2ETest::SetUp();
    if (HasFatalFailure()) return;
    redis_ = RedisServer::Start();
    ASSERT_TRUE(redis_);
    std::string error;
    // No config: raw mode only, as a platform team would run it behind KEDA.
    scaler_ = PoolscalerProcess::Start("", dir_, {}, &error);
    ASSERT_TRUE(scaler_) << error;
  }
  void CreateGroup(const std::string& stream) {
    RedisReply r = redis_->Command({"XGROUP", "CREATE", stream, "workers", "$", "MKSTREAM"});
    ASSERT_NE(r.kind, RedisReply::kError) << r.str;
  }
  void Add(const std::string& stream, int n) {
    for (int i = 0; i < n; ++i) {
      RedisReply r = redis_->Command({"XADD", stream, "*", "job", std::to_string(i)});
      ASSERT_EQ(r.kind, RedisReply::kString) << r.str;
    }
  }
  void DrainAll(const std::string& stream) {
    RedisReply got = redis_->Command(
        {"XREADGROUP", "GROUP", "workers", "w1", "COUNT", "10000", "STREAMS", stream, ">"});
    ASSERT_EQ(got.kind, RedisReply::kArray) << got.str;
    std::vector<std::string> ack{"XACK", stream, "workers"};
    for (const RedisReply& e : got.elements[0].elements[1].elements) {
      ack.push_back(e.elements[0].str);
    }
    RedisReply acked = redis_->Command(ack);
    ASSERT_EQ(acked.kind, RedisReply::kInteger) << acked.str;
  }
  // The trigger as KEDA users write it for redis-streams (string values), plus poolscaler's
  // scalerAddress and source.
  std::string Trigger(const std::string& stream) const {
    return "    - type: external\n"
           "      metadata:\n"
           "        scalerAddress: " + scaler_->grpc_address() + "\n"
           "        source: redis-streams\n"
           "        address: " + redis_->address() + "\n"
           "        stream: " + stream + "\n"
           "        consumerGroup: workers\n"
           "        lagCount: \"10\"\n"
           "        activationLagCount: \"0\"\n"
           "        sampleInterval: 1s\n";
  }

  std::unique_ptr<RedisServer> redis_;
  std::unique_ptr<PoolscalerProcess> scaler_;
};

TEST_F(KedaRawTest, ScaledObjectWithKedaStyleMetadata) {
  const std::string ns = "e2e-raw";
  KubeNamespace space(*cluster_, ns);
  ASSERT_TRUE(space.ok()) << space.error();
  CreateGroup("jobs");
  Apply(DeploymentYaml(ns, "worker") +
        "---\napiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata:\n  name: worker\n"
        "  namespace: " + ns + "\n"
        "spec:\n"
        "  scaleTargetRef: {name: worker}\n"
        "  minReplicaCount: 0\n"
        "  maxReplicaCount: 20\n"
        "  pollingInterval: 2\n"
        "  cooldownPeriod: 10\n"
        "  triggers:\n" + Trigger("jobs"));
  ASSERT_TRUE(WaitReady("scaledobject/worker", ns)) << Describe(ns);
  // lagCount selects the undelivered measure; 35 undelivered / 10 per replica → 4.
  ResetClock();
  Add("jobs", 35);
  auto four = WaitReplicas(ns, "worker", [](int r) { return r == 4; }, seconds(90));
  ASSERT_TRUE(four) << History(ns, "worker") << Describe(ns) << scaler_->LogTail();
  Add("jobs", 35);
  auto seven = WaitReplicas(ns, "worker", [](int r) { return r == 7; }, seconds(90));
  ASSERT_TRUE(seven) << History(ns, "worker") << Describe(ns);
  // The HPA reads KEDA's metric with the target poolscaler gave in GetMetricSpec.
  std::optional<std::string> target = cluster_->JsonPath(
      "hpa/keda-hpa-worker", ns, "{.spec.metrics[0].external.target.averageValue}");
  EXPECT_EQ(target.value_or("?"), "10");
  DrainAll("jobs");
  const double t_drained = Now();
  auto zero = WaitReplicas(ns, "worker", [](int r) { return r == 0; }, seconds(90));
  ASSERT_TRUE(zero) << History(ns, "worker") << Describe(ns);
  char buf[200];
  std::snprintf(buf, sizeof(buf), "35 → 4 replicas at %.1f s, 70 → 7 at %.1f s, 0 %.1f s after "
                "the drain (cooldownPeriod 10 s)", *four, *seven, *zero - t_drained);
  Figure("kube raw redis scaledobject", buf);
}

TEST_F(KedaRawTest, ScaledJob) {
  const std::string ns = "e2e-scaledjob";
  KubeNamespace space(*cluster_, ns);
  ASSERT_TRUE(space.ok()) << space.error();
  CreateGroup("batch");
  Apply("apiVersion: keda.sh/v1alpha1\nkind: ScaledJob\nmetadata:\n  name: batch\n"
        "  namespace: " + ns + "\n"
        "spec:\n"
        "  pollingInterval: 2\n"
        "  maxReplicaCount: 10\n"
        "  successfulJobsHistoryLimit: 5\n"
        "  failedJobsHistoryLimit: 5\n"
        "  jobTargetRef:\n"
        "    backoffLimit: 0\n"
        "    template:\n"
        "      spec:\n"
        "        restartPolicy: Never\n"
        "        containers:\n"
        "          - name: batch\n"
        // Never pulled: without a kubelet the Jobs' Pods stay Pending, so every Job KEDA
        // creates stays running and is counted by KEDA.
        "            image: registry.invalid/poolscaler-e2e-batch:never\n"
        "  triggers:\n" + Trigger("batch"));
  ASSERT_TRUE(WaitReady("scaledjob/batch", ns)) << Describe(ns);
  auto jobs = [&]() -> int {
    RunResult r = cluster_->Kubectl({"get", "jobs", "-n", ns, "-o", "name"});
    if (r.code != 0) return -1;
    int n = 0;
    for (char c : r.out) n += c == '\n';
    return n;
  };
  EXPECT_EQ(jobs(), 0);
  ResetClock();
  Add("batch", 30);  // 30 / 10 per job → 3 Jobs
  ASSERT_TRUE(WaitUntil([&] { return jobs() >= 3; }, seconds(60))) << Describe(ns);
  const double t_three = Now();
  // And no more: KEDA counts the running Jobs against the 3 the backlog asks for.
  int most = 0;
  WaitUntil(
      [&] {
        most = std::max(most, jobs());
        return false;
      },
      seconds(12));
  EXPECT_EQ(most, 3) << Describe(ns);
  Add("batch", 20);  // 50 → 5 Jobs in all
  ASSERT_TRUE(WaitUntil([&] { return jobs() >= 5; }, seconds(60))) << Describe(ns);
  const double t_five = Now();
  WaitUntil(
      [&] {
        most = std::max(most, jobs());
        return false;
      },
      seconds(8));
  EXPECT_EQ(most, 5) << Describe(ns);
  char buf[160];
  std::snprintf(buf, sizeof(buf), "30 entries → 3 Jobs at %.1f s; 50 → 5 Jobs at %.1f s "
                "(pollingInterval 2 s)", t_three, t_five);
  Figure("kube raw redis scaledjob", buf);
}

}  // namespace
}  // namespace poolscaler::testing
