// Restart safety with the workload's replica count from the real API server: a pool at 20
// replicas (the Deployment's spec.replicas) with a 120 s scale-down window, the backlog cut to 2
// replicas of work, poolscaler restarted (SIGTERM, and SIGKILL): every GetMetrics answer inside
// the window stays at 20, because the restarted process seeds its window from /scale before it
// reports ready. The same restart without a scaleTargetRef shows the drop the seed prevents.
// A `kubectl scale` to 30 is picked up within one read and rates start from it. Two instances
// agree, and a client that fails over from one to the other sees no drop.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <thread>

#include "kube/kube_e2e.h"
#include "support/keda_client.h"
#include "support/redis_server.h"

namespace poolscaler::testing {
namespace {

using std::chrono::seconds;

constexpr int kWindow = 120;

// with_target: the pool names its Deployment in `ns`.
std::string Config(const std::string& redis, const std::string& kubeconfig, const std::string& ns,
                   bool with_target) {
  return RestartPoolConfig(redis, kubeconfig, {kWindow, 0, with_target ? ns : "", false});
}

class RestartTest : public KubeE2ETest {
 protected:
  void SetUp() override {
    KubeE2ETest::SetUp();
    redis_ = RedisServer::Start();
    ASSERT_TRUE(redis_);
    redis_->Command({"XGROUP", "CREATE", "jobs", "workers", "$", "MKSTREAM"});
  }
  void Backlog(int entries) {
    redis_->Command({"DEL", "jobs"});
    redis_->Command({"XGROUP", "CREATE", "jobs", "workers", "$", "MKSTREAM"});
    for (int i = 0; i < entries; ++i) redis_->Command({"XADD", "jobs", "*", "job", "x"});
  }
  // The replicas the HPA would set from the pool's answer; -1 on an error.
  long long Answer(const std::string& address) {
    KedaClient client(address);
    Poll p = client.PollOnce({{"pool", "work"}});
    return p.status.ok() ? p.HpaReplicas() : -1;
  }
  std::unique_ptr<RedisServer> redis_;
};

TEST_F(RestartTest, TheWindowSurvivesSigtermAndSigkill) {
  KubeNamespace ns(*cluster_, "restart");
  ASSERT_TRUE(ns.ok()) << ns.error();
  Apply(DeploymentYaml(ns.name(), "work", 20));
  Backlog(200);  // 20 replicas of work
  std::string error;
  auto scaler = PoolscalerProcess::Start(
      Config(redis_->address(), cluster_->kubeconfig(), ns.name(), true), dir_, {}, &error);
  ASSERT_TRUE(scaler) << error;
  ASSERT_TRUE(WaitUntil([&] { return Answer(scaler->grpc_address()) == 20; }, seconds(20)));
  Backlog(20);  // 2 replicas of work
  for (const char* how : {"SIGTERM", "SIGKILL"}) {
    if (std::string(how) == "SIGKILL") scaler->Kill();
    ASSERT_TRUE(scaler->Restart(&error)) << how << ": " << error;
    const std::string pools = scaler->HttpGet("/pools");
    EXPECT_NE(pools.find("\"windowSeed\": \"kubernetes\""), std::string::npos) << pools;
    long long lowest = 1 << 30;
    for (int i = 0; i < 20; ++i) {  // 5 s of answers right after the restart
      long long a = Answer(scaler->grpc_address());
      ASSERT_GE(a, 0) << how << " answer " << i;
      lowest = std::min(lowest, a);
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    Figure("restart", std::string(how) + ": lowest answer in the 5 s after the restart " +
                          std::to_string(lowest) + " (workload at 20, work for 2)");
    EXPECT_EQ(lowest, 20) << how << "\n" << scaler->LogTail();
    EXPECT_EQ(scaler->Metric("poolscaler_pool_window_seeded", {"pool=\"work\""}), 1);
    EXPECT_EQ(scaler->Metric("poolscaler_pool_current_replicas", {"from=\"kubernetes\""}), 20);
  }

  // kubectl scale 20 → 30: taken as news within a read or two (the unit test
  // ObserveReplicas.AManualScaleIsAdoptedAndRatesStartFromIt shows the rates starting from it;
  // here nothing applies poolscaler's answers, so the workload stays at 30).
  ASSERT_EQ(cluster_->Kubectl({"scale", "deployment/work", "-n", ns.name(), "--replicas=30"}).code,
            0);
  ResetClock();
  EXPECT_TRUE(WaitUntil(
      [&] {
        return scaler->Metric("poolscaler_pool_workload_changes_adopted_total",
                              {"pool=\"work\""}) >= 1;
      },
      seconds(10)))
      << scaler->HttpGet("/pools");
  Figure("restart", "kubectl scale 20 -> 30 adopted after " + std::to_string(Now()) + " s");
  EXPECT_NE(scaler->HttpGet("/pools").find("\"specReplicas\": 30"), std::string::npos);
}

TEST_F(RestartTest, WithoutAWorkloadTheRestartForgetsTheWindow) {
  Backlog(200);
  std::string error;
  auto scaler = PoolscalerProcess::Start(
      Config(redis_->address(), cluster_->kubeconfig(), "unused", false), dir_, {}, &error);
  ASSERT_TRUE(scaler) << error;
  ASSERT_TRUE(WaitUntil([&] { return Answer(scaler->grpc_address()) == 20; }, seconds(20)));
  Backlog(20);
  ASSERT_TRUE(scaler->Restart(&error)) << error;
  long long a = Answer(scaler->grpc_address());
  Figure("restart", "no scaleTargetRef: first answer after the restart " + std::to_string(a) +
                        " (the risk README states)");
  EXPECT_EQ(a, 2);
  EXPECT_NE(scaler->HttpGet("/pools").find("\"windowSeed\": \"none\""), std::string::npos);
  EXPECT_EQ(scaler->Metric("poolscaler_pool_window_seeded", {"pool=\"work\""}), 0);
}

// Two instances on the same brokers and workload (deploy/base runs 2): at steady state they
// answer the same count; a client whose instance is killed moves to the other and sees no
// answer below the window, and no error beyond the one poll that found the first one gone.
TEST_F(RestartTest, TwoInstancesAgreeAndAClientFailsOverWithoutADrop) {
  KubeNamespace ns(*cluster_, "failover");
  ASSERT_TRUE(ns.ok()) << ns.error();
  Apply(DeploymentYaml(ns.name(), "work", 20));
  Backlog(200);
  const std::string config = Config(redis_->address(), cluster_->kubeconfig(), ns.name(), true);
  std::string error;
  auto first = PoolscalerProcess::Start(config, dir_, {}, &error);
  ASSERT_TRUE(first) << error;
  auto second = PoolscalerProcess::Start(config, dir_, {}, &error);
  ASSERT_TRUE(second) << error;
  ASSERT_TRUE(WaitUntil(
      [&] { return Answer(first->grpc_address()) == 20 && Answer(second->grpc_address()) == 20; },
      seconds(20)));
  int disagreements = 0;
  for (int i = 0; i < 20; ++i) {
    if (Answer(first->grpc_address()) != Answer(second->grpc_address())) ++disagreements;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  Figure("failover",
         "steady state: " + std::to_string(disagreements) + " of 20 paired answers differ");
  EXPECT_EQ(disagreements, 0);

  // The backlog falls to 2 replicas of work, the client's instance dies, the client moves on
  // (as KEDA's gRPC channel does through the Service): every answer stays at 20.
  Backlog(20);
  std::this_thread::sleep_for(seconds(2));
  std::string address = first->grpc_address();
  int errors = 0, answers = 0;
  long long lowest = 1 << 30;
  for (int i = 0; i < 40; ++i) {  // 10 s of polls, the kill at 2.5 s
    if (i == 10) first->Kill();
    long long a = Answer(address);
    if (a < 0) {
      ++errors;
      address = second->grpc_address();
      a = Answer(address);
    }
    ASSERT_GE(a, 0) << "poll " << i << " failed on both instances";
    ++answers;
    lowest = std::min(lowest, a);
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  Figure("failover", "kill of the client's instance: " + std::to_string(errors) +
                         " failed poll(s), lowest of " + std::to_string(answers) + " answers " +
                         std::to_string(lowest) + " (workload at 20, work for 2)");
  EXPECT_EQ(errors, 1);
  EXPECT_EQ(lowest, 20);
}

}  // namespace
}  // namespace poolscaler::testing
