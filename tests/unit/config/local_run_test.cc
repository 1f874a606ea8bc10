// The file `poolscaler local` runs: ScaledObjects and the Deployments they scale.
#include "poolscaler/config/local_run.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "status_matchers.h"

namespace poolscaler::config {
namespace {

using ::poolscaler::testing::IsInvalidArgument;
using ::poolscaler::testing::IsOk;
using std::chrono::seconds;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

const char kDeployment[] = R"yaml(
apiVersion: apps/v1
kind: Deployment
metadata: {name: w}
spec:
  selector: {matchLabels: {app: w}}
  template:
    metadata: {labels: {app: w}}
    spec:
      containers:
        - name: worker
          command: [poolscaler-worker]
          args: [--broker=nats, "--name=$(POD_NAME)"]
          env: [{name: A, value: "1"}]
---
)yaml";

std::string WithScaledObject(const std::string& spec) {
  return std::string(kDeployment) + R"(
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: {name: so, namespace: jobs}
spec:
)" + spec;
}

const char kTrigger[] = R"(  scaleTargetRef: {name: w}
  triggers:
    - type: external
      metadata: {scalerAddress: "127.0.0.1:9090", pool: small}
)";

TEST(LocalRunTest, KedaAndKubernetesDefaults) {
  absl::StatusOr<LocalRun> run = ParseLocalRun(WithScaledObject(kTrigger), "f.yaml");
  ASSERT_THAT(run, IsOk());
  ASSERT_EQ(run->scaled_objects.size(), 1u);
  const LocalScaledObject& so = run->scaled_objects[0];
  EXPECT_EQ(so.name, "so");
  EXPECT_EQ(so.ns, "jobs");
  EXPECT_FALSE(so.push);
  EXPECT_EQ(so.scaler_address, "127.0.0.1:9090");
  EXPECT_EQ(so.metadata.at("pool"), "small");
  EXPECT_EQ(so.polling_interval, seconds(30));
  EXPECT_EQ(so.cooldown_period, seconds(300));
  EXPECT_EQ(so.min_replicas, 0);
  EXPECT_EQ(so.max_replicas, 100);
  EXPECT_FALSE(so.hpa_behavior.has_value());  // KEDA's HPA without behavior: the legacy path
  EXPECT_EQ(so.workload.deployment, "w");
  EXPECT_THAT(so.workload.argv,
              ElementsAre("poolscaler-worker", "--broker=nats", "--name=$(POD_NAME)"));
  EXPECT_EQ(so.workload.env.size(), 1u);
  EXPECT_EQ(so.workload.termination_grace, seconds(30));
}

TEST(LocalRunTest, ReadsWhatShapesScaling) {
  absl::StatusOr<LocalRun> run = ParseLocalRun(WithScaledObject(R"(  pollingInterval: 2
  cooldownPeriod: 10
  minReplicaCount: 1
  maxReplicaCount: 7
  advanced:
    horizontalPodAutoscalerConfig:
      behavior:
        scaleDown: {stabilizationWindowSeconds: 0}
)" + std::string(kTrigger).replace(std::string(kTrigger).find("external"), 8, "external-push")),
                                               "f.yaml");
  ASSERT_THAT(run, IsOk());
  const LocalScaledObject& so = run->scaled_objects[0];
  EXPECT_TRUE(so.push);
  EXPECT_EQ(so.polling_interval, seconds(2));
  EXPECT_EQ(so.cooldown_period, seconds(10));
  EXPECT_EQ(so.min_replicas, 1);
  EXPECT_EQ(so.max_replicas, 7);
  ASSERT_TRUE(so.hpa_behavior.has_value());
  EXPECT_EQ(so.hpa_behavior->scale_down.stabilization_window, seconds(0));
  EXPECT_EQ(so.hpa_behavior->scale_up.stabilization_window, seconds(0));  // the API's default
}

// spec.fallback as KEDA's CRD and webhook take it (CheckFallbackValid).
TEST(LocalRunTest, FallbackIsReadWithKedasDefaultsAndChecks) {
  auto run = ParseLocalRun(
      WithScaledObject("  fallback: {failureThreshold: 3, replicas: 2}\n" + std::string(kTrigger)),
      "f.yaml");
  ASSERT_THAT(run, IsOk());
  ASSERT_TRUE(run->scaled_objects[0].fallback.has_value());
  EXPECT_EQ(run->scaled_objects[0].fallback->failure_threshold, 3);
  EXPECT_EQ(run->scaled_objects[0].fallback->replicas, 2);
  EXPECT_EQ(run->scaled_objects[0].fallback->behavior, FallbackBehavior::kStatic);
  run = ParseLocalRun(WithScaledObject("  fallback: {failureThreshold: 0, replicas: 0, behavior: "
                                       "currentReplicasIfHigher}\n" +
                                       std::string(kTrigger)),
                      "f.yaml");
  ASSERT_THAT(run, IsOk());
  EXPECT_EQ(run->scaled_objects[0].fallback->behavior, FallbackBehavior::kCurrentReplicasIfHigher);
  EXPECT_FALSE(ParseLocalRun(WithScaledObject(kTrigger), "f.yaml")->scaled_objects[0].fallback);

  EXPECT_THAT(ParseLocalRun(WithScaledObject("  fallback: {failureThreshold: -1, replicas: 2}\n" +
                                             std::string(kTrigger)),
                            "f.yaml"),
              IsInvalidArgument(HasSubstr("f.yaml: ScaledObject jobs/so: "
                                          "spec.fallback.failureThreshold: expected an integer "
                                          "from 0 to 2147483647 (value \"-1\")")));
  EXPECT_THAT(
      ParseLocalRun(WithScaledObject("  fallback: {failureThreshold: 3}\n" + std::string(kTrigger)),
                    "f.yaml"),
      IsInvalidArgument(HasSubstr("spec.fallback.replicas: is required")));
  EXPECT_THAT(ParseLocalRun(WithScaledObject("  fallback: {failureThreshold: 3, replicas: 2, "
                                             "behavior: sometimes}\n" +
                                             std::string(kTrigger)),
                            "f.yaml"),
              IsInvalidArgument(HasSubstr("spec.fallback.behavior: expected static, "
                                          "currentReplicas, currentReplicasIfHigher or "
                                          "currentReplicasIfLower (value \"sometimes\")")));
  EXPECT_THAT(ParseLocalRun(WithScaledObject("  fallback: 3\n" + std::string(kTrigger)), "f.yaml"),
              IsInvalidArgument(HasSubstr("spec.fallback: expected a map")));
}

TEST(LocalRunTest, WhatItCannotModelIsAnErrorNamingTheField) {
  EXPECT_THAT(
      ParseLocalRun(WithScaledObject("  idleReplicaCount: 0\n" + std::string(kTrigger)), "f.yaml"),
      IsInvalidArgument(AllOf(HasSubstr("f.yaml: ScaledObject jobs/so: spec.idleReplicaCount"),
                              HasSubstr("not modelled"))));
  EXPECT_THAT(ParseLocalRun(WithScaledObject("  fallback: {failureThreshold: 3, replicas: 2, "
                                             "behavior: scalingModifiers}\n" +
                                             std::string(kTrigger)),
                            "f.yaml"),
              IsInvalidArgument(HasSubstr("spec.fallback.behavior: scalingModifiers is not "
                                          "modelled by poolscaler local")));
  std::string value_metric = std::string(kTrigger) + "      metricType: Value\n";
  EXPECT_THAT(ParseLocalRun(WithScaledObject(value_metric), "f.yaml"),
              IsInvalidArgument(HasSubstr(
                  "spec.triggers[0].metricType: only AverageValue is modelled (value \"Value\")")));
  std::string tls = kTrigger;
  tls.replace(tls.find("pool: small"), 11, "pool: small, enableTLS: \"true\"");
  EXPECT_THAT(
      ParseLocalRun(WithScaledObject(tls), "f.yaml"),
      IsInvalidArgument(HasSubstr("metadata.enableTLS: TLS to the scaler is not supported")));
  std::string two = std::string(kTrigger) + "    - type: cpu\n      metadata: {value: \"50\"}\n";
  EXPECT_THAT(
      ParseLocalRun(WithScaledObject(two), "f.yaml"),
      IsInvalidArgument(HasSubstr("spec.triggers: poolscaler local runs exactly one trigger")));
  EXPECT_THAT(ParseLocalRun(WithScaledObject("  pollingInterval: soon\n" + std::string(kTrigger)),
                            "f.yaml"),
              IsInvalidArgument(HasSubstr(
                  "spec.pollingInterval: expected an integer from 1 to 86400 (value \"soon\")")));
  EXPECT_THAT(
      ParseLocalRun(
          WithScaledObject("  minReplicaCount: 5\n  maxReplicaCount: 2\n" + std::string(kTrigger)),
          "f.yaml"),
      IsInvalidArgument(HasSubstr("spec.maxReplicaCount: is below minReplicaCount 5 (value 2)")));
}

TEST(LocalRunTest, TheScaledObjectMustNameADeploymentWithACommand) {
  std::string other = WithScaledObject(kTrigger);
  other.replace(other.find("scaleTargetRef: {name: w}"), 25, "scaleTargetRef: {name: x}");
  EXPECT_THAT(
      ParseLocalRun(other, "f.yaml"),
      IsInvalidArgument(HasSubstr("spec.scaleTargetRef.name: no Deployment \"x\" in the file")));
  std::string no_command = WithScaledObject(kTrigger);
  no_command.replace(no_command.find("command: [poolscaler-worker]"), 28, "image: worker");
  no_command.replace(no_command.find("args: [--broker=nats, \"--name=$(POD_NAME)\"]"), 43, "");
  EXPECT_THAT(ParseLocalRun(no_command, "f.yaml"),
              IsInvalidArgument(HasSubstr(
                  "Deployment default/w: spec.template.spec.containers[0].command: is required")));
  std::string from = WithScaledObject(kTrigger);
  from.replace(from.find("{name: A, value: \"1\"}"), 21,
               "{name: A, valueFrom: {secretKeyRef: {name: s, key: k}}}");
  EXPECT_THAT(ParseLocalRun(from, "f.yaml"),
              IsInvalidArgument(HasSubstr("valueFrom is not supported locally")));
}

// Names go into every message's prefix: one that is not a Kubernetes name is reported quoted,
// under "document N", so it cannot break a message over lines (found by the fuzzer).
TEST(LocalRunTest, NamesMustBeKubernetesNames) {
  absl::StatusOr<LocalRun> r = ParseLocalRun(
      "kind: Deployment\nmetadata: {name: \"Bad\\nName\"}\n---\n"
      "kind: Deployment\nmetadata: {name: ok, namespace: \"Ns_1\"}\n",
      "f.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(std::string(r.status().message()),
            "f.yaml: document 1: metadata.name: is not a Kubernetes name (lowercase letters, "
            "digits, '-' and '.') (value \"Bad\\nName\")\n"
            "f.yaml: document 2: metadata.namespace: is not a Kubernetes name (lowercase "
            "letters, digits, '-' and '.') (value \"Ns_1\")");
}

TEST(LocalRunTest, EveryProblemIsListedAndSecretsAreNotQuoted) {
  std::string text = WithScaledObject(R"(  scaleTargetRef: {name: nope}
  pollingInterval: 0
  triggers:
    - type: external
      metadata: {pool: small, passwordFromEnv: s3cr3t-value}
)");
  absl::StatusOr<LocalRun> run = ParseLocalRun(text, "f.yaml");
  EXPECT_THAT(run, IsInvalidArgument(AllOf(
                       HasSubstr("spec.pollingInterval"), HasSubstr("scalerAddress: is required"),
                       HasSubstr("no Deployment \"nope\""), Not(HasSubstr("s3cr3t")))));
  EXPECT_THAT(ParseLocalRun("a: [", "f.yaml"), IsInvalidArgument(HasSubstr("f.yaml: line")));
  EXPECT_THAT(ParseLocalRun(kDeployment, "f.yaml"),
              IsInvalidArgument(HasSubstr("no ScaledObject in the file")));
}

TEST(LocalRunTest, TheDemosFileParses) {
  std::ifstream in(std::string(POOLSCALER_SOURCE_DIR) + "/deploy/examples/demo-local.yaml");
  std::string text(std::istreambuf_iterator<char>(in), {});
  absl::StatusOr<LocalRun> run = ParseLocalRun(text, "demo-local.yaml");
  ASSERT_THAT(run, IsOk());
  ASSERT_EQ(run->scaled_objects.size(), 5u);
  for (const LocalScaledObject& so : run->scaled_objects) {
    EXPECT_TRUE(so.push) << so.name;
    EXPECT_EQ(so.polling_interval, seconds(2)) << so.name;
    EXPECT_EQ(so.metadata.at("pool"), so.name);
    EXPECT_EQ(so.workload.argv[0], "poolscaler-worker");
    EXPECT_EQ(so.workload.termination_grace, seconds(10));
  }
}

}  // namespace
}  // namespace poolscaler::config
