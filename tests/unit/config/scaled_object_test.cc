// ScaledObject manifests checked against poolscaler: trigger metadata parsed as KEDA sends it,
// pools looked up in the config, bounds and HPA behavior compared, YAML typing mistakes caught.
#include "poolscaler/config/scaled_object.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace poolscaler::config {

// Readable failures: "error at WHERE: MESSAGE".
void PrintTo(const ScaledObjectFinding& f, std::ostream* os) {
  *os << (f.severity == ScaledObjectFinding::Severity::kError ? "error" : "warning") << " at "
      << f.where << ": " << f.message;
}

namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using Severity = ScaledObjectFinding::Severity;

constexpr char kConfig[] = R"(
sources:
  - name: orders
    type: redis-streams
    address: 127.0.0.1:6379
    stream: orders
    consumerGroup: workers
pools:
  - name: order-workers
    minReplicas: 0
    maxReplicas: 8
    signals:
      - source: orders
        lagThreshold: 20
)";

Config LoadConfig() {
  absl::StatusOr<Config> cfg = ParseConfig(kConfig);
  EXPECT_TRUE(cfg.ok()) << cfg.status();
  return *cfg;
}

// A pool-mode ScaledObject; `extra_spec` is spliced into spec (two-space indented lines).
std::string PoolObject(const std::string& pool, const std::string& extra_spec = "",
                       const std::string& behavior_window = "0") {
  return R"(apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: workers
  namespace: shop
spec:
  scaleTargetRef:
    name: worker
  maxReplicaCount: 8
)" + extra_spec +
         R"(  advanced:
    horizontalPodAutoscalerConfig:
      behavior:
        scaleDown:
          stabilizationWindowSeconds: )" +
         behavior_window + R"(
  triggers:
    - type: external
      metadata:
        scalerAddress: poolscaler.poolscaler.svc:9090
        pool: )" + pool + "\n";
}

auto Finding(Severity severity, const std::string& where, const std::string& message_part) {
  return AllOf(Field(&ScaledObjectFinding::severity, severity),
               Field(&ScaledObjectFinding::where, HasSubstr(where)),
               Field(&ScaledObjectFinding::message, HasSubstr(message_part)));
}

TEST(ScaledObjectCheck, PoolModeMatchingTheConfigIsClean) {
  Config cfg = LoadConfig();
  ScaledObjectReport r = CheckScaledObjects(PoolObject("order-workers"), "so.yaml", &cfg);
  EXPECT_THAT(r.findings, IsEmpty());
  EXPECT_EQ(r.scaled_objects, 1);
  EXPECT_EQ(r.poolscaler_triggers, 1);
  EXPECT_FALSE(r.HasErrors());
}

TEST(ScaledObjectCheck, UnknownPoolIsAnErrorNamingObjectTriggerAndPool) {
  Config cfg = LoadConfig();
  ScaledObjectReport r = CheckScaledObjects(PoolObject("nope"), "so.yaml", &cfg);
  EXPECT_THAT(r.findings, ElementsAre(Finding(Severity::kError,
                                              "so.yaml: ScaledObject shop/workers trigger 1",
                                              "pool \"nope\" is not in the config")));
  EXPECT_TRUE(r.HasErrors());
}

// Documents are split at "---" lines (config::LoadAllDocuments) instead of YAML::LoadAll, which
// in yaml-cpp 0.7 loops forever, allocating, on a document starting with "," (found by the
// local_run fuzzer). Counting and line numbers are as LoadAll's.
TEST(ScaledObjectCheck, DocumentsSplitAtMarkersWithWholeFileLines) {
  Config cfg = LoadConfig();
  std::string two = "# leading comment\n---\n" + PoolObject("order-workers") + "---\n" +
                    PoolObject("nope") + "--- # trailing empty document\n";
  ScaledObjectReport r = CheckScaledObjects(two, "so.yaml", &cfg);
  EXPECT_EQ(r.scaled_objects, 2);
  EXPECT_THAT(r.findings, ElementsAre(Finding(Severity::kError, "trigger 1", "\"nope\"")));
  // A syntax error in the second document names the line in the whole file.
  r = CheckScaledObjects("a: 1\n---\nb: [1,\n", "so.yaml", &cfg);
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_THAT(r.findings[0].message, HasSubstr("line 4"));
}

TEST(ScaledObjectCheck, MalformedDocumentIsAnErrorNotAHang) {
  ScaledObjectReport r = CheckScaledObjects(", a\n", "so.yaml", nullptr);
  EXPECT_EQ(r.scaled_objects, 0);  // yaml-cpp reads "," as an empty document; nothing hangs
  r = CheckScaledObjects("---\n, valueFrom: {k: v}}]}]\n---\nkind: ScaledObject\n", "so.yaml",
                         nullptr);
  EXPECT_TRUE(r.HasErrors());  // the second document: a ScaledObject without a name
}

TEST(ScaledObjectCheck, PoolModeWithoutConfigIsAnError) {
  ScaledObjectReport r = CheckScaledObjects(PoolObject("order-workers"), "so.yaml", nullptr);
  EXPECT_THAT(r.findings, ElementsAre(Finding(Severity::kError, "trigger 1", "needs a config")));
}

TEST(ScaledObjectCheck, BehaviorDisagreementIsAWarning) {
  Config cfg = LoadConfig();
  ScaledObjectReport r =
      CheckScaledObjects(PoolObject("order-workers", "", "300"), "so.yaml", &cfg);
  EXPECT_THAT(r.findings, ElementsAre(Finding(Severity::kWarning, "trigger 1",
                                              "stabilizationWindowSeconds")));
  EXPECT_FALSE(r.HasErrors());
}

// KEDA owns the floor (scale_scaledobjects.go: an inactive trigger → minReplicaCount after
// cooldownPeriod; the HPA's minReplicas is max(minReplicaCount, 1)), so minReplicaCount must be
// the pool's minReplicas, in both directions.
TEST(ScaledObjectCheck, MinReplicaCountMustEqualThePoolMinimum) {
  Config cfg = LoadConfig();
  ScaledObjectReport above =
      CheckScaledObjects(PoolObject("order-workers", "  minReplicaCount: 2\n"), "so.yaml", &cfg);
  EXPECT_THAT(above.findings,
              ElementsAre(Finding(Severity::kError, "trigger 1",
                                  "minReplicaCount 2 is above pool \"order-workers\"'s "
                                  "minReplicas 0: the pool can never shrink to its minimum; set "
                                  "minReplicaCount: 0")));
  cfg.pools[0].params.min_replicas = 3;
  ScaledObjectReport below =
      CheckScaledObjects(PoolObject("order-workers", "  minReplicaCount: 0\n"), "so.yaml", &cfg);
  EXPECT_THAT(below.findings,
              ElementsAre(Finding(Severity::kError, "trigger 1",
                                  "minReplicaCount 0 is below pool \"order-workers\"'s "
                                  "minReplicas 3: KEDA takes the workload to 0 when the pool is "
                                  "idle")));
  // Absent means KEDA's default, 0.
  std::string so = PoolObject("order-workers");
  ScaledObjectReport absent = CheckScaledObjects(so, "so.yaml", &cfg);
  EXPECT_THAT(absent.findings,
              ElementsAre(Finding(Severity::kError, "trigger 1", "minReplicaCount 0 is below")));
  cfg.pools[0].params.min_replicas = 2;
  EXPECT_FALSE(CheckScaledObjects(PoolObject("order-workers", "  minReplicaCount: 2\n"),
                                  "so.yaml", &cfg)
                   .HasErrors());
}

TEST(ScaledObjectCheck, KedaDefaultMaxBelowPoolMaxWarns) {
  Config cfg = LoadConfig();
  cfg.pools[0].params.max_replicas = 500;  // KEDA's default max is 100
  std::string so = PoolObject("order-workers");
  so.erase(so.find("  maxReplicaCount: 8\n"), std::string("  maxReplicaCount: 8\n").size());
  ScaledObjectReport r = CheckScaledObjects(so, "so.yaml", &cfg);
  EXPECT_THAT(r.findings, ElementsAre(Finding(Severity::kWarning, "trigger 1",
                                              "maxReplicaCount 100 is below pool")));
}

TEST(ScaledObjectCheck, PoolModeNeedsAverageValue) {
  Config cfg = LoadConfig();
  std::string so = PoolObject("order-workers");
  so.replace(so.find("    - type: external\n"), std::string("    - type: external\n").size(),
             "    - type: external\n      metricType: Value\n");
  ScaledObjectReport r = CheckScaledObjects(so, "so.yaml", &cfg);
  EXPECT_THAT(r.findings, ElementsAre(Finding(Severity::kError, "trigger 1",
                                              "metricType \"Value\" in pool mode")));
}

TEST(ScaledObjectCheck, RawModeMetadataGoesThroughTheTriggerParser) {
  const std::string so = R"(apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: {name: raw}
spec:
  scaleTargetRef: {name: worker}
  triggers:
    - type: cpu
      metadata: {value: "70"}
    - type: external
      metadata:
        scalerAddress: poolscaler:9090
        source: redis-streams
        address: redis:6379
        stream: orders
        consumerGroup: workers
        lagThreshold: "50"
    - type: external
      metadata:
        scalerAddress: poolscaler:9090
        source: redis-streams
        address: redis:6379
        stream: orders
        lagThreshold: "-3"
)";
  ScaledObjectReport r = CheckScaledObjects(so, "raw.yaml", nullptr);
  EXPECT_EQ(r.poolscaler_triggers, 2);  // the cpu trigger is KEDA's, not ours
  EXPECT_THAT(r.findings, ElementsAre(Finding(Severity::kError,
                                              "raw.yaml: ScaledObject default/raw trigger 3",
                                              "lagThreshold")));
}

TEST(ScaledObjectCheck, UnquotedNumbersAndBooleansInMetadataAreCaught) {
  const std::string so = R"(kind: ScaledObject
metadata: {name: typed, namespace: ns}
spec:
  triggers:
    - type: external
      metadata:
        scalerAddress: poolscaler:9090
        source: redis-streams
        address: redis:6379
        stream: orders
        lagThreshold: 50
        unsafeSsl: false
        consumerGroup: "123"
)";
  ScaledObjectReport r = CheckScaledObjects(so, "t.yaml", nullptr);
  EXPECT_THAT(r.findings,
              ElementsAre(Finding(Severity::kError, "trigger 1", "metadata.lagThreshold is not a string"),
                          Finding(Severity::kError, "trigger 1", "metadata.unsafeSsl is not a string")));
}

TEST(ScaledObjectCheck, MissingScalerAddressAndBrokenShapes) {
  const std::string so = R"(kind: ScaledObject
metadata: {name: a}
spec:
  triggers:
    - type: external
      metadata: {pool: order-workers}
---
kind: ScaledObject
metadata: {name: b}
spec: {}
---
kind: Deployment
metadata: {name: ignored}
)";
  Config cfg = LoadConfig();
  ScaledObjectReport r = CheckScaledObjects(so, "m.yaml", &cfg);
  EXPECT_EQ(r.scaled_objects, 2);
  EXPECT_THAT(r.findings,
              ElementsAre(Finding(Severity::kError, "ScaledObject default/a trigger 1",
                                  "scalerAddress is missing"),
                          Finding(Severity::kWarning, "ScaledObject default/a trigger 1",
                                  "stabilizationWindowSeconds"),
                          Finding(Severity::kError, "ScaledObject default/b",
                                  "spec.triggers is missing or empty")));
}

TEST(ScaledObjectCheck, YamlSyntaxErrorIsOneFindingWithALine) {
  ScaledObjectReport r = CheckScaledObjects("kind: ScaledObject\nspec: [unclosed\n", "bad.yaml",
                                            nullptr);
  EXPECT_THAT(r.findings, ElementsAre(Finding(Severity::kError, "bad.yaml", "line ")));
}

// A ScaledJob's triggers are checked as a ScaledObject's (KEDA sends the same metadata); there
// is no HPA behind it, so no window or replica-bound advice.
TEST(ScaledObjectCheck, ScaledJobTriggersAreChecked) {
  const std::string jobs = R"(apiVersion: keda.sh/v1alpha1
kind: ScaledJob
metadata: {name: batch, namespace: shop}
spec:
  jobTargetRef: {template: {spec: {containers: [{name: b, image: b}]}}}
  maxReplicaCount: 3
  triggers:
    - type: external
      metadata:
        scalerAddress: poolscaler.poolscaler.svc:9090
        pool: order-workers
---
apiVersion: keda.sh/v1alpha1
kind: ScaledJob
metadata: {name: raw, namespace: shop}
spec:
  jobTargetRef: {template: {spec: {containers: [{name: b, image: b}]}}}
  triggers:
    - type: external
      metadata:
        scalerAddress: poolscaler.poolscaler.svc:9090
        source: redis-streams
        address: 127.0.0.1:6379
        stream: batch
        lagCount: 10
)";
  Config cfg = LoadConfig();
  ScaledObjectReport r = CheckScaledObjects(jobs, "jobs.yaml", &cfg);
  EXPECT_EQ(r.scaled_objects, 0);
  EXPECT_EQ(r.scaled_jobs, 2);
  EXPECT_EQ(r.poolscaler_triggers, 2);
  EXPECT_THAT(r.findings, ElementsAre(Finding(Severity::kError, "ScaledJob shop/raw trigger 1",
                                              "metadata.lagCount is not a string")));
}

// The pool's cooldownSeconds keeps IsActive true; only then does KEDA's cooldownPeriod start,
// and KEDA acts on its next poll: the three add up (measured with real KEDA in
// tests/kube/keda_pool_test.cc).
TEST(ScaledObjectCheck, StackedCooldownsAreSummedAndWarnedAboveTenMinutes) {
  Config cfg = LoadConfig();
  cfg.pools[0].params.cooldown = std::chrono::seconds(60);
  ScaledObjectReport r = CheckScaledObjects(PoolObject("order-workers"), "so.yaml", &cfg);
  ASSERT_EQ(r.time_to_zero.size(), 1u);
  EXPECT_EQ(r.time_to_zero[0].pool, "order-workers");
  EXPECT_EQ(r.time_to_zero[0].Total(), 60 + 300 + 30);  // KEDA's defaults
  EXPECT_TRUE(r.findings.empty());
  cfg.pools[0].params.cooldown = std::chrono::seconds(600);
  r = CheckScaledObjects(PoolObject("order-workers", "  pollingInterval: 10\n"), "so.yaml", &cfg);
  EXPECT_EQ(r.time_to_zero[0].Total(), 910);
  EXPECT_THAT(r.findings,
              ElementsAre(Finding(Severity::kWarning, "trigger 1",
                                  "up to 910 s from the last work to 0 replicas: pool "
                                  "\"order-workers\"'s cooldownSeconds 600 + cooldownPeriod "
                                  "300 + pollingInterval 10")));
  EXPECT_FALSE(r.HasErrors());
  // Not for a pool that never rests at 0.
  cfg.pools[0].params.min_replicas = 1;
  r = CheckScaledObjects(PoolObject("order-workers", "  minReplicaCount: 1\n"), "so.yaml", &cfg);
  EXPECT_TRUE(r.time_to_zero.empty());
}

// KEDA reads these fields as int32: a value past that (the API server would refuse it) or a
// negative one is an error naming the field and the value, and KEDA's default stands in (found
// by the scaled_object fuzzer: a huge cooldownPeriod overflowed the time-to-zero sum).
TEST(ScaledObjectCheck, CountsAndPeriodsOutOfKedasRangeAreErrors) {
  Config cfg = LoadConfig();
  ScaledObjectReport r = CheckScaledObjects(
      PoolObject("order-workers", "  cooldownPeriod: 9223372036854775807\n  pollingInterval: -5\n"),
      "so.yaml", &cfg);
  EXPECT_THAT(r.findings, ::testing::UnorderedElementsAre(
                              Finding(Severity::kError, "so.yaml: ScaledObject shop/workers",
                                      "spec.cooldownPeriod 9223372036854775807 is out of range"),
                              Finding(Severity::kError, "so.yaml: ScaledObject shop/workers",
                                      "spec.pollingInterval -5 is out of range")));
  ASSERT_EQ(r.time_to_zero.size(), 1u);
  EXPECT_EQ(r.time_to_zero[0].Total(), 0 + 300 + 30);  // the defaults stood in
  r = CheckScaledObjects(PoolObject("order-workers", "  minReplicaCount: ten\n"), "so.yaml", &cfg);
  EXPECT_THAT(r.findings,
              ElementsAre(Finding(Severity::kError, "so.yaml: ScaledObject shop/workers",
                                  "spec.minReplicaCount \"ten\" is not an integer")));
}

}  // namespace
}  // namespace poolscaler::config
