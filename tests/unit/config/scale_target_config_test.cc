// A pool's scaleTargetRef and the `kubernetes:` section: the implicit kubernetes-scale source
// each workload gets (shared by pools naming the same workload), defaults, and errors that name
// the field and value.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "poolscaler/config/config.h"
#include "support/orders_config.h"
#include "unit/config/status_matchers.h"

namespace poolscaler::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const std::string kSources = "\n" + [] {
  testing::OrdersConfig c;
  c.address = "127.0.0.1:6379";
  return c.SourcesYaml();
}();

std::string Pools(const std::string& pools, const std::string& extra = "") {
  return kSources + extra + "pools:\n" + pools;
}

std::vector<std::string> Errors(const std::string& yaml) {
  std::vector<std::string> errors;
  EXPECT_FALSE(ParseConfig(yaml, &errors).ok()) << yaml;
  return errors;
}

TEST(ScaleTargetConfig, DefaultsToAnAppsV1DeploymentInCluster) {
  absl::StatusOr<Config> c = ParseConfig(Pools(R"(
  - name: parse
    scaleTargetRef: {name: parse-workers, namespace: shop}
    signals: [{source: orders}]
)"));
  ASSERT_TRUE(c.ok()) << c.status();
  const PoolSpec* pool = c->FindPool("parse");
  ASSERT_NE(pool, nullptr);
  ASSERT_TRUE(pool->scale_target.has_value());
  EXPECT_EQ(pool->scale_target->api_version, "apps/v1");
  EXPECT_EQ(pool->scale_target->kind, "Deployment");
  EXPECT_EQ(pool->scale_source, "workload:shop/Deployment/parse-workers");
  const SourceSpec* source = c->FindSource(pool->scale_source);
  ASSERT_NE(source, nullptr);
  EXPECT_EQ(source->kind, kKubernetesScale);
  EXPECT_EQ(source->Describe(),
            "kubernetes-scale deployment shop/parse-workers (apps/v1) in-cluster");
  EXPECT_EQ(source->DefaultMeasure(), kMeasureSpecReplicas);
  EXPECT_TRUE(source->HasMeasure(kMeasureStatusReplicas));
  const auto& p = std::get<KubernetesScaleParams>(source->params);
  EXPECT_EQ(p.token_file, kServiceAccountTokenFile);
  EXPECT_EQ(source->sample_interval, std::chrono::seconds(5));  // defaults.sampleInterval
}

TEST(ScaleTargetConfig, PoolsOfOneWorkloadShareOneSource) {
  absl::StatusOr<Config> c = ParseConfig(Pools(R"(
  - name: a
    metricName: a
    scaleTargetRef: {apiVersion: apps/v1, kind: StatefulSet, name: gpu, namespace: ml}
    signals: [{source: orders}]
  - name: b
    metricName: b
    scaleTargetRef: {apiVersion: apps/v1, kind: StatefulSet, name: gpu, namespace: ml}
    signals: [{source: orders}]
)"));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->sources.size(), 2u);  // orders + one workload
  EXPECT_EQ(c->FindPool("a")->scale_source, c->FindPool("b")->scale_source);
}

TEST(ScaleTargetConfig, KubernetesSectionSetsLoginAndTiming) {
  absl::StatusOr<Config> c = ParseConfig(Pools(R"(
  - name: parse
    scaleTargetRef: {name: parse, namespace: shop}
    signals: [{source: orders}]
)",
                                               R"(kubernetes:
  kubeconfig: /etc/poolscaler/kubeconfig
  sampleInterval: 2s
)"));
  ASSERT_TRUE(c.ok()) << c.status();
  const SourceSpec* source = c->FindSource(c->FindPool("parse")->scale_source);
  ASSERT_NE(source, nullptr);
  EXPECT_EQ(std::get<KubernetesScaleParams>(source->params).kubeconfig,
            "/etc/poolscaler/kubeconfig");
  EXPECT_EQ(source->sample_interval, std::chrono::seconds(2));
  EXPECT_EQ(source->stale_after, std::chrono::seconds(6));
}

TEST(ScaleTargetConfig, BadFieldsAreNamed) {
  EXPECT_THAT(
      Errors(Pools(R"(
  - name: parse
    scaleTargetRef: {apiVersion: "apps", kind: deployment, name: Parse_1, replicas: 3}
    signals: [{source: orders}]
)")),
      ElementsAre(HasSubstr("pools[0].scaleTargetRef.apiVersion (line 11): "
                            "expected \"group/version\""),
                  HasSubstr("scaleTargetRef.kind (line 11): expected a Kubernetes kind"),
                  HasSubstr("scaleTargetRef.name (line 11): is not a Kubernetes name"),
                  HasSubstr("scaleTargetRef.namespace"), HasSubstr("unknown key \"replicas\"")));
  EXPECT_THAT(Errors(Pools(R"(
  - name: parse
    scaleTargetRef: shop/parse
    signals: [{source: orders}]
)")),
              ElementsAre(HasSubstr("pools[0].scaleTargetRef (line 11): expected a map")));
}

TEST(ScaleTargetConfig, KubernetesSectionErrors) {
  EXPECT_THAT(
      Errors(Pools("  - name: p\n    signals: [{source: orders}]\n",
                   "kubernetes:\n  kubeconfig: /k\n  apiServer: https://x\n  foo: 1\n")),
      ElementsAre(HasSubstr("kubernetes.apiServer (line 10): conflicts with \"kubeconfig\""),
                  HasSubstr("kubernetes.foo (line 11): unknown key \"foo\"")));
}

TEST(ScaleTargetConfig, KindIsNotASourceType) {
  std::vector<std::string> errors = Errors(R"(
sources:
  - name: w
    type: kubernetes-scale
)");
  ASSERT_FALSE(errors.empty());
  EXPECT_THAT(errors[0], HasSubstr("sources[0].type"));
}

TEST(ScaleTargetConfig, AGeneratedNameTakenByAnotherSourceIsAnError) {
  EXPECT_THAT(Errors(R"(
sources:
  - name: workload:shop/Deployment/parse
    type: redis-streams
    address: 127.0.0.1:6379
    stream: orders
pools:
  - name: parse
    scaleTargetRef: {name: parse, namespace: shop}
    signals: [{source: "workload:shop/Deployment/parse"}]
)"),
              ElementsAre(HasSubstr("pools[0].scaleTargetRef (line 9): source name "
                                    "\"workload:shop/Deployment/parse\" is already used")));
}

TEST(ScaleTargetConfig, WorkloadsFromScaledObjectsIsOptInAndAttachSharesTheSource) {
  absl::StatusOr<Config> off = ParseConfig(Pools("  - {name: a, signals: [{source: orders}]}\n"));
  ASSERT_TRUE(off.ok()) << off.status();
  EXPECT_FALSE(off->workloads_from_scaled_objects);
  absl::StatusOr<Config> c = ParseConfig(
      Pools("  - {name: a, signals: [{source: orders}]}\n"
            "  - {name: b, signals: [{source: orders}]}\n",
            "kubernetes: {workloadsFromScaledObjects: true}\n"));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->workloads_from_scaled_objects);
  ScaleTargetRef ref;
  ref.name = "work";
  ref.namespace_name = "shop";
  ASSERT_TRUE(AttachScaleTarget(*c, 0, ref).ok());
  ASSERT_TRUE(AttachScaleTarget(*c, 1, ref).ok());
  EXPECT_EQ(c->pools[0].scale_source, "workload:shop/Deployment/work");
  EXPECT_EQ(c->pools[1].scale_source, c->pools[0].scale_source);
  EXPECT_EQ(c->sources.size(), 2u);  // orders and the one shared workload source
  EXPECT_THAT(Errors(Pools("  - {name: a, signals: [{source: orders}]}\n",
                           "kubernetes: {workloadsFromScaledObjects: maybe}\n")),
              ElementsAre(HasSubstr("kubernetes.workloadsFromScaledObjects")));
}

// `history:`: where the targets of the last process are read back from at start-up.
TEST(HistoryConfig, ServerAuthAndTiming) {
  setenv("POOLSCALER_TEST_HISTORY_TOKEN", "s3cret", 1);
  absl::StatusOr<Config> c = ParseConfig(
      "history:\n"
      "  serverAddress: https://prometheus.monitoring:9090/\n"
      "  bearerTokenEnv: POOLSCALER_TEST_HISTORY_TOKEN\n"
      "  tlsCaFile: /etc/ca.crt\n"
      "  timeout: 3s\n"
      "  step: 10s\n");
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_TRUE(c->history);
  EXPECT_EQ(c->history->prometheus.server_address, "https://prometheus.monitoring:9090");
  EXPECT_EQ(c->history->prometheus.bearer_token.Reveal(), "s3cret");
  EXPECT_EQ(c->history->prometheus.tls_ca_file, "/etc/ca.crt");
  EXPECT_EQ(c->history->timeout, std::chrono::seconds(3));
  EXPECT_EQ(c->history->step, std::chrono::seconds(10));
  absl::StatusOr<Config> none = ParseConfig("pools: []\n");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->history);
}

TEST(HistoryConfig, ErrorsNameTheField) {
  EXPECT_THAT(Errors("history: {}\n"),
              ElementsAre(HasSubstr("history.serverAddress")));
  EXPECT_THAT(Errors("history: {serverAddress: 'ftp://x'}\n"),
              ElementsAre(HasSubstr("history.serverAddress")));
  EXPECT_THAT(Errors("history: {serverAddress: 'http://p:9090', query: up}\n"),
              ElementsAre(HasSubstr("history.query")));
  EXPECT_THAT(Errors("history: {serverAddress: 'http://p:9090', step: 0s}\n"),
              ElementsAre(HasSubstr("history.step")));
  EXPECT_THAT(Errors("history: {serverAddress: 'http://p:9090', bearerToken: x}\n"),
              ElementsAre(HasSubstr("history.bearerToken")));
}

}  // namespace
}  // namespace poolscaler::config
