// The Kubernetes objects' JSON: discovery documents, ExternalMetricValueList and Status, field
// by field as k8s.io/apimachinery and k8s.io/metrics define them.
#include "poolscaler/adapter/objects.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace poolscaler::adapter {
namespace {

using nlohmann::json;

TEST(ObjectsTest, ApiGroupList) {
  json j = json::parse(ApiGroupListJson());
  EXPECT_EQ(j["kind"], "APIGroupList");
  EXPECT_EQ(j["apiVersion"], "v1");
  ASSERT_EQ(j["groups"].size(), 1u);
  const json& g = j["groups"][0];
  EXPECT_EQ(g["name"], "external.metrics.k8s.io");
  EXPECT_EQ(g["versions"], json::parse(R"([{"groupVersion":"external.metrics.k8s.io/v1beta1",
                                            "version":"v1beta1"}])"));
  EXPECT_EQ(g["preferredVersion"]["groupVersion"], "external.metrics.k8s.io/v1beta1");
}

TEST(ObjectsTest, ApiGroup) {
  json j = json::parse(ApiGroupJson());
  EXPECT_EQ(j["kind"], "APIGroup");
  EXPECT_EQ(j["apiVersion"], "v1");
  EXPECT_EQ(j["name"], "external.metrics.k8s.io");
  EXPECT_EQ(j["preferredVersion"]["version"], "v1beta1");
}

TEST(ObjectsTest, ApiResourceList) {
  json j = json::parse(ApiResourceListJson({"poolscaler-pool-desired", "poolscaler-source-lag"}));
  EXPECT_EQ(j["kind"], "APIResourceList");
  EXPECT_EQ(j["apiVersion"], "v1");
  EXPECT_EQ(j["groupVersion"], "external.metrics.k8s.io/v1beta1");
  ASSERT_EQ(j["resources"].size(), 2u);
  EXPECT_EQ(j["resources"][0], json::parse(R"({"name":"poolscaler-pool-desired",
      "singularName":"","namespaced":true,"kind":"ExternalMetricValueList","verbs":["get"]})"));
}

TEST(ObjectsTest, ExternalMetricValueList) {
  const auto t = std::chrono::system_clock::time_point{} + std::chrono::seconds(1714564800) +
                 std::chrono::milliseconds(999);
  json j = json::parse(
      ExternalMetricValueListJson({{"poolscaler-pool-desired", {{"pool", "workers"}}, t, "12"}}));
  EXPECT_EQ(j, json::parse(R"({
    "kind": "ExternalMetricValueList",
    "apiVersion": "external.metrics.k8s.io/v1beta1",
    "metadata": {},
    "items": [{"metricName": "poolscaler-pool-desired", "metricLabels": {"pool": "workers"},
               "timestamp": "2024-05-01T12:00:00Z", "value": "12"}]})"));
  EXPECT_EQ(json::parse(ExternalMetricValueListJson({}))["items"], json::array());
}

TEST(ObjectsTest, Status) {
  json j = json::parse(StatusJson(404, "metric \"x\" is not served", "x"));
  EXPECT_EQ(j, json::parse(R"({"kind":"Status","apiVersion":"v1","metadata":{},
      "status":"Failure","message":"metric \"x\" is not served","reason":"NotFound",
      "details":{"name":"x","group":"external.metrics.k8s.io","kind":"x"},"code":404})"));
  json bad = json::parse(StatusJson(503, "stale"));
  EXPECT_EQ(bad["reason"], "ServiceUnavailable");
  EXPECT_EQ(bad["code"], 503);
  EXPECT_FALSE(bad.contains("details"));
  // Invalid UTF-8 in a message never throws: it is replaced.
  EXPECT_NO_THROW(json::parse(StatusJson(400, std::string("bad \xff byte"))));
}

TEST(ObjectsTest, ReasonsAndCodes) {
  EXPECT_STREQ(StatusReason(400), "BadRequest");
  EXPECT_STREQ(StatusReason(401), "Unauthorized");
  EXPECT_STREQ(StatusReason(403), "Forbidden");
  EXPECT_STREQ(StatusReason(405), "MethodNotAllowed");
  EXPECT_STREQ(StatusReason(500), "InternalError");
  EXPECT_EQ(HttpCodeOf(absl::StatusCode::kInvalidArgument), 400);
  EXPECT_EQ(HttpCodeOf(absl::StatusCode::kNotFound), 404);
  EXPECT_EQ(HttpCodeOf(absl::StatusCode::kUnavailable), 503);
  EXPECT_EQ(HttpCodeOf(absl::StatusCode::kInternal), 500);
}

TEST(ObjectsTest, Rfc3339IsUtcWholeSeconds) {
  EXPECT_EQ(Rfc3339(std::chrono::system_clock::time_point{}), "1970-01-01T00:00:00Z");
  EXPECT_EQ(Rfc3339(std::chrono::system_clock::time_point{} + std::chrono::seconds(951782400)),
            "2000-02-29T00:00:00Z");
}

}  // namespace
}  // namespace poolscaler::adapter
