// What poolscaler local reads from /pools and writes to its report directory.
#include "poolscaler/local/report.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "poolscaler/local/pools_status.h"

namespace poolscaler::local {
namespace {

using ::testing::HasSubstr;

TEST(PoolsJsonTest, DecodesLagDecisionAndLimits) {
  // The shape telemetry/pools_json.cc writes.
  const char* body = R"([
    {"name": "parse-gpu", "available": true, "desiredReplicas": 2, "rawDesiredReplicas": 9,
     "active": true, "limitedBy": ["max", "budget:gpu"],
     "signals": [{"name": "jobs-gpu/outstanding", "value": 17.0, "replicas": 9}]},
    {"name": "test-runs", "available": false, "error": "no sample yet",
     "signals": [{"name": "test-runs/outstanding", "error": "no sample yet"}]}])";
  absl::StatusOr<std::map<std::string, PoolStatus>> pools = DecodePoolsJson(body);
  ASSERT_TRUE(pools.ok()) << pools.status();
  const PoolStatus& gpu = pools->at("parse-gpu");
  EXPECT_TRUE(gpu.available);
  EXPECT_EQ(gpu.lag, 17.0);
  EXPECT_EQ(gpu.desired, 2);
  EXPECT_EQ(gpu.raw_desired, 9);
  EXPECT_TRUE(gpu.active);
  EXPECT_THAT(gpu.limited_by, ::testing::ElementsAre("max", "budget:gpu"));
  const PoolStatus& runs = pools->at("test-runs");
  EXPECT_FALSE(runs.available);
  EXPECT_EQ(runs.error, "no sample yet");
  EXPECT_FALSE(runs.lag.has_value());
  EXPECT_FALSE(runs.desired.has_value());
}

// Found while writing the pools_json fuzz target: a field of the wrong type made nlohmann::json
// throw out of the decoder; now it is ignored. Counts out of range are ignored, an empty name
// refused.
TEST(PoolsJsonTest, FieldsOfTheWrongTypeAreIgnoredNotThrown) {
  absl::StatusOr<std::map<std::string, PoolStatus>> pools = DecodePoolsJson(
      R"([{"name": "a", "available": 1, "active": "yes", "desiredReplicas": -3,
           "rawDesiredReplicas": 18446744073709551615}])");
  ASSERT_TRUE(pools.ok()) << pools.status();
  const PoolStatus& a = pools->at("a");
  EXPECT_FALSE(a.available);
  EXPECT_FALSE(a.active);
  EXPECT_FALSE(a.desired.has_value());
  EXPECT_FALSE(a.raw_desired.has_value());
  EXPECT_EQ(DecodePoolsJson(R"([{"name": ""}])").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(PoolsJsonTest, RejectsOtherBodies) {
  EXPECT_EQ(DecodePoolsJson("{}").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodePoolsJson("not json").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodePoolsJson(R"([{"desiredReplicas": 1}])").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PoolsFetcher::Create("127.0.0.1:9091/pools").status().code(),
            absl::StatusCode::kInvalidArgument);
}

std::vector<DecisionRow> Rows() {
  DecisionRow a;
  a.t = 2;
  a.pool = "parse-gpu";
  a.phase = "burst";
  a.lag = 17;
  a.demand = 9;
  a.metric = "pool-parse-gpu";
  a.metric_value = 2;
  a.target = 1;
  a.active = true;
  a.reason = "hpa";
  a.hpa_raw = 2;
  a.desired = 2;
  a.running = 2;
  a.limits = "max|budget:gpu";
  DecisionRow b = a;
  b.t = 4;
  b.lag.reset();
  b.demand.reset();
  b.error = "GetMetrics: failing, for 2s";
  b.limits = "budget:gpu";
  return {a, b};
}

TEST(ReportTest, DecisionsCsvQuotesWhatNeedsIt) {
  std::string csv = DecisionsCsv(Rows());
  EXPECT_THAT(csv, HasSubstr("t,pool,phase,lag,demand,metric,metric_value,target,active,reason,"
                             "hpa_raw,desired,running,terminating,limits,error,by\n"));
  EXPECT_THAT(
      csv, HasSubstr(
               "2.0,parse-gpu,burst,17,9,pool-parse-gpu,2,1,1,hpa,2,2,2,0,max|budget:gpu,,keda\n"));
  EXPECT_THAT(csv, HasSubstr("4.0,parse-gpu,burst,,,pool-parse-gpu,2,1,1,hpa,2,2,2,0,budget:gpu,"
                             "\"GetMetrics: failing, for 2s\",keda\n"));
}

TEST(ReportTest, SummaryCountsLimitsAndWorkers) {
  std::map<std::string, PoolTotals> totals;
  totals["parse-gpu"].max_replicas = 4;
  totals["parse-gpu"].workers = {3, 2, 0, 1, 0};
  std::string summary = SummaryText(Rows(), totals);
  EXPECT_THAT(summary,
              ::testing::ContainsRegex("parse-gpu +2 +2 +2 +2  3/2/0/1/0 +budget:gpu ×2, max ×1"));
}

TEST(ReportTest, PlotHasBothChartsPerPoolAndThePhases) {
  std::map<std::string, PoolTotals> totals;
  totals["parse-gpu"].max_replicas = 4;
  std::string svg = PlotSvg(Rows(), totals, {{0, 2, "idle", 0}, {2, 10, "burst", 24}});
  EXPECT_THAT(svg, HasSubstr("parse-gpu — lag"));
  EXPECT_THAT(svg, HasSubstr("parse-gpu — replicas"));
  EXPECT_THAT(svg, HasSubstr("maxReplicaCount 4"));
  EXPECT_THAT(svg, HasSubstr(">burst 24/s<"));
  EXPECT_THAT(svg, ::testing::Not(HasSubstr(">idle")));  // idle phases are not shaded
  EXPECT_THAT(svg, HasSubstr("demand before limits"));
  EXPECT_THAT(svg, HasSubstr("</svg>"));
}

}  // namespace
}  // namespace poolscaler::local
