// ExternalMetricsApi over real in-memory components (a parsed config, SampleStore, PoolTable and
// ScalerCore; no broker, no HTTP): values as quantities, the same number ScalerCore gives the
// gRPC API, label-selector rules, and 404 / 400 / 503 Status answers.
#include "poolscaler/adapter/metrics_api.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "poolscaler/pools/from_config.h"
#include "poolscaler/pools/pool_table.h"
#include "support/orders_config.h"

namespace poolscaler::adapter {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

// Time moved by the test (the components take `now` from it).
class TestClock final : public Clock {
 public:
  TimePoint Now() const override { return now; }
  std::chrono::system_clock::time_point WallNow() const override {
    return wall_at_zero +
           std::chrono::duration_cast<std::chrono::system_clock::duration>(now - TimePoint{});
  }
  TimePoint now = TimePoint{} + std::chrono::seconds(1000);
  // 2024-05-01T12:00:00Z at steady time zero.
  std::chrono::system_clock::time_point wall_at_zero =
      std::chrono::system_clock::time_point{} + std::chrono::seconds(1714564800);
};

const std::string kConfig = [] {
  testing::OrdersConfig c;
  c.orders_keys = "    sampleInterval: 1s\n    staleAfter: 3s\n";
  c.more_sources =
      "  - name: usage\n"
      "    type: prometheus\n"
      "    serverAddress: http://127.0.0.1:9\n"
      "    query: up\n"
      "    sampleInterval: 1s\n";
  return c.Yaml();
}();

constexpr char kBase[] = "/apis/external.metrics.k8s.io/v1beta1/namespaces/jobs/";

class MetricsApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<config::Config> parsed = config::ParseConfig(kConfig);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    cfg_ = std::make_shared<config::Config>(std::move(*parsed));
    std::vector<pools::PoolDefinition> defs = pools::DefinitionsFromConfig(*cfg_);
    for (const config::SourceSpec& s : cfg_->sources) {
      store_.Register(s.Key(), s.name, s.Describe(), s.stale_after);
    }
    table_.SetConfigPools(std::move(defs));
  }

  // Records a reading of `source` now and re-evaluates the pools.
  void Sample(const std::string& source, std::map<std::string, double> measures) {
    store_.Record(cfg_->FindSource(source)->Key(), sources::Reading{std::move(measures), ""},
                  clock_.now, {});
    table_.EvaluateAll(store_, clock_.now);
  }

  ApiResponse Get(const std::string& metric, std::optional<std::string> selector) {
    return api_.Get(kBase + metric, selector);
  }

  TestClock clock_;
  std::shared_ptr<const config::Config> cfg_;
  sampler::SampleStore store_;
  pools::PoolTable table_;
  server::ScalerCore core_{{[this] { return cfg_; }, nullptr, &table_, &store_, &clock_}};
  ExternalMetricsApi api_{{&core_, [this] { return cfg_; }, &store_, &clock_}};
};

// One item's value, after checking the list's shape.
std::string ItemValue(const ApiResponse& r, const std::string& metric,
                      const std::map<std::string, std::string>& labels) {
  EXPECT_EQ(r.code, 200) << r.body;
  json j = json::parse(r.body);
  EXPECT_EQ(j["kind"], "ExternalMetricValueList");
  EXPECT_EQ(j["apiVersion"], "external.metrics.k8s.io/v1beta1");
  EXPECT_EQ(j["metadata"], json::object());
  if (j["items"].size() != 1) {
    ADD_FAILURE() << r.body;
    return "";
  }
  const json& item = j["items"][0];
  EXPECT_EQ(item["metricName"], metric);
  EXPECT_EQ(item["metricLabels"], json(labels));
  EXPECT_EQ(item["timestamp"], "2024-05-01T12:16:40Z");  // steady 1000 s
  return item["value"];
}

TEST_F(MetricsApiTest, PoolDesiredIsWhatGetMetricsReturns) {
  Sample("orders", {{"outstanding", 58}, {"pending", 3}, {"undelivered", 55}, {"length", 60}});
  ApiResponse r = Get("poolscaler-pool-desired", "pool=workers");
  EXPECT_EQ(ItemValue(r, "poolscaler-pool-desired", {{"pool", "workers"}}), "12");
  EXPECT_EQ(r.resource, "poolscaler-pool-desired");
  absl::StatusOr<double> grpc = core_.MetricValue({{"pool", "workers"}}, "");
  ASSERT_TRUE(grpc.ok()) << grpc.status();
  EXPECT_EQ(*grpc, 12);
  // The HPA lower-cases names; any case and the other equality spellings select the same.
  for (const char* sel : {"pool==workers", "pool in (workers)", " pool = workers "}) {
    EXPECT_EQ(ItemValue(Get("Poolscaler-Pool-Desired", sel), "poolscaler-pool-desired",
                        {{"pool", "workers"}}),
              "12")
        << sel;
  }
}

TEST_F(MetricsApiTest, SourceLagAsExactQuantities) {
  Sample("orders",
         {{"outstanding", 3000}, {"pending", 12}, {"undelivered", 2988}, {"length", 3000}});
  Sample("usage", {{"value", 1.5}});
  EXPECT_EQ(ItemValue(Get("poolscaler-source-lag", "source=orders"), "poolscaler-source-lag",
                      {{"source", "orders"}, {"measure", "outstanding"}}),
            "3k");
  EXPECT_EQ(ItemValue(Get("poolscaler-source-lag", "source=orders,measure=pending"),
                      "poolscaler-source-lag", {{"source", "orders"}, {"measure", "pending"}}),
            "12");
  EXPECT_EQ(ItemValue(Get("poolscaler-source-lag", "source=usage"), "poolscaler-source-lag",
                      {{"source", "usage"}, {"measure", "value"}}),
            "1500m");
  Sample("usage", {{"value", 0.25}});
  EXPECT_EQ(ItemValue(Get("poolscaler-source-lag", "source=usage"), "poolscaler-source-lag",
                      {{"source", "usage"}, {"measure", "value"}}),
            "250m");
}

// The Status object, after checking its shape.
json StatusOf(const ApiResponse& r, int code) {
  EXPECT_EQ(r.code, code) << r.body;
  json j = json::parse(r.body);
  EXPECT_EQ(j["kind"], "Status");
  EXPECT_EQ(j["apiVersion"], "v1");
  EXPECT_EQ(j["status"], "Failure");
  EXPECT_EQ(j["code"], code);
  return j;
}

TEST_F(MetricsApiTest, UnknownMetricPoolSourceOrMeasureIsNotFound) {
  Sample("orders", {{"outstanding", 5}, {"pending", 0}, {"undelivered", 5}, {"length", 5}});
  json j = StatusOf(Get("poolscaler-nope", "pool=workers"), 404);
  EXPECT_EQ(j["reason"], "NotFound");
  EXPECT_THAT(j["message"].get<std::string>(),
              HasSubstr("metric \"poolscaler-nope\" is not served by poolscaler (it serves "
                        "poolscaler-pool-desired, poolscaler-source-lag)"));
  EXPECT_EQ(j["details"]["name"], "poolscaler-nope");
  EXPECT_EQ(j["details"]["group"], "external.metrics.k8s.io");
  EXPECT_THAT(
      StatusOf(Get("poolscaler-pool-desired", "pool=other"), 404)["message"].get<std::string>(),
      HasSubstr("pool \"other\" is not in the config"));
  EXPECT_THAT(
      StatusOf(Get("poolscaler-source-lag", "source=other"), 404)["message"].get<std::string>(),
      HasSubstr("source \"other\" is not in the config"));
  EXPECT_THAT(StatusOf(Get("poolscaler-source-lag", "source=orders,measure=ready"), 404)["message"]
                  .get<std::string>(),
              HasSubstr("source \"orders\" reports no measure \"ready\" (it reports "));
}

TEST_F(MetricsApiTest, MissingOrInvalidSelectorIsBadRequest) {
  Sample("orders", {{"outstanding", 5}, {"pending", 0}, {"undelivered", 5}, {"length", 5}});
  struct Bad {
    const char* metric;
    std::optional<std::string> selector;
    const char* why;
  };
  const Bad kBad[] = {
      {"poolscaler-pool-desired", std::nullopt,
       "poolscaler-pool-desired needs a label selector naming one pool: labelSelector=pool=NAME"},
      {"poolscaler-pool-desired", "", "needs a label selector naming one pool"},
      {"poolscaler-pool-desired", "pool=", "needs a label selector naming one pool"},
      {"poolscaler-pool-desired", "pool in (a,", "labelSelector: expected"},
      {"poolscaler-pool-desired", "pool!=workers",
       "poolscaler-pool-desired selects by pool=VALUE only, not \"pool!=workers\""},
      {"poolscaler-pool-desired", "pool in (a,b)", "selects by pool=VALUE only"},
      {"poolscaler-pool-desired", "pool", "selects by pool=VALUE only"},
      {"poolscaler-pool-desired", "pool=workers,tier=gpu",
       "poolscaler-pool-desired series have no label \"tier\" (their labels: pool)"},
      {"poolscaler-pool-desired", "pool=a,pool=b", "pool=a and pool=b select nothing together"},
      {"poolscaler-source-lag", "measure=pending", "naming one source: labelSelector=source=NAME"},
      {"poolscaler-source-lag", "source=orders,pool=x", "their labels: source, measure"},
  };
  for (const Bad& b : kBad) {
    json j = StatusOf(Get(b.metric, b.selector), 400);
    EXPECT_EQ(j["reason"], "BadRequest");
    EXPECT_THAT(j["message"].get<std::string>(), HasSubstr(b.why)) << b.selector.value_or("(none)");
  }
  json ns = StatusOf(api_.Get("/apis/external.metrics.k8s.io/v1beta1/namespaces/Jobs/"
                              "poolscaler-pool-desired",
                              "pool=workers"),
                     400);
  EXPECT_THAT(ns["message"].get<std::string>(), HasSubstr("namespace \"Jobs\""));
}

TEST_F(MetricsApiTest, StaleOrUnsampledIsServiceUnavailableNeverAValue) {
  json first = StatusOf(Get("poolscaler-source-lag", "source=orders"), 503);
  EXPECT_EQ(first["reason"], "ServiceUnavailable");
  EXPECT_THAT(first["message"].get<std::string>(), HasSubstr("source orders: no sample yet"));
  StatusOf(Get("poolscaler-pool-desired", "pool=workers"), 503);

  Sample("orders", {{"outstanding", 23}, {"pending", 0}, {"undelivered", 23}, {"length", 23}});
  ASSERT_EQ(Get("poolscaler-pool-desired", "pool=workers").code, 200);
  clock_.now += std::chrono::seconds(4);  // past staleAfter (3s)
  table_.EvaluateAll(store_, clock_.now);
  EXPECT_THAT(
      StatusOf(Get("poolscaler-source-lag", "source=orders"), 503)["message"].get<std::string>(),
      HasSubstr("last sample is stale (4s old, staleAfter 3s)"));
  json pool = StatusOf(Get("poolscaler-pool-desired", "pool=workers"), 503);
  EXPECT_THAT(pool["message"].get<std::string>(), HasSubstr("orders/outstanding"));
  EXPECT_EQ(core_.MetricValue({{"pool", "workers"}}, "").status().code(),
            absl::StatusCode::kUnavailable);
}

TEST_F(MetricsApiTest, Discovery) {
  ApiResponse r = api_.Get("/apis/external.metrics.k8s.io/v1beta1", std::nullopt);
  EXPECT_EQ(r.code, 200);
  EXPECT_EQ(r.resource, "discovery");
  json j = json::parse(r.body);
  ASSERT_EQ(j["resources"].size(), 2u);
  EXPECT_EQ(j["resources"][0]["name"], "poolscaler-pool-desired");
  EXPECT_EQ(j["resources"][1]["name"], "poolscaler-source-lag");
  EXPECT_EQ(json::parse(api_.Get("/apis", std::nullopt).body)["kind"], "APIGroupList");
  EXPECT_EQ(json::parse(api_.Get("/apis/external.metrics.k8s.io", std::nullopt).body)["kind"],
            "APIGroup");
  EXPECT_EQ(StatusOf(api_.Get("/openapi/v2", std::nullopt), 404)["reason"], "NotFound");
}

}  // namespace
}  // namespace poolscaler::adapter
