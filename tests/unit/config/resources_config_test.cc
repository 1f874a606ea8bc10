// prometheus and kubernetes-resources sources in the YAML config and (prometheus) in trigger
// metadata; utilization signals and their targets; secrets never echoed.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>

#include "poolscaler/config/config.h"
#include "poolscaler/config/trigger.h"
#include "unit/config/status_matchers.h"

namespace poolscaler::config {
namespace {

using ::poolscaler::testing::IsInvalidArgument;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using Meta = std::map<std::string, std::string>;

constexpr char kToken[] = "bearer-Sup3rSecret";

constexpr char kConfig[] = R"(
sources:
  - name: runners
    type: prometheus
    serverAddress: https://prometheus.monitoring:9090/
    query: sum(runner_queue_depth) / scalar(runner_max_concurrent)
    reduce: max
    ignoreNullValues: true
    bearerTokenEnv: PROM_TOKEN_FOR_TEST
    tlsCaFile: /etc/prom/ca.pem
  - name: web-usage
    type: kubernetes-resources
    namespace: web
    labelSelector: app=web,tier!=canary
    cpuRequest: 500m
    memoryRequest: 1Gi
pools:
  - name: web
    minReplicas: 0
    maxReplicas: 20
    resourceSignalsActivate: false
    signals:
      - source: runners
        threshold: 1
        activationThreshold: 0.5
      - source: web-usage
        measure: cpu_utilization
        targetUtilization: 70
      - source: web-usage
        measure: memory
        targetAverageValue: 800Mi
)";

TEST(ResourcesConfigTest, ParsesSourcesAndUtilizationSignals) {
  ::setenv("PROM_TOKEN_FOR_TEST", kToken, 1);
  absl::StatusOr<Config> c = ParseConfig(kConfig);
  ASSERT_TRUE(c.ok()) << c.status();
  const auto& prom = std::get<PrometheusParams>(c->FindSource("runners")->params);
  EXPECT_EQ(prom.server_address, "https://prometheus.monitoring:9090");
  EXPECT_EQ(prom.reduce, Reduce::kMax);
  EXPECT_TRUE(prom.ignore_null_values);
  EXPECT_EQ(prom.bearer_token.Reveal(), kToken);
  EXPECT_THAT(c->FindSource("runners")->Key(), Not(HasSubstr(kToken)));
  EXPECT_EQ(c->FindSource("runners")->DefaultMeasure(), "value");

  const SourceSpec* usage = c->FindSource("web-usage");
  const auto& kube = std::get<KubernetesResourcesParams>(usage->params);
  EXPECT_EQ(kube.namespace_name, "web");
  EXPECT_EQ(kube.label_selector, "app=web,tier!=canary");
  EXPECT_EQ(kube.cpu_request_cores, 0.5);
  EXPECT_EQ(kube.memory_request_bytes, 1073741824.0);
  EXPECT_EQ(kube.token_file, kServiceAccountTokenFile);
  EXPECT_EQ(usage->DefaultMeasure(), "cpu_utilization");
  EXPECT_TRUE(usage->HasMeasure("memory_utilization"));

  const PoolSpec* pool = c->FindPool("web");
  ASSERT_EQ(pool->signals.size(), 3u);
  EXPECT_FALSE(pool->params.resource_signals_activate);
  EXPECT_EQ(pool->signals[0].kind, policy::SignalKind::kLag);
  EXPECT_EQ(pool->signals[0].lag_threshold, 1);
  EXPECT_EQ(pool->signals[0].activation_lag_threshold, 0.5);
  EXPECT_EQ(pool->signals[1].kind, policy::SignalKind::kUtilization);
  EXPECT_EQ(pool->signals[1].lag_threshold, 70);
  EXPECT_EQ(pool->signals[1].pods_measure, "pods");
  EXPECT_EQ(pool->signals[2].kind, policy::SignalKind::kUtilization);
  EXPECT_EQ(pool->signals[2].lag_threshold, 800.0 * 1024 * 1024);
  ::unsetenv("PROM_TOKEN_FOR_TEST");
}

TEST(ResourcesConfigTest, RejectsBadValuesNamingKeyAndValue) {
  auto parse = [](const std::string& source, const std::string& signal = "") {
    return ParseConfig("sources:\n  - name: s\n" + source +
                       "pools:\n  - name: p\n    signals:\n      - source: s\n" + signal);
  };
  const std::string kube = "    type: kubernetes-resources\n    namespace: web\n";
  EXPECT_THAT(parse(kube + "    cpuRequest: 500x\n"),
              IsInvalidArgument(AllOf(HasSubstr("sources[0].cpuRequest"),
                                      HasSubstr("unknown suffix \"x\""), HasSubstr("\"500x\""))));
  EXPECT_THAT(parse(kube + "    cpuRequest: 500m\n", "        measure: cpu_utilization\n"),
              IsInvalidArgument(HasSubstr("targetUtilization (line 9): is required")));
  EXPECT_THAT(parse(kube + "    cpuRequest: 500m\n",
                    "        measure: cpu_utilization\n        lagThreshold: 5\n"),
              IsInvalidArgument(HasSubstr("lagThreshold (line 11): does not apply")));
  EXPECT_THAT(parse(kube, "        measure: cpu_utilization\n        targetUtilization: 70\n"),
              IsInvalidArgument(HasSubstr("unknown measure")));  // no requests known
  EXPECT_THAT(parse(kube, "        measure: cpu\n        targetAverageValue: lots\n"),
              IsInvalidArgument(HasSubstr("targetAverageValue")));
  EXPECT_THAT(parse(kube + "    kubeconfig: /k\n    apiServer: https://x\n"),
              IsInvalidArgument(HasSubstr("apiServer (line 6): conflicts with \"kubeconfig\"")));
  EXPECT_THAT(parse(kube + "    requestsFromPods: true\n    cpuRequest: 1\n"),
              IsInvalidArgument(HasSubstr("requestsFromPods")));
  EXPECT_THAT(parse("    type: kubernetes-resources\n"),
              IsInvalidArgument(HasSubstr("namespace")));

  const std::string prom = "    type: prometheus\n    serverAddress: http://p:9090\n";
  EXPECT_THAT(parse("    type: prometheus\n    serverAddress: http://u:pw@p:9090\n    query: up\n"),
              IsInvalidArgument(AllOf(HasSubstr("credentials in the URL"), Not(HasSubstr("pw@")))));
  EXPECT_THAT(parse("    type: prometheus\n    serverAddress: p:9090\n    query: up\n"),
              IsInvalidArgument(HasSubstr("http:// or https://")));
  EXPECT_THAT(parse(prom), IsInvalidArgument(HasSubstr("query")));
  EXPECT_THAT(parse(prom + "    query: up\n    reduce: median\n"),
              IsInvalidArgument(HasSubstr("expected one of sum, max, min, avg")));
  EXPECT_THAT(parse(prom + "    query: up\n    bearerToken: abc\n"),
              IsInvalidArgument(HasSubstr("use bearerTokenEnv or bearerTokenFile")));
  EXPECT_THAT(parse(prom + "    query: up\n", "        threshold: 2\n        lagThreshold: 3\n"),
              IsInvalidArgument(HasSubstr("conflicts with \"lagThreshold\"")));
}

TEST(ResourcesTriggerTest, PrometheusRawMode) {
  Meta m{{"source", "prometheus"},
         {"serverAddress", "http://prometheus.monitoring:9090"},
         {"query", "sum(rate(http_requests_total[2m]))"},
         {"threshold", "100.5"},
         {"activationThreshold", "5.5"},
         {"bearerTokenFromEnv", kToken},
         {"ignoreNullValues", "true"},
         {"scalerAddress", "poolscaler:9090"}};
  absl::StatusOr<TriggerSpec> t = ParseTrigger(m, Defaults{});
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->source.kind, kPrometheus);
  EXPECT_EQ(t->signal.measure, "value");
  EXPECT_EQ(t->signal.lag_threshold, 100.5);
  EXPECT_EQ(t->signal.activation_lag_threshold, 5.5);
  const auto& p = std::get<PrometheusParams>(t->source.params);
  EXPECT_TRUE(p.ignore_null_values);
  EXPECT_EQ(p.bearer_token.Reveal(), kToken);
  EXPECT_THAT(t->source.name, Not(HasSubstr(kToken)));
  EXPECT_THAT(t->Key(), Not(HasSubstr(kToken)));
  EXPECT_THAT(t->metric_name, HasSubstr("prometheus-"));

  m.erase("query");
  m["bearerTokenFromEnv"] = kToken;
  m["passwordFromEnv"] = "pw-xyz-secret";
  absl::StatusOr<TriggerSpec> bad = ParseTrigger(m, Defaults{});
  EXPECT_THAT(bad, IsInvalidArgument(AllOf(HasSubstr("query"), Not(HasSubstr(kToken)),
                                           Not(HasSubstr("pw-xyz-secret")))));
  EXPECT_THAT(ParseTrigger({{"source", "kubernetes-resources"}}, Defaults{}),
              IsInvalidArgument(HasSubstr("sources go in the config file")));
}

}  // namespace
}  // namespace poolscaler::config
