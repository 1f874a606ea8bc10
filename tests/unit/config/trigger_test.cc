// KEDA trigger metadata → TriggerSpec: modes, every redis-streams key and KEDA alias, timing,
// and error messages that name key and value but never a secret.
#include "poolscaler/config/trigger.h"

#include <gmock/gmock.h>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "unit/config/status_matchers.h"

namespace poolscaler::config {
namespace {

using ::poolscaler::testing::IsInvalidArgument;
using ::poolscaler::testing::IsOk;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using Meta = std::map<std::string, std::string>;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr char kPassword[] = "pw-Sup3rSecret";
constexpr char kUser[] = "user-Sup3rSecret";

Meta Raw(Meta extra = {}) {
  Meta m{{"source", "redis-streams"}, {"address", "127.0.0.1:6379"}, {"stream", "orders"},
         {"consumerGroup", "workers"}};
  for (auto& [k, v] : extra) m[k] = v;
  return m;
}

Meta Without(Meta m, const std::string& key) {
  m.erase(key);
  return m;
}

absl::StatusOr<TriggerSpec> Parse(const Meta& m, Defaults d = {}) { return ParseTrigger(m, d); }

const RedisStreamsParams& P(const TriggerSpec& t) {
  return std::get<RedisStreamsParams>(t.source.params);
}

// ---- modes ----

TEST(TriggerTest, NeitherPoolNorSource) {
  EXPECT_THAT(Parse({{"stream", "orders"}}),
              IsInvalidArgument("one of \"pool\" (pool mode) or \"source\" (raw mode) is required"));
}

TEST(TriggerTest, BothPoolAndSource) {
  EXPECT_THAT(Parse(Raw({{"pool", "gpu"}})),
              IsInvalidArgument(AllOf(HasSubstr("\"pool\" (value \"gpu\")"),
                                      HasSubstr("\"source\" (value \"redis-streams\")"))));
}

TEST(TriggerTest, PoolMode) {
  auto t = Parse({{"pool", "orders-workers"}, {"scalerAddress", "poolscaler:9090"},
                  {"enableTLS", "false"}, {"unsafeSsl", "true"}});
  ASSERT_THAT(t, IsOk());
  EXPECT_EQ(t->mode, TriggerSpec::Mode::kPool);
  EXPECT_EQ(t->pool, "orders-workers");
  EXPECT_EQ(t->Key(), "pool|orders-workers");
}

TEST(TriggerTest, PoolModeRejectsOtherKeys) {
  auto t = Parse({{"pool", "p"}, {"stream", "orders"}, {"passwordFromEnv", kPassword}});
  EXPECT_THAT(t, IsInvalidArgument(AllOf(
                     HasSubstr("stream: not allowed with \"pool\""), HasSubstr("config file"),
                     HasSubstr("(value \"orders\")"), HasSubstr("passwordFromEnv: not allowed"),
                     Not(HasSubstr(kPassword)))));
}

TEST(TriggerTest, PoolModeNeedsName) {
  EXPECT_THAT(Parse({{"pool", ""}}), IsInvalidArgument("pool: must not be empty"));
}

TEST(TriggerTest, UnknownSourceKindListsSupported) {
  EXPECT_THAT(Parse({{"source", "kafka"}}),
              IsInvalidArgument(AllOf(HasSubstr("source: unknown source kind"),
                                      HasSubstr("\"redis-streams\""),
                                      HasSubstr("(value \"kafka\")"))));
}

TEST(TriggerTest, EmptySourceKind) {
  EXPECT_THAT(Parse({{"source", ""}}),
              IsInvalidArgument(AllOf(HasSubstr("source: unknown source kind"),
                                      HasSubstr("(value \"\")"))));
}

// ---- raw mode result ----

TEST(TriggerTest, RawModeDefaults) {
  auto t = Parse(Raw({{"scalerAddress", "x:9090"}, {"enableTLS", "true"}, {"unsafeSsl", "false"}}));
  ASSERT_THAT(t, IsOk());
  EXPECT_EQ(t->mode, TriggerSpec::Mode::kRaw);
  EXPECT_EQ(t->source.kind, kRedisStreams);
  EXPECT_EQ(t->source.name, "redis-streams/127.0.0.1:6379/orders/workers");
  EXPECT_EQ(P(*t).host, "127.0.0.1");
  EXPECT_EQ(P(*t).port, 6379);
  EXPECT_EQ(P(*t).stream, "orders");
  EXPECT_EQ(P(*t).consumer_group, "workers");
  EXPECT_EQ(P(*t).database, 0);
  EXPECT_TRUE(P(*t).password.empty());
  EXPECT_EQ(t->signal.source, t->source.Key());
  EXPECT_EQ(t->signal.measure, kMeasureOutstanding);
  EXPECT_EQ(t->signal.lag_threshold, 5);
  EXPECT_EQ(t->signal.activation_lag_threshold, 0);
  EXPECT_EQ(t->params.min_replicas, 0);
  EXPECT_EQ(t->params.max_replicas, 1'000'000);
  EXPECT_EQ(t->params.cooldown, Duration::zero());
  EXPECT_EQ(t->params.behavior.scale_down.stabilization_window, Duration::zero());
  EXPECT_TRUE(t->params.behavior.scale_up.policies.empty());
  EXPECT_TRUE(t->params.behavior.scale_down.policies.empty());
  EXPECT_EQ(t->metric_name, "redis-streams-orders-workers");
  EXPECT_EQ(t->source.sample_interval, seconds(5));
  EXPECT_EQ(t->source.stale_after, seconds(15));
  EXPECT_EQ(t->source.timeout, seconds(2));
}

TEST(TriggerTest, NoGroupMeasuresLength) {
  auto t = Parse(Without(Raw(), "consumerGroup"));
  ASSERT_THAT(t, IsOk());
  EXPECT_EQ(t->signal.measure, kMeasureLength);
  EXPECT_EQ(t->metric_name, "redis-streams-orders");
  EXPECT_EQ(t->source.name, "redis-streams/127.0.0.1:6379/orders");
}

TEST(TriggerTest, MetricNameIsNormalized) {
  auto t = Parse(Raw({{"stream", "Orders_Q"}, {"consumerGroup", "Team A"}}));
  ASSERT_THAT(t, IsOk());
  EXPECT_EQ(t->metric_name, "redis-streams-orders-q-team-a");
}

// ---- connection keys ----

TEST(TriggerTest, AddressIPv6) {
  auto t = Parse(Raw({{"address", "[::1]:6380"}}));
  ASSERT_THAT(t, IsOk());
  EXPECT_EQ(P(*t).host, "::1");
  EXPECT_EQ(P(*t).port, 6380);
  EXPECT_EQ(t->source.name, "redis-streams/[::1]:6380/orders/workers");
}

TEST(TriggerTest, HostAndPort) {
  auto t = Parse(Without(Raw({{"host", "redis.ns.svc"}, {"port", "6380"}}), "address"));
  ASSERT_THAT(t, IsOk());
  EXPECT_EQ(P(*t).host, "redis.ns.svc");
  EXPECT_EQ(P(*t).port, 6380);
}

TEST(TriggerTest, HostAloneUsesDefaultPort) {
  auto t = Parse(Without(Raw({{"host", "redis"}}), "address"));
  ASSERT_THAT(t, IsOk());
  EXPECT_EQ(P(*t).port, 6379);
}

TEST(TriggerTest, AddressAndHostConflict) {
  EXPECT_THAT(Parse(Raw({{"host", "redis"}})),
              IsInvalidArgument(HasSubstr("address: give \"address\" or \"host\" + \"port\", "
                                          "not both (value \"127.0.0.1:6379\")")));
}

TEST(TriggerTest, PortWithoutHost) {
  EXPECT_THAT(Parse(Without(Raw({{"port", "6379"}}), "address")),
              IsInvalidArgument(HasSubstr("port: needs \"host\" too (value \"6379\")")));
}

TEST(TriggerTest, NoAddress) {
  EXPECT_THAT(Parse(Without(Raw(), "address")),
              IsInvalidArgument(HasSubstr("one of \"address\" (host:port) or \"host\" is required")));
}

TEST(TriggerTest, BadAddresses) {
  for (const char* bad : {"redis", "::1:6379", "redis:", ":6379", "[::1]", "[::1]6379"}) {
    EXPECT_THAT(Parse(Raw({{"address", bad}})),
                IsInvalidArgument(AllOf(HasSubstr("address: expected \"host:port\""),
                                        HasSubstr(fmt::format("(value \"{}\")", bad)))))
        << bad;
  }
  for (const char* bad : {"redis:0", "redis:65536", "redis:abc"}) {
    EXPECT_THAT(Parse(Raw({{"address", bad}})),
                IsInvalidArgument(HasSubstr("address: port must be a whole number between 1 and "
                                            "65535")))
        << bad;
  }
}

TEST(TriggerTest, AddressUrlIsNotEchoed) {
  auto t = Parse(Raw({{"address", "redis://:pw-Sup3rSecret@redis:6379"}}));
  EXPECT_THAT(t, IsInvalidArgument(AllOf(HasSubstr("without a scheme or credentials"),
                                         Not(HasSubstr(kPassword)))));
}

TEST(TriggerTest, BadHostPort) {
  EXPECT_THAT(Parse(Without(Raw({{"host", "redis"}, {"port", "99999"}}), "address")),
              IsInvalidArgument("port: must be between 1 and 65535 (value \"99999\")"));
  EXPECT_THAT(Parse(Without(Raw({{"host", ""}}), "address")),
              IsInvalidArgument("host: must not be empty"));
}

TEST(TriggerTest, StreamRequired) {
  EXPECT_THAT(Parse(Without(Raw(), "stream")), IsInvalidArgument("stream: is required"));
}

TEST(TriggerTest, DatabaseIndex) {
  auto t = Parse(Raw({{"databaseIndex", "3"}}));
  ASSERT_THAT(t, IsOk());
  EXPECT_EQ(P(*t).database, 3);
  EXPECT_EQ(t->source.name, "redis-streams/127.0.0.1:6379/db3/orders/workers");
  EXPECT_THAT(Parse(Raw({{"databaseIndex", "1001"}})),
              IsInvalidArgument("databaseIndex: must be between 0 and 1000 (value \"1001\")"));
  EXPECT_THAT(Parse(Raw({{"databaseIndex", "x"}})),
              IsInvalidArgument("databaseIndex: expected a whole number (value \"x\")"));
}

TEST(TriggerTest, CredentialsFromEnvKeys) {
  auto t = Parse(Raw({{"usernameFromEnv", kUser}, {"passwordFromEnv", kPassword}}));
  ASSERT_THAT(t, IsOk());
  EXPECT_EQ(P(*t).username, kUser);
  EXPECT_EQ(P(*t).password.Reveal(), kPassword);
  EXPECT_THAT(t->Key(), AllOf(Not(HasSubstr(kPassword)), Not(HasSubstr(kUser)),
                              HasSubstr(Secret(kPassword).Fingerprint())));
  EXPECT_THAT(t->source.name, Not(HasSubstr("Sup3rSecret")));
  EXPECT_THAT(t->source.Describe(), Not(HasSubstr("Sup3rSecret")));
  EXPECT_THAT(t->signal.Name(), Not(HasSubstr("Sup3rSecret")));
}

// ---- measure and target keys ----

TEST(TriggerTest, LagThresholdKeys) {
  auto t = Parse(Raw({{"lagThreshold", "10"}, {"activationLagThreshold", "2.5"}}));
  ASSERT_THAT(t, IsOk());
  EXPECT_EQ(t->signal.measure, kMeasureOutstanding);
  EXPECT_EQ(t->signal.lag_threshold, 10);
  EXPECT_EQ(t->signal.activation_lag_threshold, 2.5);
}

TEST(TriggerTest, KedaAliasesPickMeasureAndTarget) {
  struct Case {
    const char* key;
    const char* measure;
  };
  for (Case c : {Case{"pendingEntriesCount", kMeasurePending}, Case{"streamLength", kMeasureLength},
                 Case{"lagCount", kMeasureUndelivered}}) {
    auto t = Parse(Raw({{c.key, "7"}}));
    ASSERT_THAT(t, IsOk()) << c.key;
    EXPECT_EQ(t->signal.measure, c.measure) << c.key;
    EXPECT_EQ(t->signal.lag_threshold, 7) << c.key;
  }
}

TEST(TriggerTest, StreamLengthWorksWithoutGroup) {
  auto t = Parse(Without(Raw({{"streamLength", "100"}}), "consumerGroup"));
  ASSERT_THAT(t, IsOk());
  EXPECT_EQ(t->signal.measure, kMeasureLength);
  EXPECT_EQ(t->signal.lag_threshold, 100);
}

TEST(TriggerTest, GroupAliasesNeedConsumerGroup) {
  EXPECT_THAT(Parse(Without(Raw({{"pendingEntriesCount", "5"}}), "consumerGroup")),
              IsInvalidArgument(AllOf(HasSubstr("pendingEntriesCount: needs \"consumerGroup\""),
                                      HasSubstr("(value \"5\")"))));
  EXPECT_THAT(Parse(Without(Raw({{"lagCount", "5"}}), "consumerGroup")),
              IsInvalidArgument(HasSubstr("lagCount: needs \"consumerGroup\"")));
}

TEST(TriggerTest, TwoTargetKeysConflict) {
  EXPECT_THAT(Parse(Raw({{"lagThreshold", "5"}, {"lagCount", "3"}})),
              IsInvalidArgument("lagCount: conflicts with \"lagThreshold\": give only one target "
                                "key (value \"3\")"));
  EXPECT_THAT(Parse(Raw({{"pendingEntriesCount", "5"}, {"streamLength", "3"}})),
              IsInvalidArgument(AllOf(HasSubstr("streamLength: conflicts with "
                                                "\"pendingEntriesCount\""))));
}

TEST(TriggerTest, ActivationLagCountAlias) {
  auto t = Parse(Raw({{"activationLagCount", "4"}}));
  ASSERT_THAT(t, IsOk());
  EXPECT_EQ(t->signal.activation_lag_threshold, 4);
  EXPECT_THAT(Parse(Raw({{"activationLagThreshold", "1"}, {"activationLagCount", "2"}})),
              IsInvalidArgument("activationLagCount: conflicts with \"activationLagThreshold\": "
                                "give only one of them (value \"2\")"));
}

TEST(TriggerTest, BadThresholds) {
  EXPECT_THAT(Parse(Raw({{"lagThreshold", "0"}})),
              IsInvalidArgument("lagThreshold: must be greater than 0 (value \"0\")"));
  EXPECT_THAT(Parse(Raw({{"lagCount", "-2"}})),
              IsInvalidArgument("lagCount: must be greater than 0 (value \"-2\")"));
  EXPECT_THAT(Parse(Raw({{"lagThreshold", "five"}})),
              IsInvalidArgument("lagThreshold: expected a number (value \"five\")"));
  EXPECT_THAT(Parse(Raw({{"activationLagThreshold", "-1"}})),
              IsInvalidArgument("activationLagThreshold: must not be negative (value \"-1\")"));
}

// KEDA v2 (pkg/scalers/scaler.go quantityFromFloat64) renders targetSizeFloat as "%.3f" for the
// HPA's AverageValue: a target below 0.0005 reaches the HPA as 0, which it rejects.
TEST(TriggerTest, TargetsKedaRoundsToZeroAreRefused) {
  EXPECT_THAT(Parse(Raw({{"lagThreshold", "0.0004"}})),
              IsInvalidArgument("lagThreshold: is 0 once KEDA rounds it to 3 decimals (the HPA's "
                                "target); use at least 0.001 (value \"0.0004\")"));
  EXPECT_THAT(Parse(Raw({{"lagCount", "1e-9"}})), IsInvalidArgument(::testing::HasSubstr(
                                                      "lagCount: is 0 once KEDA rounds it")));
  // 0.0005 already renders as 0.001, and the smallest "%.3f" value is accepted as given.
  auto t = Parse(Raw({{"lagThreshold", "0.0005"}}));
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_DOUBLE_EQ(t->signal.lag_threshold, 0.0005);
  t = Parse(Raw({{"lagThreshold", "0.001"}}));
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_DOUBLE_EQ(t->signal.lag_threshold, 0.001);
}

// ---- timing and cooldown ----

TEST(TriggerTest, TimingKeys) {
  auto t = Parse(Raw({{"sampleInterval", "1s"}, {"staleAfter", "10s"}, {"timeout", "250ms"}}));
  ASSERT_THAT(t, IsOk());
  EXPECT_EQ(t->source.sample_interval, seconds(1));
  EXPECT_EQ(t->source.stale_after, seconds(10));
  EXPECT_EQ(t->source.timeout, milliseconds(250));
}

TEST(TriggerTest, TimingDefaultsFollowInterval) {
  auto t = Parse(Raw({{"sampleInterval", "500ms"}}));
  ASSERT_THAT(t, IsOk());
  EXPECT_EQ(t->source.stale_after, milliseconds(1500));
  EXPECT_EQ(t->source.timeout, milliseconds(500));  // min(defaults.timeout 2s, interval)
}

TEST(TriggerTest, TimingDefaultsFromServer) {
  Defaults d;
  d.sample_interval = seconds(10);
  d.stale_after = seconds(60);
  d.timeout = seconds(3);
  auto t = Parse(Raw(), d);
  ASSERT_THAT(t, IsOk());
  EXPECT_EQ(t->source.sample_interval, seconds(10));
  EXPECT_EQ(t->source.stale_after, seconds(60));
  EXPECT_EQ(t->source.timeout, seconds(3));
  // A server staleAfter shorter than the trigger's own interval falls back to 3x the interval.
  auto slow = Parse(Raw({{"sampleInterval", "2m"}}), d);
  ASSERT_THAT(slow, IsOk());
  EXPECT_EQ(slow->source.stale_after, seconds(360));
}

TEST(TriggerTest, BadTiming) {
  EXPECT_THAT(Parse(Raw({{"sampleInterval", "0s"}})),
              IsInvalidArgument("sampleInterval: must be greater than 0 (value \"0s\")"));
  EXPECT_THAT(Parse(Raw({{"sampleInterval", "5x"}})),
              IsInvalidArgument(AllOf(HasSubstr("sampleInterval: unknown unit"),
                                      HasSubstr("(value \"5x\")"))));
  EXPECT_THAT(Parse(Raw({{"sampleInterval", "5s"}, {"staleAfter", "2s"}})),
              IsInvalidArgument("staleAfter: must be at least sampleInterval (5s) (value \"2s\")"));
  EXPECT_THAT(Parse(Raw({{"sampleInterval", "1s"}, {"timeout", "2s"}})),
              IsInvalidArgument("timeout: must not exceed sampleInterval (1s) (value \"2s\")"));
  EXPECT_THAT(Parse(Raw({{"timeout", "0ms"}})),
              IsInvalidArgument("timeout: must be greater than 0 (value \"0ms\")"));
}

TEST(TriggerTest, CooldownSeconds) {
  auto t = Parse(Raw({{"cooldownSeconds", "30"}}));
  ASSERT_THAT(t, IsOk());
  EXPECT_EQ(t->params.cooldown, seconds(30));
  EXPECT_THAT(Parse(Raw({{"cooldownSeconds", "-1"}})),
              IsInvalidArgument("cooldownSeconds: must not be negative (value \"-1\")"));
  EXPECT_THAT(Parse(Raw({{"cooldownSeconds", "1e12"}})),
              IsInvalidArgument(HasSubstr("cooldownSeconds: must be at most 31536000")));
}

// ---- unknown keys, collecting, secrets ----

TEST(TriggerTest, UnknownKeys) {
  EXPECT_THAT(Parse(Raw({{"foo", "bar"}})),
              IsInvalidArgument(HasSubstr("foo: unknown key \"foo\" (value \"bar\"); "
                                          "redis-streams takes")));
  EXPECT_THAT(Parse(Raw({{"tokenFromEnv", kPassword}})),
              IsInvalidArgument(AllOf(HasSubstr("unknown key \"tokenFromEnv\""),
                                      Not(HasSubstr(kPassword)))));
}

TEST(TriggerTest, CollectsAllErrorsJoinedWithSemicolons) {
  auto t = Parse(Raw({{"stream", ""}, {"lagThreshold", "0"}, {"foo", "1"}}));
  EXPECT_THAT(t, IsInvalidArgument("stream: must not be empty; lagThreshold: must be greater "
                                   "than 0 (value \"0\"); foo: unknown key \"foo\" (value \"1\"); "
                                   "redis-streams takes address (or host, port), stream, "
                                   "consumerGroup, databaseIndex, usernameFromEnv, "
                                   "passwordFromEnv, lagThreshold (or pendingEntriesCount, "
                                   "streamLength, lagCount), activationLagThreshold (or "
                                   "activationLagCount), sampleInterval, staleAfter, timeout, "
                                   "cooldownSeconds"));
}

TEST(TriggerTest, SecretsNeverInAnyError) {
  const Meta secrets{{"passwordFromEnv", kPassword}, {"usernameFromEnv", kUser}};
  std::vector<Meta> bad = {
      {{"stream", ""}},          {{"address", "nope"}},     {{"lagThreshold", "0"}},
      {{"lagCount", "1"}, {"lagThreshold", "1"}},           {{"foo", "bar"}},
      {{"pool", "p"}},           {{"source", "kafka"}},     {{"timeout", "1h"}},
      {{"consumerGroup", ""}, {"lagCount", "1"}},           {{"databaseIndex", "-1"}},
  };
  for (Meta extra : bad) {
    for (const auto& [k, v] : secrets) extra[k] = v;
    auto t = Parse(Raw(extra));
    ASSERT_FALSE(t.ok());
    std::string message(t.status().message());
    EXPECT_THAT(message, Not(HasSubstr("Sup3rSecret"))) << message;
  }
  // Secrets in keys that are not valid in pool mode, or unknown, stay hidden too.
  auto pool = Parse({{"pool", "p"}, {"passwordFromEnv", kPassword}, {"usernameFromEnv", kUser}});
  EXPECT_THAT(pool, IsInvalidArgument(Not(HasSubstr("Sup3rSecret"))));
}

// ---- identity ----

TEST(TriggerTest, KeyIdentifiesSourceMeasureThresholdsAndCooldown) {
  const std::string base = Parse(Raw())->Key();
  EXPECT_EQ(Parse(Raw({{"sampleInterval", "1s"}}))->Key(), base);  // timing is not identity
  EXPECT_EQ(Parse(Raw({{"lagThreshold", "5"}}))->Key(), base);
  for (const Meta& change : std::vector<Meta>{{{"lagThreshold", "6"}},
                                              {{"activationLagThreshold", "1"}},
                                              {{"pendingEntriesCount", "5"}},
                                              {{"cooldownSeconds", "10"}},
                                              {{"stream", "other"}},
                                              {{"passwordFromEnv", "x"}}}) {
    auto t = Parse(Raw(change));
    ASSERT_THAT(t, IsOk());
    EXPECT_NE(t->Key(), base) << change.begin()->first;
  }
}

}  // namespace
}  // namespace poolscaler::config
