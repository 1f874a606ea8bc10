// ScalerCore over real in-memory components (a parsed config, SampleStore, SourceRegistry with
// the product's source factory, a Sampler that is never started, PoolTable): pool-mode and
// raw-mode resolution, metric-name matching as KEDA sends names, and the active state. No
// broker is contacted: readings are recorded into the store as the sampler would.
#include "poolscaler/server/scaler_core.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "poolscaler/pools/from_config.h"
#include "poolscaler/sources/source.h"
#include "support/manual_clock.h"
#include "support/orders_config.h"

namespace poolscaler::server {
namespace {

using ::testing::HasSubstr;

const std::string kConfig = [] {
  testing::OrdersConfig c;
  c.orders_keys = "    sampleInterval: 1s\n    staleAfter: 3s\n";
  c.signal_keys = "        activationLagThreshold: 2\n";
  return c.Yaml();
}();

Metadata Raw() {
  return {{"source", "redis-streams"}, {"address", "127.0.0.1:6399"},
          {"stream", "payments"},      {"consumerGroup", "billing"},
          {"lagThreshold", "10"},      {"activationLagThreshold", "3"}};
}

class ScalerCoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<config::Config> parsed = config::ParseConfig(kConfig);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    cfg_ = std::make_shared<config::Config>(std::move(*parsed));
    ASSERT_TRUE(registry_.ApplyConfig(cfg_->sources).ok());
    table_.SetConfigPools(pools::DefinitionsFromConfig(*cfg_));
  }

  // Records a reading for the source with this key, as the sampler would, and evaluates.
  void Sample(const std::string& key, double outstanding) {
    store_.Record(key,
                  sources::Reading{{{"outstanding", outstanding},
                                    {"pending", 0},
                                    {"undelivered", outstanding},
                                    {"length", outstanding}},
                                   ""},
                  clock_.Now(), {});
    table_.EvaluateAll(store_, clock_.Now());
  }
  std::string OrdersKey() const { return cfg_->FindSource("orders")->Key(); }

  testing::ManualClock clock_;
  std::shared_ptr<const config::Config> cfg_;
  std::unique_ptr<sources::SourceFactory> factory_ = sources::MakeDefaultFactory();
  sampler::SampleStore store_;
  sampler::Sampler sampler_{store_, clock_, 1};  // never started: nothing is sampled
  sampler::SourceRegistry registry_{*factory_, sampler_, store_};
  pools::PoolTable table_;
  ScalerCore core_{{[this] { return cfg_; }, &registry_, &table_, &store_, &clock_}};
};

TEST_F(ScalerCoreTest, PoolModeAnswersThePoolsDecision) {
  absl::StatusOr<MetricSpecAnswer> spec = core_.MetricSpec({{"pool", "workers"}});
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->target, 1);  // pool mode: the value is the replica count itself
  const std::string metric = spec->metric_name;

  // Before the first sample: UNAVAILABLE (KEDA keeps the replicas or applies its fallback).
  absl::StatusOr<double> pending = core_.MetricValue({{"pool", "workers"}}, metric);
  EXPECT_EQ(pending.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(pending.status().message(), HasSubstr("not evaluated yet"));

  Sample(OrdersKey(), 58);  // ceil(58 / 5) = 12
  absl::StatusOr<double> value = core_.MetricValue({{"pool", "workers"}}, metric);
  ASSERT_TRUE(value.ok()) << value.status();
  EXPECT_EQ(*value, 12);
  absl::StatusOr<bool> active = core_.IsActive({{"pool", "workers"}});
  ASSERT_TRUE(active.ok());
  EXPECT_TRUE(*active);
  absl::StatusOr<PoolAnswer> by_name = core_.PoolByName("workers");
  ASSERT_TRUE(by_name.ok());
  EXPECT_EQ(by_name->desired, 12);
}

TEST_F(ScalerCoreTest, MetricNamesMatchAsKedaSendsThem) {
  Sample(OrdersKey(), 10);
  const std::string metric = core_.MetricSpec({{"pool", "workers"}})->metric_name;
  std::string upper = metric;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const std::string& asked : {metric, upper, "s0-" + metric, "s12-" + metric, std::string()}) {
    EXPECT_TRUE(core_.MetricValue({{"pool", "workers"}}, asked).ok()) << asked;
  }
  absl::Status other = core_.MetricValue({{"pool", "workers"}}, "s0-other").status();
  EXPECT_EQ(other.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(other.message(), HasSubstr("\"s0-other\""));
  EXPECT_THAT(other.message(), HasSubstr(metric));

  EXPECT_TRUE(MetricNameMatches("", "anything"));
  EXPECT_TRUE(MetricNameMatches("S3-Pool-Workers", "pool-workers"));
  EXPECT_FALSE(MetricNameMatches("s-pool-workers", "pool-workers"));  // no index: not a prefix
  EXPECT_FALSE(MetricNameMatches("sx-pool-workers", "pool-workers"));
  EXPECT_FALSE(MetricNameMatches("pool-worker", "pool-workers"));
}

TEST_F(ScalerCoreTest, ActiveFollowsTheActivationThreshold) {
  Sample(OrdersKey(), 1);  // below activationLagThreshold 2
  absl::StatusOr<bool> idle = core_.IsActive({{"pool", "workers"}});
  ASSERT_TRUE(idle.ok()) << idle.status();
  EXPECT_FALSE(*idle);
  clock_.Advance(std::chrono::seconds(1));
  Sample(OrdersKey(), 3);
  EXPECT_TRUE(*core_.IsActive({{"pool", "workers"}}));
}

TEST_F(ScalerCoreTest, BadTriggersAreNamed) {
  absl::Status unknown = core_.MetricSpec({{"pool", "gpu"}}).status();
  EXPECT_EQ(unknown.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(unknown.message(), HasSubstr("\"gpu\""));

  Metadata bad = Raw();
  bad["lagThreshold"] = "ten";
  absl::Status invalid = core_.MetricSpec(bad).status();
  EXPECT_EQ(invalid.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(invalid.message(), HasSubstr("lagThreshold"));
  EXPECT_THAT(invalid.message(), HasSubstr("ten"));
  EXPECT_EQ(registry_.size(), 1u);  // nothing registered for a bad trigger
}

TEST_F(ScalerCoreTest, RawModeRegistersOneSourceAndAnImplicitPool) {
  absl::StatusOr<Target> t = core_.Resolve(Raw());
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_TRUE(t->raw);
  EXPECT_EQ(t->target, 10);  // lagThreshold: KEDA divides the lag by it
  EXPECT_EQ(t->pool_id.rfind("raw:", 0), 0u) << t->pool_id;
  EXPECT_EQ(registry_.size(), 2u);
  // The same metadata again: the same source and pool, nothing new.
  absl::StatusOr<Target> again = core_.Resolve(Raw());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->pool_id, t->pool_id);
  EXPECT_EQ(registry_.size(), 2u);

  // The raw pool's one signal reads the registered source; its value is the lag itself.
  ASSERT_TRUE(table_.Get(t->pool_id).has_value());
  EXPECT_EQ(core_.MetricValue(Raw(), t->metric_name).status().code(),
            absl::StatusCode::kUnavailable);
  // The raw source is registered under the key its trigger spec names.
  absl::StatusOr<config::TriggerSpec> parsed = config::ParseTrigger(Raw(), cfg_->defaults);
  ASSERT_TRUE(parsed.ok());
  ASSERT_TRUE(registry_.Find(parsed->source.Key()).has_value());
  Sample(parsed->source.Key(), 2);  // below activationLagThreshold 3
  absl::StatusOr<double> lag = core_.MetricValue(Raw(), t->metric_name);
  ASSERT_TRUE(lag.ok()) << lag.status();
  EXPECT_EQ(*lag, 2);
  std::optional<pools::PoolState> st = table_.Get(t->pool_id);
  ASSERT_TRUE(st.has_value());
  ASSERT_EQ(st->signals.size(), 1u);  // one signal, over the registered source
  EXPECT_FALSE(*core_.IsActive(Raw()));
  clock_.Advance(std::chrono::seconds(1));
  Sample(parsed->source.Key(), 35);
  EXPECT_EQ(*core_.MetricValue(Raw(), t->metric_name), 35);
  EXPECT_TRUE(*core_.IsActive(Raw()));
}

}  // namespace
}  // namespace poolscaler::server
