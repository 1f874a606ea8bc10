// Decoding of Prometheus query responses and Kubernetes metrics/pods/Status bodies.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "poolscaler/sources/kube_metrics.h"
#include "poolscaler/sources/prometheus_response.h"

namespace poolscaler::sources {
namespace {

using config::Reduce;
using ::testing::HasSubstr;

constexpr char kVector[] = R"({"status":"success","data":{"resultType":"vector","result":[
  {"metric":{"q":"a"},"value":[1700000000.5,"3"]},
  {"metric":{"q":"b"},"value":[1700000000.5,"6"]},
  {"metric":{"q":"c"},"value":[1700000000.5,"0.5e1"]}]}})";

TEST(PrometheusResponse, ScalarAndVectorReductions) {
  auto scalar = DecodePrometheusResponse(
      R"({"status":"success","data":{"resultType":"scalar","result":[1700000000,"42.25"]}})", 200,
      Reduce::kMax);
  ASSERT_TRUE(scalar.ok()) << scalar.status();
  EXPECT_EQ(scalar->value, 42.25);
  EXPECT_EQ(scalar->series, 1u);
  EXPECT_EQ(DecodePrometheusResponse(kVector, 200, Reduce::kSum)->value, 14);
  EXPECT_EQ(DecodePrometheusResponse(kVector, 200, Reduce::kMax)->value, 6);
  EXPECT_EQ(DecodePrometheusResponse(kVector, 200, Reduce::kMin)->value, 3);
  EXPECT_DOUBLE_EQ(DecodePrometheusResponse(kVector, 200, Reduce::kAvg)->value, 14.0 / 3);
  EXPECT_EQ(DecodePrometheusResponse(kVector, 200, Reduce::kAvg)->series, 3u);
}

TEST(PrometheusResponse, EmptyVectorIsMarkedEmpty) {
  auto r = DecodePrometheusResponse(
      R"({"status":"success","data":{"resultType":"vector","result":[]}})", 200, Reduce::kSum);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty);
  EXPECT_EQ(r->value, 0);
}

TEST(PrometheusResponse, Errors) {
  auto bad = DecodePrometheusResponse(
      R"({"status":"error","errorType":"bad_data","error":"1:5: parse error: unexpected <op:*>"})",
      400, Reduce::kSum);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("bad_data): 1:5: parse error"));

  auto timeout = DecodePrometheusResponse(
      R"({"status":"error","errorType":"timeout","error":"query timed out"})", 503, Reduce::kSum);
  EXPECT_EQ(timeout.status().code(), absl::StatusCode::kUnavailable);

  EXPECT_EQ(DecodePrometheusResponse("Unauthorized\n", 401, Reduce::kSum).status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(DecodePrometheusResponse("forbidden", 403, Reduce::kSum).status().code(),
            absl::StatusCode::kPermissionDenied);
  auto not_found = DecodePrometheusResponse("404 page not found", 404, Reduce::kSum);
  EXPECT_EQ(not_found.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(not_found.status().message(), HasSubstr("is serverAddress the Prometheus base URL"));

  auto matrix = DecodePrometheusResponse(
      R"({"status":"success","data":{"resultType":"matrix","result":[]}})", 200, Reduce::kSum);
  EXPECT_THAT(matrix.status().message(), HasSubstr("returned a matrix"));
  auto nan = DecodePrometheusResponse(
      R"({"status":"success","data":{"resultType":"scalar","result":[1,"NaN"]}})", 200,
      Reduce::kSum);
  EXPECT_THAT(nan.status().message(), HasSubstr("returned NaN"));
  EXPECT_EQ(DecodePrometheusResponse("{", 200, Reduce::kSum).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(DecodePrometheusResponse(R"({"status":"success","data":{"resultType":"vector",
            "result":[{"value":[1,"1e308"]},{"value":[1,"1e308"]}]}})",
                                     200, Reduce::kSum)
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
}

// The shape metrics-server returns (two pods, one with two containers, one just started).
constexpr char kPodMetrics[] = R"({"kind":"PodMetricsList","apiVersion":"metrics.k8s.io/v1beta1",
 "metadata":{},"items":[
 {"metadata":{"name":"web-1","namespace":"web","labels":{"app":"web"}},
  "timestamp":"2024-05-01T10:00:00Z","window":"15.023s",
  "containers":[{"name":"app","usage":{"cpu":"250123456n","memory":"131072Ki"}},
                {"name":"sidecar","usage":{"cpu":"1m","memory":"10Mi"}}]},
 {"metadata":{"name":"web-2","namespace":"web"},"timestamp":"2024-05-01T10:00:00Z",
  "window":"15s","containers":[{"name":"app","usage":{"cpu":"750m","memory":"256Mi"}}]},
 {"metadata":{"name":"web-3","namespace":"web"},"timestamp":"2024-05-01T10:00:00Z",
  "window":"15s","containers":[]}]})";

TEST(PodMetricsList, SumsExactly) {
  auto m = DecodePodMetricsList(kPodMetrics);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->pods.size(), 2u);
  EXPECT_EQ(m->pods_without_metrics, 1);
  EXPECT_EQ(m->pods.at("web-1").cpu_nanocores, 251123456);
  EXPECT_EQ(m->pods.at("web-1").memory_bytes, 131072 * 1024 + 10 * 1024 * 1024);
  EXPECT_EQ(m->cpu_nanocores, 1001123456);
  EXPECT_EQ(m->memory_bytes, 134217728 + 10485760 + 268435456);
}

TEST(PodMetricsList, EmptyAndBad) {
  auto empty = DecodePodMetricsList(R"({"kind":"PodMetricsList","items":[]})");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->pods.empty());
  auto bad = DecodePodMetricsList(
      R"({"kind":"PodMetricsList","items":[{"metadata":{"name":"p"},"containers":[{"name":"c","usage":{"cpu":"12x"}}]}]})");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(bad.status().message(), HasSubstr("pod \"p\" container \"c\" cpu: unknown suffix"));
  EXPECT_THAT(DecodePodMetricsList(R"({"kind":"PodList","items":[]})").status().message(),
              HasSubstr("not a PodMetricsList"));
  EXPECT_THAT(DecodePodMetricsList("<html>").status().message(), HasSubstr("not JSON"));
}

TEST(PodRequests, SumsContainersAndSkipsFinishedPods) {
  auto r = DecodePodRequests(R"({"kind":"PodList","items":[
    {"metadata":{"name":"a"},"spec":{"containers":[
      {"name":"app","resources":{"requests":{"cpu":"500m","memory":"512Mi"}}},
      {"name":"side","resources":{"requests":{"cpu":"100m","memory":"64Mi"}}}]},
     "status":{"phase":"Running"}},
    {"metadata":{"name":"b"},"spec":{"containers":[{"name":"app","resources":{}}]},
     "status":{"phase":"Running"}},
    {"metadata":{"name":"done"},"spec":{"containers":[]},"status":{"phase":"Succeeded"}}]})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->size(), 2u);
  EXPECT_EQ(r->at("a").cpu_nanocores, 600000000);
  EXPECT_EQ(r->at("a").memory_bytes, 576 * 1024 * 1024);
  EXPECT_TRUE(r->at("a").has_cpu);
  EXPECT_FALSE(r->at("b").has_cpu);
}

TEST(KubeApiError, MapsStatusAndKeepsTheServersMessage) {
  absl::Status forbidden = KubeApiError(
      403,
      R"({"kind":"Status","status":"Failure","message":"pods.metrics.k8s.io is forbidden: User \"x\" cannot list resource","reason":"Forbidden","code":403})",
      "metrics API");
  EXPECT_EQ(forbidden.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(forbidden.message(),
              HasSubstr("metrics API: HTTP 403: pods.metrics.k8s.io is forbidden"));
  EXPECT_THAT(forbidden.message(), HasSubstr("rbac"));
  EXPECT_EQ(KubeApiError(401, "Unauthorized", "m").code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(KubeApiError(404, "{}", "m").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(KubeApiError(503, "", "m").code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(KubeApiError(400, "", "m").code(), absl::StatusCode::kFailedPrecondition);
}

TEST(Scale, SpecAndStatusReplicas) {
  auto s = DecodeScale(R"({"kind":"Scale","apiVersion":"autoscaling/v1",
    "metadata":{"name":"parse","namespace":"shop"},
    "spec":{"replicas":20},"status":{"replicas":18,"selector":"app=parse"}})");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->spec_replicas, 20);
  EXPECT_EQ(s->status_replicas, 18);
  // spec.replicas is omitted when 0 (omitempty), and status.replicas of a new workload too.
  auto zero = DecodeScale(R"({"kind":"Scale","spec":{},"status":{}})");
  ASSERT_TRUE(zero.ok()) << zero.status();
  EXPECT_EQ(zero->spec_replicas, 0);
  EXPECT_EQ(zero->status_replicas, 0);
}

TEST(Scale, Errors) {
  for (const char* body :
       {"", "{", "[]", R"({"kind":"Deployment"})", R"({"kind":"Scale","spec":{"replicas":-1}})",
        R"({"kind":"Scale","spec":{"replicas":2147483648}})",
        R"({"kind":"Scale","spec":{"replicas":"3"}})",
        R"({"kind":"Scale","spec":{"replicas":1.5}})", R"({"kind":"Scale","spec":[]})"}) {
    auto s = DecodeScale(body);
    ASSERT_FALSE(s.ok()) << body;
    EXPECT_EQ(s.status().code(), absl::StatusCode::kFailedPrecondition) << body;
    EXPECT_THAT(s.status().message(), HasSubstr("scale subresource")) << body;
  }
}

constexpr char kAppsV1[] = R"({"kind":"APIResourceList","groupVersion":"apps/v1","resources":[
  {"name":"deployments","kind":"Deployment","namespaced":true},
  {"name":"deployments/scale","kind":"Scale","group":"autoscaling","version":"v1"},
  {"name":"deployments/status","kind":"Deployment"},
  {"name":"controllerrevisions","kind":"ControllerRevision"},
  {"name":"statefulsets","kind":"StatefulSet"},
  {"name":"statefulsets/scale","kind":"Scale"}]})";

TEST(ScaledObjectPools, PoolModeTriggersWithTheirTargets) {
  auto pools = DecodeScaledObjectPools(R"({"kind":"ScaledObjectList","items":[
    {"metadata":{"name":"work","namespace":"docs"},
     "spec":{"scaleTargetRef":{"name":"parse-gpu"},
             "triggers":[{"type":"external","metadata":{"scalerAddress":"p:9090","pool":"gpu"}},
                         {"type":"cpu","metadata":{"value":"50"}},
                         {"type":"external","metadata":{"scalerAddress":"p:9090"}}]}},
    {"metadata":{"name":"db","namespace":"x"},
     "spec":{"scaleTargetRef":{"apiVersion":"apps/v1","kind":"StatefulSet","name":"db"},
             "triggers":[{"type":"external-push","metadata":{"pool":"db"}}]}},
    {"metadata":{"name":"no-target","namespace":"x"},
     "spec":{"triggers":[{"type":"external","metadata":{"pool":"lost"}}]}}]})");
  ASSERT_TRUE(pools.ok()) << pools.status();
  ASSERT_EQ(pools->size(), 2u);
  EXPECT_EQ((*pools)[0].pool, "gpu");
  EXPECT_EQ((*pools)[0].namespace_name, "docs");
  EXPECT_EQ((*pools)[0].scaled_object, "work");
  EXPECT_EQ((*pools)[0].target_api_version, "apps/v1");
  EXPECT_EQ((*pools)[0].target_kind, "Deployment");
  EXPECT_EQ((*pools)[0].target_name, "parse-gpu");
  EXPECT_EQ((*pools)[1].target_kind, "StatefulSet");
}

TEST(ScaledObjectPools, Errors) {
  for (const char* body : {"", "[]", R"({"kind":"PodList","items":[]})",
                           R"({"kind":"ScaledObjectList","items":[{"metadata":{"name":"a"}}]})"}) {
    auto pools = DecodeScaledObjectPools(body);
    EXPECT_EQ(pools.status().code(), absl::StatusCode::kFailedPrecondition) << body;
    EXPECT_THAT(pools.status().message(), HasSubstr("ScaledObject list")) << body;
  }
}

TEST(ScaleResource, FoundByKind) {
  auto r = FindScaleResource(kAppsV1, "StatefulSet");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, "statefulsets");
  EXPECT_EQ(*FindScaleResource(kAppsV1, "Deployment"), "deployments");
}

TEST(ScaleResource, MissingKindOrNoScale) {
  auto missing = FindScaleResource(kAppsV1, "DaemonSet");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("\"DaemonSet\""));
  auto no_scale = FindScaleResource(kAppsV1, "ControllerRevision");
  EXPECT_EQ(no_scale.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(no_scale.status().message(), HasSubstr("no scale subresource"));
  EXPECT_EQ(FindScaleResource("{}", "Deployment").status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(
      FindScaleResource(R"({"kind":"APIResourceList","resources":[7,{"name":3}]})", "Deployment")
          .status()
          .code(),
      absl::StatusCode::kNotFound);
}

TEST(KubeApiError, ForbiddenNamesTheNeededPermission) {
  absl::Status s = KubeApiError(403, R"({"message":"forbidden"})", "scale subresource",
                                "needs get on deployments/scale");
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(s.message(), "scale subresource: HTTP 403: forbidden (needs get on deployments/scale)");
}

TEST(PrometheusMatrix, SeriesByLabelWithTimesAndValues) {
  auto m = DecodePrometheusMatrix(
      R"({"status":"success","data":{"resultType":"matrix","result":[
          {"metric":{"pool":"work"},"values":[[1765000000,"20"],[1765000005.5,"2"]]},
          {"metric":{"pool":"gpu"},"values":[]}]}})",
      200, "pool");
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ(m->size(), 2u);
  EXPECT_EQ((*m)[0].label, "work");
  ASSERT_EQ((*m)[0].samples.size(), 2u);
  EXPECT_DOUBLE_EQ((*m)[0].samples[1].first, 1765000005.5);
  EXPECT_DOUBLE_EQ((*m)[0].samples[1].second, 2);
  EXPECT_TRUE((*m)[1].samples.empty());
}

TEST(PrometheusMatrix, WrongShapesAreErrors) {
  auto vector = DecodePrometheusMatrix(
      R"({"status":"success","data":{"resultType":"vector","result":[]}})", 200, "pool");
  EXPECT_EQ(vector.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(vector.status().message(), ::testing::HasSubstr("not a matrix"));
  auto unlabeled = DecodePrometheusMatrix(
      R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[]}]}})",
      200, "pool");
  EXPECT_THAT(unlabeled.status().message(), ::testing::HasSubstr("no label \"pool\""));
  auto nan = DecodePrometheusMatrix(
      R"({"status":"success","data":{"resultType":"matrix","result":[
          {"metric":{"pool":"a"},"values":[[1,"NaN"]]}]}})",
      200, "pool");
  EXPECT_FALSE(nan.ok());
  auto denied = DecodePrometheusMatrix("forbidden", 403, "pool");
  EXPECT_EQ(denied.status().code(), absl::StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace poolscaler::sources
