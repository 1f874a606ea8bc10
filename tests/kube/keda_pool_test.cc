// Pool mode through real KEDA and the real HPA, for each broker: a backlog arrives on a
// Deployment at 0 → KEDA's operator activates it (measured from the first message, with
// StreamIsActive push and with polling) → the HPA takes it to poolscaler's target → the backlog
// drains → the scale-down waits for poolscaler's window → KEDA returns it to 0 after poolscaler
// went inactive and KEDA's cooldownPeriod passed. Every assertion is on the API server's
// answer (the Deployments' spec.replicas, ScaledObject conditions).
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <string>

#include "kube/kube_e2e.h"
#include "support/nats_server.h"
#include "support/rabbitmq_server.h"
#include "support/redis_server.h"

namespace poolscaler::testing {
namespace {

using std::chrono::seconds;

// What a scenario needs of a broker: the config's source entry (named "backlog"), a way to add
// n jobs, and a way to finish (take and acknowledge) every job.
struct Broker {
  std::string name;
  std::string source_yaml;
  std::function<void(int)> add;
  std::function<void()> drain;
};

// The pool's timings: poolscaler keeps the target for kWindow s after the backlog is gone and
// stays active for kCooldown s; KEDA waits kKedaCooldown s more before 0.
constexpr int kWindow = 10;
constexpr int kCooldown = 20;
constexpr int kKedaCooldown = 10;
constexpr int kPushPolling = 30;  // long on purpose: activation within it proves the push
constexpr int kPollPolling = 5;
constexpr int kJobs = 50;
constexpr int kPerReplica = 10;  // lagThreshold: 50 jobs → 5 replicas

std::string PoolConfig(const std::string& source_yaml) {
  return "defaults: {sampleInterval: 1s}\nsources:\n" + source_yaml +
         "pools:\n"
         "  - name: work\n"
         "    minReplicas: 0\n"
         "    maxReplicas: 10\n"
         "    cooldownSeconds: " + std::to_string(kCooldown) + "\n"
         "    scaleDownWindowSeconds: " + std::to_string(kWindow) + "\n"
         "    signals:\n"
         "      - {source: backlog, lagThreshold: " + std::to_string(kPerReplica) +
         ", activationLagThreshold: 0}\n";
}

// A pool-mode ScaledObject as deploy/examples writes them (the HPA passes poolscaler's decision
// through), pointed at poolscaler on the host's loopback.
std::string ScaledObjectYaml(const std::string& ns, const std::string& name,
                             const std::string& trigger_type, int polling,
                             const std::string& address) {
  PoolScaledObject so;
  so.ns = ns;
  so.name = name;
  so.address = address;
  so.trigger_type = trigger_type;
  so.polling_interval = polling;
  so.cooldown_period = kKedaCooldown;
  return so.Yaml();
}

class KedaPoolTest : public KubeE2ETest {
 protected:
  void RunScenario(const Broker& broker);
};

void KedaPoolTest::RunScenario(const Broker& broker) {
  const std::string ns = "e2e-pool-" + broker.name;
  KubeNamespace space(*cluster_, ns);
  ASSERT_TRUE(space.ok()) << space.error();

  std::string error;
  auto scaler = PoolscalerProcess::Start(PoolConfig(broker.source_yaml), dir_, {}, &error);
  ASSERT_TRUE(scaler) << error;

  // Two ScaledObjects on the same pool: one pushed (external-push, long polling interval), one
  // polled (external), each scaling its own Deployment.
  Apply(DeploymentYaml(ns, "push") + "---\n" + DeploymentYaml(ns, "poll") + "---\n" +
        ScaledObjectYaml(ns, "push", "external-push", kPushPolling, scaler->grpc_address()) +
        "---\n" +
        ScaledObjectYaml(ns, "poll", "external", kPollPolling, scaler->grpc_address()));
  ASSERT_TRUE(WaitReady("scaledobject/push", ns)) << Describe(ns);
  ASSERT_TRUE(WaitReady("scaledobject/poll", ns)) << Describe(ns);
  // KEDA has asked poolscaler about both (its first check of each ScaledObject), so the push
  // stream is open before the first job.
  ASSERT_TRUE(WaitUntil(
      [&] { return scaler->Metric("poolscaler_grpc_requests_total", {"method=\"IsActive\""}) >= 2; },
      seconds(60)))
      << Describe(ns) << scaler->LogTail();
  ASSERT_EQ(cluster_->DeploymentReplicas(ns, "push"), 0);
  ASSERT_EQ(cluster_->DeploymentReplicas(ns, "poll"), 0);

  ResetClock();
  broker.add(kJobs);
  const double t_added = Now();
  auto active = WaitEach(ns, {"push", "poll"}, [](int r) { return r >= 1; }, seconds(60));
  const std::optional<double> push_active = active[0], poll_active = active[1];
  ASSERT_TRUE(push_active) << "push: not activated\n" << Describe(ns) << scaler->LogTail();
  ASSERT_TRUE(poll_active) << "poll: not activated\n" << Describe(ns);
  // Push: well inside one polling interval (30 s). Poll: within the polling interval plus a
  // sample interval and slack.
  EXPECT_LT(*push_active - t_added, kPushPolling / 2.0) << History(ns, "push");
  EXPECT_LT(*poll_active - t_added, kPollPolling + 10.0) << History(ns, "poll");

  const int target = kJobs / kPerReplica;
  auto at_target = WaitEach(ns, {"push", "poll"}, [&](int r) { return r == target; }, seconds(90));
  const std::optional<double> push_target = at_target[0], poll_target = at_target[1];
  ASSERT_TRUE(push_target) << History(ns, "push") << Describe(ns) << scaler->HttpGet("/pools");
  ASSERT_TRUE(poll_target) << History(ns, "poll") << Describe(ns);

  // The backlog drains: poolscaler keeps the target for its scale-down window, then the HPA
  // goes to its minimum (1, KEDA's HPA floor while active), then KEDA takes the workload to 0
  // once poolscaler says inactive (cooldownSeconds) and cooldownPeriod has passed.
  broker.drain();
  const double t_drained = Now();
  auto push_down = WaitReplicas(ns, "push", [&](int r) { return r < target; }, seconds(90));
  ASSERT_TRUE(push_down) << History(ns, "push") << Describe(ns) << scaler->HttpGet("/pools");
  EXPECT_GE(*push_down - t_drained, kWindow - 2.0) << "scaled down inside poolscaler's window: "
                                                   << History(ns, "push");
  auto zero = WaitEach(ns, {"push", "poll"}, [](int r) { return r == 0; },
                       seconds(kCooldown + kKedaCooldown + kPushPolling + 60));
  const std::optional<double> push_zero = zero[0], poll_zero = zero[1];
  ASSERT_TRUE(push_zero) << History(ns, "push") << Describe(ns) << scaler->HttpGet("/pools");
  ASSERT_TRUE(poll_zero) << History(ns, "poll") << Describe(ns);
  // Never before poolscaler went inactive (cooldownSeconds after the drain). Polled, KEDA
  // refreshes the ScaledObject's lastActiveTime on every poll until then, so 0 comes
  // cooldownPeriod later. Pushed, KEDA refreshes lastActiveTime only on its polls (every 30 s
  // here), not on pushes: when the push "inactive" arrives, cooldownPeriod may have run out
  // already, counted from the last poll (measured: 0 at 25 s, before 20 + 10); when it has
  // not, 0 waits for the next poll (measured: 50 s, up to cooldownSeconds + pollingInterval).
  EXPECT_GE(*push_zero - t_drained, kCooldown - 2.0) << History(ns, "push");
  EXPECT_GE(*poll_zero - t_drained, kCooldown + kKedaCooldown - 2.0) << History(ns, "poll");

  char buf[512];
  std::snprintf(buf, sizeof(buf),
                "activation push %.1f s, poll %.1f s (pollingInterval %d / %d s); to target %d: "
                "push %.1f s, poll %.1f s; first scale-down %.1f s after the drain (window %d s); "
                "back to 0: push %.1f s, poll %.1f s after the drain (cooldownSeconds %d + "
                "cooldownPeriod %d); HPA sync %s",
                *push_active - t_added, *poll_active - t_added, kPushPolling, kPollPolling, target,
                *push_target - t_added, *poll_target - t_added, *push_down - t_drained, kWindow,
                *push_zero - t_drained, *poll_zero - t_drained, kCooldown, kKedaCooldown,
                cluster_->Var("HPA_SYNC_PERIOD").c_str());
  Figure("kube pool " + broker.name, buf);
}

TEST_F(KedaPoolTest, RedisStreams) {
  auto redis = RedisServer::Start();
  ASSERT_TRUE(redis);
  RedisReply r = redis->Command({"XGROUP", "CREATE", "jobs", "workers", "$", "MKSTREAM"});
  ASSERT_NE(r.kind, RedisReply::kError) << r.str;
  Broker b{"redis",
           "  - {name: backlog, type: redis-streams, address: " + redis->address() +
               ", stream: jobs, consumerGroup: workers}\n",
           [&](int n) {
             for (int i = 0; i < n; ++i) {
               RedisReply a = redis->Command({"XADD", "jobs", "*", "job", std::to_string(i)});
               ASSERT_EQ(a.kind, RedisReply::kString) << a.str;
             }
           },
           [&] {
             // A worker takes every entry and acknowledges it.
             RedisReply got = redis->Command(
                 {"XREADGROUP", "GROUP", "workers", "w1", "COUNT", "1000", "STREAMS", "jobs", ">"});
             ASSERT_EQ(got.kind, RedisReply::kArray) << got.str;
             std::vector<std::string> ack{"XACK", "jobs", "workers"};
             for (const RedisReply& e : got.elements[0].elements[1].elements) {
               ack.push_back(e.elements[0].str);
             }
             RedisReply acked = redis->Command(ack);
             ASSERT_EQ(acked.integer, kJobs);
           }};
  RunScenario(b);
}

TEST_F(KedaPoolTest, NatsJetStream) {
  auto nats = NatsServer::Start();
  ASSERT_TRUE(nats);
  auto client = NatsClient::Connect(nats->url());
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->AddStream("JOBS", {"jobs.>"}));
  ASSERT_TRUE(client->AddPullConsumer("JOBS", "workers", "jobs.work"));
  Broker b{"nats",
           "  - {name: backlog, type: nats-jetstream, natsServer: " + nats->url() +
               ", stream: JOBS, consumer: workers}\n",
           [&](int n) { ASSERT_TRUE(client->Publish("jobs.work", n)); },
           [&] {
             ASSERT_EQ(client->Fetch("JOBS", "workers", kJobs), kJobs);
             ASSERT_EQ(client->Ack("workers", kJobs), kJobs);
           }};
  RunScenario(b);
}

TEST_F(KedaPoolTest, RabbitMq) {
  auto rabbit = RabbitMqServer::Start();
  ASSERT_TRUE(rabbit);
  ASSERT_TRUE(rabbit->AddVhost("e2e"));
  ASSERT_TRUE(rabbit->AddQueue("e2e", "jobs"));
  auto amqp = AmqpTestClient::Connect(rabbit->amqp_port(), "e2e");
  ASSERT_TRUE(amqp);
  Broker b{"rabbitmq",
           "  - {name: backlog, type: rabbitmq, host: " + rabbit->http_url() +
               "/e2e, queueName: jobs}\n",
           [&](int n) { ASSERT_TRUE(amqp->Publish("jobs", n)); },
           [&] {
             ASSERT_EQ(amqp->Get("jobs", kJobs), kJobs);
             ASSERT_EQ(amqp->Ack(kJobs), kJobs);
           }};
  RunScenario(b);
}

// The seed tiers of the document pipeline (deploy/examples/nats-jobs.yaml, timings shortened):
// three pools on one JetStream stream sharing a budget of 2 GPUs, the GPU tier served first.
// Through KEDA and the HPA each Deployment gets its pool's target, and the GPU tier never more
// than the budget allows although its backlog asks for 4.
TEST_F(KedaPoolTest, NatsSeedTiersWithGpuBudget) {
  const std::string ns = "e2e-tiers";
  KubeNamespace space(*cluster_, ns);
  ASSERT_TRUE(space.ok()) << space.error();
  auto nats = NatsServer::Start();
  ASSERT_TRUE(nats);
  auto client = NatsClient::Connect(nats->url());
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->AddStream("JOBS", {"jobs.>"}));
  for (const char* tier : {"small", "large", "gpu"}) {
    ASSERT_TRUE(client->AddPullConsumer("JOBS", std::string("parse-") + tier,
                                        std::string("jobs.parse.") + tier));
  }
  std::string config = "defaults: {sampleInterval: 1s}\nsources:\n";
  for (const char* tier : {"small", "large", "gpu"}) {
    config += std::string("  - {name: jobs-parse-") + tier + ", type: nats-jetstream, natsServer: " +
              nats->url() + ", stream: JOBS, consumer: parse-" + tier + "}\n";
  }
  config += R"(tierGroups:
  - name: parse
    budget: {cpu: 200, memory: 800Gi, gpu: 2}
pools:
  - name: parse-small
    minReplicas: 0
    maxReplicas: 20
    cooldownSeconds: 5
    tierGroup: parse
    priority: 0
    cost: {cpu: 1, memory: 2Gi}
    behavior:
      scaleUp: {policies: [{type: Percent, value: 900, periodSeconds: 15}]}
      scaleDown: {stabilizationWindowSeconds: 5}
    signals: [{source: jobs-parse-small, lagThreshold: 5, activationLagThreshold: 1}]
  - name: parse-large
    minReplicas: 0
    maxReplicas: 10
    cooldownSeconds: 5
    tierGroup: parse
    priority: 5
    cost: {cpu: 4, memory: 16Gi}
    behavior:
      scaleUp: {policies: [{type: Pods, value: 10, periodSeconds: 15}]}
      scaleDown: {stabilizationWindowSeconds: 5}
    signals: [{source: jobs-parse-large, lagThreshold: 5, activationLagThreshold: 1}]
  - name: parse-gpu
    minReplicas: 0
    maxReplicas: 5
    cooldownSeconds: 5
    tierGroup: parse
    priority: 10
    cost: {cpu: 8, memory: 32Gi, gpu: 1}
    behavior:
      scaleUp: {policies: [{type: Pods, value: 5, periodSeconds: 15}]}
      scaleDown: {stabilizationWindowSeconds: 5}
    signals: [{source: jobs-parse-gpu, lagThreshold: 5, activationLagThreshold: 1}]
)";
  std::string error;
  auto scaler = PoolscalerProcess::Start(config, dir_, {}, &error);
  ASSERT_TRUE(scaler) << error;

  const std::vector<std::pair<std::string, int>> tiers{
      {"small", 20}, {"large", 10}, {"gpu", 5}};  // name, maxReplicaCount
  std::string manifests;
  for (const auto& [tier, max] : tiers) {
    std::string name = "parse-" + tier;
    std::string so = ScaledObjectYaml(ns, name, "external", 2, scaler->grpc_address());
    // maxReplicaCount matches the pool's maxReplicas, as in deploy/examples.
    so.replace(so.find("maxReplicaCount: 10"), 19, "maxReplicaCount: " + std::to_string(max));
    so.replace(so.find("pool: work"), 10, "pool: " + name);
    so.replace(so.find("cooldownPeriod: " + std::to_string(kKedaCooldown)),
               16 + std::to_string(kKedaCooldown).size(), "cooldownPeriod: 5");
    manifests += DeploymentYaml(ns, name) + "---\n" + so + "---\n";
  }
  Apply(manifests);
  for (const auto& [tier, max] : tiers) {
    ASSERT_TRUE(WaitReady("scaledobject/parse-" + tier, ns)) << Describe(ns);
  }

  // 40 small (8 replicas), 20 large (4), 20 GPU jobs (4 asked, 2 allowed by the budget).
  ResetClock();
  ASSERT_TRUE(client->Publish("jobs.parse.small", 40));
  ASSERT_TRUE(client->Publish("jobs.parse.large", 20));
  ASSERT_TRUE(client->Publish("jobs.parse.gpu", 20));
  auto reached =
      WaitEach(ns, {{"parse-small", 8}, {"parse-large", 4}, {"parse-gpu", 2}}, seconds(90));
  const std::optional<double> small = reached[0], large = reached[1], gpu = reached[2];
  ASSERT_TRUE(small) << History(ns, "parse-small") << Describe(ns) << scaler->HttpGet("/pools");
  ASSERT_TRUE(large) << History(ns, "parse-large") << Describe(ns);
  ASSERT_TRUE(gpu) << History(ns, "parse-gpu") << Describe(ns) << scaler->HttpGet("/pools");
  // Three HPA syncs later the GPU tier is still at its budget, never above it.
  std::vector<int> seen = WatchReplicas(ns, "parse-gpu", seconds(15));
  for (int r : seen) EXPECT_LE(r, 2) << History(ns, "parse-gpu");
  EXPECT_EQ(cluster_->DeploymentReplicas(ns, "parse-small"), 8);
  EXPECT_EQ(cluster_->DeploymentReplicas(ns, "parse-large"), 4);
  const std::string pools = scaler->HttpGet("/pools");
  EXPECT_NE(pools.find("budget:gpu"), std::string::npos) << pools;

  // Every tier drains and returns to 0.
  for (const auto& [tier, max] : tiers) {
    const std::string durable = "parse-" + tier;
    const int n = tier == "small" ? 40 : 20;
    ASSERT_EQ(client->Fetch("JOBS", durable, n), n);
    ASSERT_EQ(client->Ack(durable, n), n);
  }
  const double t_drained = Now();
  std::vector<std::string> names;
  for (const auto& [tier, max] : tiers) names.push_back("parse-" + tier);
  auto zero = WaitEach(ns, names, [](int r) { return r == 0; }, seconds(120));
  double all_zero = 0;
  for (size_t i = 0; i < names.size(); ++i) {
    ASSERT_TRUE(zero[i]) << History(ns, names[i]) << Describe(ns);
    all_zero = std::max(all_zero, *zero[i]);
  }
  char buf[256];
  std::snprintf(buf, sizeof(buf),
                "targets reached: small 8 at %.1f s, large 4 at %.1f s, gpu 2 (budget; 4 asked) "
                "at %.1f s; all at 0 %.1f s after the drain",
                *small, *large, *gpu, all_zero - t_drained);
  Figure("kube seed tiers nats", buf);
}

}  // namespace
}  // namespace poolscaler::testing
