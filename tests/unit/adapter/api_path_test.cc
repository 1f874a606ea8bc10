// Request paths of the external metrics API and of the health checks.
#include "poolscaler/adapter/api_path.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace poolscaler::adapter {
namespace {

using ::testing::HasSubstr;
using Kind = ApiPath::Kind;

TEST(ApiPathTest, Discovery) {
  EXPECT_EQ(ParseApiPath("/apis")->kind, Kind::kApis);
  EXPECT_EQ(ParseApiPath("/apis/")->kind, Kind::kApis);
  EXPECT_EQ(ParseApiPath("/apis/external.metrics.k8s.io")->kind, Kind::kGroup);
  EXPECT_EQ(ParseApiPath("/apis/external.metrics.k8s.io/v1beta1")->kind, Kind::kVersion);
  EXPECT_EQ(ParseApiPath("/apis/external.metrics.k8s.io/v1beta1/")->kind, Kind::kVersion);
}

TEST(ApiPathTest, Health) {
  for (const char* name : {"healthz", "livez", "readyz"}) {
    absl::StatusOr<ApiPath> p = ParseApiPath(std::string("/") + name);
    ASSERT_TRUE(p.ok()) << name;
    EXPECT_EQ(p->kind, Kind::kHealth);
    EXPECT_EQ(p->health, name);
  }
}

TEST(ApiPathTest, Metric) {
  absl::StatusOr<ApiPath> p =
      ParseApiPath("/apis/external.metrics.k8s.io/v1beta1/namespaces/jobs/poolscaler-pool-desired");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->kind, Kind::kMetric);
  EXPECT_EQ(p->namespace_name, "jobs");
  EXPECT_EQ(p->metric, "poolscaler-pool-desired");
}

TEST(ApiPathTest, EverythingElseIsNotFound) {
  for (const char* path :
       {"", "apis", "/", "/api", "/apis/metrics.k8s.io", "/apis/external.metrics.k8s.io/v1",
        "/apis//external.metrics.k8s.io", "/apis/external.metrics.k8s.io/v1beta1/namespaces",
        "/apis/external.metrics.k8s.io/v1beta1/namespaces/jobs",
        "/apis/external.metrics.k8s.io/v1beta1/poolscaler-pool-desired",
        "/apis/external.metrics.k8s.io/v1beta1/namespaces/jobs/m/extra",
        "/apis/external.metrics.k8s.io/v1beta1/pods/jobs/m", "/healthz/ping", "/openapi/v2"}) {
    absl::StatusOr<ApiPath> p = ParseApiPath(path);
    ASSERT_FALSE(p.ok()) << path;
    EXPECT_EQ(p.status().code(), absl::StatusCode::kNotFound) << path;
    EXPECT_THAT(std::string(p.status().message()),
                HasSubstr("the server could not find the requested resource"));
  }
}

TEST(ApiPathTest, BadNamespaceIsInvalidArgumentNamingIt) {
  for (const char* ns : {"Jobs", "-jobs", "jo_bs", "a.b"}) {
    absl::StatusOr<ApiPath> p =
        ParseApiPath(std::string("/apis/external.metrics.k8s.io/v1beta1/namespaces/") + ns + "/m");
    ASSERT_FALSE(p.ok()) << ns;
    EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(p.status().message()),
                HasSubstr(std::string("namespace \"") + ns + "\" is not a valid namespace name"));
  }
  EXPECT_TRUE(IsNamespaceName("kube-system"));
  EXPECT_FALSE(IsNamespaceName(std::string(64, 'a')));
}

}  // namespace
}  // namespace poolscaler::adapter
