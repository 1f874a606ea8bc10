// The YAML config file: every key, defaults, cross-references, and errors with path and line.
#include "poolscaler/config/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "unit/config/status_matchers.h"

namespace poolscaler::config {
namespace {

using ::poolscaler::testing::IsInvalidArgument;
using ::poolscaler::testing::IsOk;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr char kPassword[] = "pw-Sup3rSecret";

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("PS_TEST_PASSWORD", kPassword, 1);
    setenv("PS_TEST_USER", "envuser", 1);
    setenv("PS_TEST_EMPTY", "", 1);
    unsetenv("PS_TEST_UNSET");
  }

  // Parses `yaml`, expecting failure; returns the separate errors and checks they match the
  // status message and hold no secret.
  std::vector<std::string> Errors(const std::string& yaml) {
    std::vector<std::string> errors;
    absl::StatusOr<Config> c = ParseConfig(yaml, &errors);
    EXPECT_THAT(c, IsInvalidArgument(Not(HasSubstr("Sup3rSecret"))));
    if (!c.ok()) {
      EXPECT_EQ(std::string(c.status().message()), Join(errors));
    }
    return errors;
  }

  static std::string Join(const std::vector<std::string>& v) {
    std::string out;
    for (const std::string& s : v) out += (out.empty() ? "" : "\n") + s;
    return out;
  }

  static std::string WriteFile(const std::string& name, const std::string& text) {
    std::string path = ::testing::TempDir() + name;
    std::ofstream(path) << text;
    return path;
  }
};

// A valid source entry to build pools on.
constexpr char kSources[] = R"(sources:
  - name: orders
    type: redis-streams
    address: 127.0.0.1:6379
    stream: orders
    consumerGroup: workers
  - name: plain
    type: redis-streams
    address: 127.0.0.1:6379
    stream: events
)";

const RedisStreamsParams& P(const SourceSpec& s) { return std::get<RedisStreamsParams>(s.params); }

TEST_F(ConfigTest, FullExample) {
  auto c = ParseConfig(R"(defaults:
  sampleInterval: 5s
  staleAfter: 20s
  timeout: 2s
  rawSourceIdle: 10m
sources:
  - name: orders
    type: redis-streams
    address: 127.0.0.1:6379
    stream: orders
    consumerGroup: workers
    databaseIndex: 2
    username: app
    passwordEnv: PS_TEST_PASSWORD
    sampleInterval: 1s
    staleAfter: 4s
    timeout: 500ms
pools:
  - name: orders-workers
    metricName: Orders_Workers
    minReplicas: 1
    maxReplicas: 20
    cooldownSeconds: 60
    scaleDownWindowSeconds: 300
    signals:
      - source: orders
        measure: pending
        lagThreshold: 10
        activationLagThreshold: 2
)");
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->defaults.sample_interval, seconds(5));
  EXPECT_EQ(c->defaults.stale_after, seconds(20));
  EXPECT_EQ(c->defaults.timeout, seconds(2));
  EXPECT_EQ(c->defaults.raw_source_idle, minutes(10));
  ASSERT_THAT(c->sources, SizeIs(1));
  const SourceSpec& s = c->sources[0];
  EXPECT_EQ(s.name, "orders");
  EXPECT_EQ(s.kind, kRedisStreams);
  EXPECT_EQ(P(s).host, "127.0.0.1");
  EXPECT_EQ(P(s).port, 6379);
  EXPECT_EQ(P(s).stream, "orders");
  EXPECT_EQ(P(s).consumer_group, "workers");
  EXPECT_EQ(P(s).database, 2);
  EXPECT_EQ(P(s).username, "app");
  EXPECT_EQ(P(s).password.Reveal(), kPassword);
  EXPECT_EQ(s.sample_interval, seconds(1));
  EXPECT_EQ(s.stale_after, seconds(4));
  EXPECT_EQ(s.timeout, milliseconds(500));
  ASSERT_THAT(c->pools, SizeIs(1));
  const PoolSpec& p = c->pools[0];
  EXPECT_EQ(p.name, "orders-workers");
  EXPECT_EQ(p.metric_name, "orders-workers");
  EXPECT_EQ(p.params.min_replicas, 1);
  EXPECT_EQ(p.params.max_replicas, 20);
  EXPECT_EQ(p.params.cooldown, seconds(60));
  EXPECT_EQ(p.params.behavior.scale_down.stabilization_window, seconds(300));
  ASSERT_THAT(p.signals, SizeIs(1));
  EXPECT_EQ(p.signals[0].source, "orders");
  EXPECT_EQ(p.signals[0].measure, kMeasurePending);
  EXPECT_EQ(p.signals[0].lag_threshold, 10);
  EXPECT_EQ(p.signals[0].activation_lag_threshold, 2);
  EXPECT_EQ(p.signals[0].Name(), "orders/pending");
  EXPECT_EQ(c->FindSource("orders"), &c->sources[0]);
  EXPECT_EQ(c->FindSource("nope"), nullptr);
  EXPECT_EQ(c->FindPool("orders-workers"), &c->pools[0]);
  EXPECT_EQ(c->FindPool("Orders-Workers"), nullptr);
}

TEST_F(ConfigTest, EmptyConfigs) {
  for (const char* yaml : {"", "{}", "# only a comment\n", "sources:\npools:\n", "defaults: {}\n"}) {
    auto c = ParseConfig(yaml);
    ASSERT_THAT(c, IsOk()) << yaml;
    EXPECT_THAT(c->sources, IsEmpty());
    EXPECT_THAT(c->pools, IsEmpty());
  }
}

TEST_F(ConfigTest, SourceDefaultsAndPoolDefaults) {
  auto c = ParseConfig(std::string(kSources) + R"(pools:
  - name: a
    signals:
      - source: orders
      - source: plain
)");
  ASSERT_THAT(c, IsOk());
  const SourceSpec& s = c->sources[1];
  EXPECT_EQ(P(s).consumer_group, "");
  EXPECT_EQ(P(s).database, 0);
  EXPECT_EQ(P(s).username, "");
  EXPECT_TRUE(P(s).password.empty());
  EXPECT_EQ(s.sample_interval, seconds(5));
  EXPECT_EQ(s.stale_after, seconds(15));
  EXPECT_EQ(s.timeout, seconds(2));
  const PoolSpec& p = c->pools[0];
  EXPECT_EQ(p.metric_name, "pool-a");
  EXPECT_EQ(p.params.min_replicas, 0);
  EXPECT_EQ(p.params.max_replicas, 100);
  EXPECT_EQ(p.params.cooldown, Duration::zero());
  // HPA defaults (behavior_config_test.cc covers the behavior keys).
  EXPECT_EQ(p.params.behavior.scale_down.stabilization_window, seconds(300));
  EXPECT_EQ(p.params.behavior.scale_up.stabilization_window, Duration::zero());
  EXPECT_DOUBLE_EQ(p.params.behavior.scale_up.tolerance, 0.1);
  EXPECT_DOUBLE_EQ(p.params.behavior.scale_down.tolerance, 0.1);
  EXPECT_EQ(p.signals[0].measure, kMeasureOutstanding);
  EXPECT_EQ(p.signals[0].lag_threshold, 5);
  EXPECT_EQ(p.signals[0].activation_lag_threshold, 0);
  EXPECT_EQ(p.signals[1].measure, kMeasureLength);
}

TEST_F(ConfigTest, DefaultsApplyToSources) {
  auto c = ParseConfig(R"(sources:
  - {name: a, type: redis-streams, address: "r:1", stream: s}
  - {name: b, type: redis-streams, address: "r:1", stream: s, sampleInterval: 1m}
defaults:
  sampleInterval: 10s
  staleAfter: 45s
  timeout: 3s
)");
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->sources[0].sample_interval, seconds(10));
  EXPECT_EQ(c->sources[0].stale_after, seconds(45));
  EXPECT_EQ(c->sources[0].timeout, seconds(3));
  EXPECT_EQ(c->sources[1].sample_interval, minutes(1));
  EXPECT_EQ(c->sources[1].stale_after, minutes(3));  // defaults.staleAfter < its interval
}

TEST_F(ConfigTest, HostPortAndIPv6) {
  auto c = ParseConfig(R"(sources:
  - {name: a, type: redis-streams, host: redis.svc, port: 6380, stream: s}
  - {name: b, type: redis-streams, address: "[::1]:6379", stream: s}
  - {name: c, type: redis-streams, host: redis.svc, stream: s}
)");
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(P(c->sources[0]).host, "redis.svc");
  EXPECT_EQ(P(c->sources[0]).port, 6380);
  EXPECT_EQ(P(c->sources[1]).host, "::1");
  EXPECT_EQ(P(c->sources[2]).port, 6379);
}

TEST_F(ConfigTest, DefaultsErrors) {
  EXPECT_THAT(Errors("defaults:\n  sampleInterval: 0s\n"),
              ElementsAre("defaults.sampleInterval (line 2): must be greater than 0 (value \"0s\")"));
  EXPECT_THAT(Errors("defaults:\n  staleAfter: 1s\n"),
              ElementsAre("defaults.staleAfter (line 2): must be at least sampleInterval "
                          "(value \"1s\")"));
  EXPECT_THAT(Errors("defaults:\n  timeout: 10s\n"),
              ElementsAre("defaults.timeout (line 2): must not exceed sampleInterval "
                          "(value \"10s\")"));
  EXPECT_THAT(Errors("defaults:\n  timeout: 0s\n"),
              ElementsAre("defaults.timeout (line 2): must be greater than 0 (value \"0s\")"));
  EXPECT_THAT(Errors("defaults:\n  rawSourceIdle: 0s\n"),
              ElementsAre("defaults.rawSourceIdle (line 2): must be greater than 0 (value \"0s\")"));
  EXPECT_THAT(Errors("defaults:\n  sampleInterval: soon\n"),
              ElementsAre(HasSubstr("defaults.sampleInterval (line 2): expected a duration")));
  EXPECT_THAT(Errors("defaults:\n  interval: 5s\n"),
              ElementsAre("defaults.interval (line 2): unknown key \"interval\" (value \"5s\")"));
  EXPECT_THAT(Errors("defaults: 5s\n"),
              ElementsAre("defaults (line 1): expected a map of keys and values"));
}

TEST_F(ConfigTest, TopLevelErrors) {
  EXPECT_THAT(Errors("- a\n- b\n"),
              ElementsAre("config (line 1): expected a map with \"defaults\", \"sources\", "
                          "\"pools\""));
  EXPECT_THAT(Errors("sources: []\nsourcez: []\n"),
              ElementsAre("sourcez (line 2): unknown key \"sourcez\"; expected \"defaults\", "
                          "\"kubernetes\", \"history\", \"sources\", \"tierGroups\" or \"pools\""));
  EXPECT_THAT(Errors("sources: orders\n"),
              ElementsAre("sources (line 1): expected a list of sources"));
  EXPECT_THAT(Errors("pools: {a: 1}\n"), ElementsAre("pools (line 1): expected a list of pools"));
  EXPECT_THAT(Errors("sources:\n  - orders\n"),
              ElementsAre("sources[0] (line 2): expected a map of keys and values"));
}

TEST_F(ConfigTest, SyntaxErrorHasLine) {
  EXPECT_THAT(Errors("sources:\n  - name: [unclosed\n"),
              ElementsAre(AllOf(HasSubstr("config (line"), HasSubstr("invalid YAML"))));
  EXPECT_THAT(Errors("a: b\n c: d\n  - e\n"), ElementsAre(HasSubstr("(line 2, column")));
}

TEST_F(ConfigTest, SourceRequiredKeys) {
  EXPECT_THAT(Errors("sources:\n  - {address: \"r:1\", stream: s}\n"),
              ElementsAre("sources[0].name (line 2): is required",
                          "sources[0].type (line 2): is required"));
  EXPECT_THAT(Errors("sources:\n  - {name: a, type: redis-streams, address: \"r:1\"}\n"),
              ElementsAre("sources[0].stream (line 2): is required"));
  EXPECT_THAT(Errors("sources:\n  - {name: a, type: redis-streams, stream: s}\n"),
              ElementsAre("sources[0] (line 2): one of \"address\" (host:port) or \"host\" is "
                          "required"));
  EXPECT_THAT(Errors("sources:\n  - name: a\n    type: redis-streams\n    address: r:1\n"
                     "    stream:\n"),
              ElementsAre("sources[0].stream (line 5): must not be empty"));
}

TEST_F(ConfigTest, SourceTypeErrors) {
  EXPECT_THAT(Errors("sources:\n  - name: a\n    type: kafka\n"),
              ElementsAre("sources[0].type (line 3): unknown source type; supported: "
                          "\"redis-streams\", \"nats-jetstream\", \"rabbitmq\", \"prometheus\", "
                          "\"kubernetes-resources\" (value \"kafka\")"));
}

TEST_F(ConfigTest, SourceValueErrors) {
  std::vector<std::string> errors = Errors(R"(sources:
  - name: a
    type: redis-streams
    address: redis
    stream: s
    databaseIndex: 1001
    sampleInterval: 1s
    staleAfter: 500ms
    timeout: 2s
    streem: typo
  - name: b
    type: redis-streams
    host: r
    port: 0
    stream: s
)");
  EXPECT_THAT(errors,
              ElementsAre("sources[0].staleAfter (line 8): must be at least sampleInterval (1s) "
                          "(value \"500ms\")",
                          "sources[0].timeout (line 9): must not exceed sampleInterval (1s) "
                          "(value \"2s\")",
                          "sources[0].address (line 4): expected \"host:port\" (IPv6 as "
                          "\"[::1]:6379\") (value \"redis\")",
                          "sources[0].databaseIndex (line 6): must be between 0 and 1000 "
                          "(value \"1001\")",
                          "sources[0].streem (line 10): unknown key \"streem\" (value \"typo\")",
                          "sources[1].port (line 14): must be between 1 and 65535 (value \"0\")"));
}

TEST_F(ConfigTest, SourceAddressAndHostConflict) {
  EXPECT_THAT(Errors("sources:\n  - {name: a, type: redis-streams, address: \"r:1\", host: r, "
                     "stream: s}\n"),
              ElementsAre(HasSubstr("sources[0].address (line 2): give \"address\" or \"host\"")));
}

TEST_F(ConfigTest, DuplicateSourceNames) {
  EXPECT_THAT(Errors(R"(sources:
  - {name: a, type: redis-streams, address: "r:1", stream: s}
  - {name: a, type: redis-streams, address: "r:1", stream: t}
)"),
              ElementsAre("sources[1].name (line 3): duplicate source name (also sources[0]) "
                          "(value \"a\")"));
}

TEST_F(ConfigTest, StructuredValueAndDuplicateKey) {
  EXPECT_THAT(Errors("sources:\n  - {name: a, type: redis-streams, address: \"r:1\", "
                     "stream: [x, y]}\n"),
              ElementsAre("sources[0].stream (line 2): expected a single value, not a list or "
                          "map"));
  EXPECT_THAT(Errors("sources:\n  - name: a\n    name: b\n    type: redis-streams\n"
                     "    address: r:1\n    stream: s\n"),
              ElementsAre("sources[0].name (line 3): duplicate key"));
}

TEST_F(ConfigTest, UsernameFromEnvironment) {
  auto c = ParseConfig(
      "sources:\n  - {name: a, type: redis-streams, address: \"r:1\", stream: s, "
      "usernameEnv: PS_TEST_USER}\n");
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(P(c->sources[0]).username, "envuser");
  EXPECT_THAT(Errors("sources:\n  - {name: a, type: redis-streams, address: \"r:1\", stream: s, "
                     "usernameEnv: PS_TEST_UNSET}\n"),
              ElementsAre("sources[0].usernameEnv (line 2): environment variable "
                          "\"PS_TEST_UNSET\" is not set"));
  EXPECT_THAT(Errors("sources:\n  - {name: a, type: redis-streams, address: \"r:1\", stream: s, "
                     "username: u, usernameEnv: PS_TEST_USER}\n"),
              ElementsAre("sources[0].usernameEnv (line 2): give \"username\" or "
                          "\"usernameEnv\", not both (value \"PS_TEST_USER\")"));
}

TEST_F(ConfigTest, PasswordFromEnvironment) {
  EXPECT_THAT(Errors("sources:\n  - {name: a, type: redis-streams, address: \"r:1\", stream: s, "
                     "passwordEnv: PS_TEST_UNSET}\n"),
              ElementsAre("sources[0].passwordEnv (line 2): environment variable "
                          "\"PS_TEST_UNSET\" is not set"));
  EXPECT_THAT(Errors("sources:\n  - {name: a, type: redis-streams, address: \"r:1\", stream: s, "
                     "passwordEnv: PS_TEST_EMPTY}\n"),
              ElementsAre("sources[0].passwordEnv (line 2): environment variable "
                          "\"PS_TEST_EMPTY\" is empty"));
}

TEST_F(ConfigTest, PasswordFile) {
  std::string path = WriteFile("ps_config_pw", std::string(kPassword) + "\n");
  auto c = ParseConfig("sources:\n  - {name: a, type: redis-streams, address: \"r:1\", stream: s, "
                       "passwordFile: " + path + "}\n");
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(P(c->sources[0]).password.Reveal(), kPassword);

  std::string missing = ::testing::TempDir() + "ps_config_no_such_file";
  EXPECT_THAT(Errors("sources:\n  - {name: a, type: redis-streams, address: \"r:1\", stream: s, "
                     "passwordFile: " + missing + "}\n"),
              ElementsAre("sources[0].passwordFile (line 2): cannot read \"" + missing +
                          "\": No such file or directory"));
  std::string empty = WriteFile("ps_config_pw_empty", "\n");
  EXPECT_THAT(Errors("sources:\n  - {name: a, type: redis-streams, address: \"r:1\", stream: s, "
                     "passwordFile: " + empty + "}\n"),
              ElementsAre("sources[0].passwordFile (line 2): file \"" + empty + "\" is empty"));
  EXPECT_THAT(Errors("sources:\n  - {name: a, type: redis-streams, address: \"r:1\", stream: s, "
                     "passwordEnv: PS_TEST_PASSWORD, passwordFile: " + path + "}\n"),
              ElementsAre("sources[0].passwordFile (line 2): give \"passwordEnv\" or "
                          "\"passwordFile\", not both"));
}

TEST_F(ConfigTest, PasswordFileTooLarge) {
  std::string big = WriteFile("ps_config_pw_big", std::string(100 << 10, 'x'));
  EXPECT_THAT(Errors("sources:\n  - {name: a, type: redis-streams, address: \"r:1\", stream: s, "
                     "passwordFile: " + big + "}\n"),
              ElementsAre("sources[0].passwordFile (line 2): cannot read \"" + big +
                          "\": larger than 65536 bytes"));
}

TEST_F(ConfigTest, PortWithoutHost) {
  EXPECT_THAT(Errors("sources:\n  - {name: a, type: redis-streams, port: 1, stream: s}\n"),
              ElementsAre("sources[0].port (line 2): needs \"host\" too (value \"1\")"));
}

TEST_F(ConfigTest, OddInputsGiveErrorsNotExceptions) {
  for (const char* yaml : {"[", "{a: [}", "%YAML 9.9\n---\na: 1\n", "*unknown_alias\n",
                           "sources: &a [*a]\n", "? [a, b]\n: c\n", "sources: [{? [x]: y}]\n",
                           "pools:\n  - name: p\n    signals: [[1]]\n"}) {
    std::vector<std::string> errors;
    absl::StatusOr<Config> c = ParseConfig(yaml, &errors);
    EXPECT_THAT(c, IsInvalidArgument(::testing::_)) << yaml;
    EXPECT_THAT(errors, Not(IsEmpty())) << yaml;
  }
}

// A key with a line break (or other odd bytes) is quoted in the path, so every error stays on
// one line (found by the local_run fuzzer through the shared ParamReader).
TEST_F(ConfigTest, OddKeysAreQuotedInErrorPaths) {
  std::vector<std::string> errors = Errors("defaults:\n  \"a\\nb\": 1\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "defaults.\"a\\nb\" (line 2): unknown key \"a\\nb\" (value \"1\")");
  EXPECT_EQ(errors[0].find('\n'), std::string::npos);
}

TEST_F(ConfigTest, PasswordInConfigIsRejectedWithoutEcho) {
  EXPECT_THAT(Errors("sources:\n  - name: a\n    type: redis-streams\n    address: r:1\n"
                     "    stream: s\n    password: pw-Sup3rSecret\n"),
              ElementsAre("sources[0].password (line 6): passwords are not written in the "
                          "config: use passwordEnv or passwordFile"));
}

TEST_F(ConfigTest, SecretsNeverInErrors) {
  std::string path = WriteFile("ps_config_pw2", kPassword);
  std::vector<std::string> errors = Errors(R"(sources:
  - name: a
    type: redis-streams
    address: nope
    stream: s
    passwordEnv: PS_TEST_PASSWORD
    passwordFile: )" + path + R"(
  - name: b
    type: redis-streams
    address: "redis://:pw-Sup3rSecret@r:1"
    stream: s
    passwordEnv: PS_TEST_PASSWORD
    passwordFromEnv: pw-Sup3rSecret
    secretToken: pw-Sup3rSecret
)");
  EXPECT_THAT(errors, SizeIs(5));
  for (const std::string& e : errors) EXPECT_THAT(e, Not(HasSubstr("Sup3rSecret")));
}

TEST_F(ConfigTest, SourceReferencedByNoPoolIsAllowed) {
  auto c = ParseConfig(kSources);
  ASSERT_THAT(c, IsOk());
  EXPECT_THAT(c->sources, SizeIs(2));
}

TEST_F(ConfigTest, PoolsBeforeSourcesInTheFile) {
  auto c = ParseConfig("pools:\n  - {name: p, signals: [{source: orders}]}\n" +
                       std::string(kSources));
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->pools[0].signals[0].source, "orders");
}

TEST_F(ConfigTest, PoolErrors) {
  std::vector<std::string> errors = Errors(std::string(kSources) + R"(pools:
  - name: a
    minReplicas: 5
    maxReplicas: 2
    cooldownSeconds: -1
    scaleDownWindowSeconds: x
    replicas: 3
    signals:
      - source: orders
  - metricName: m
    maxReplicas: 0
    signals: []
  - name: c
    minReplicas: 200
  - name: d
    signals: orders
)");
  EXPECT_THAT(errors,
              ElementsAre("pools[0].maxReplicas (line 14): must be at least minReplicas (5) "
                          "(value \"2\")",
                          "pools[0].cooldownSeconds (line 15): must not be negative (value \"-1\")",
                          "pools[0].scaleDownWindowSeconds (line 16): expected a number "
                          "(value \"x\")",
                          "pools[0].replicas (line 17): unknown key \"replicas\" (value \"3\")",
                          "pools[1].name (line 20): is required",
                          "pools[1].maxReplicas (line 21): must be between 1 and 1000000 "
                          "(value \"0\")",
                          "pools[1].signals (line 22): expected a list of at least one signal",
                          "pools[2].minReplicas (line 24): exceeds the default maxReplicas (100) "
                          "(value \"200\")",
                          "pools[2].signals (line 23): is required: list at least one signal",
                          "pools[3].signals (line 26): expected a list of at least one signal "
                          "(value \"orders\")"));
}

TEST_F(ConfigTest, DuplicatePoolAndMetricNames) {
  EXPECT_THAT(Errors(std::string(kSources) + R"(pools:
  - {name: a, signals: [{source: orders}]}
  - {name: a, signals: [{source: orders}]}
)"),
              ElementsAre("pools[1].name (line 13): duplicate pool name (also pools[0]) "
                          "(value \"a\")"));
  EXPECT_THAT(Errors(std::string(kSources) + R"(pools:
  - {name: a, metricName: Shared, signals: [{source: orders}]}
  - {name: b, metricName: shared, signals: [{source: orders}]}
  - {name: c, metricName: pool-d, signals: [{source: orders}]}
  - {name: d, signals: [{source: orders}]}
)"),
              ElementsAre("pools[1].metricName (line 13): metric name \"shared\" is already "
                          "used by pool \"a\" (value \"shared\")",
                          "pools[3] (line 15): metric name \"pool-d\" is already used by pool "
                          "\"c\"; set a distinct metricName"));
  EXPECT_THAT(Errors(std::string(kSources) + "pools:\n  - {name: a, metricName: \"\", "
                                             "signals: [{source: orders}]}\n"),
              ElementsAre("pools[0].metricName (line 12): must not be empty"));
}

TEST_F(ConfigTest, SignalErrors) {
  std::vector<std::string> errors = Errors(std::string(kSources) + R"(pools:
  - name: a
    signals:
      - source: ordrs
      - measure: length
      - source: orders
        measure: lag
      - source: plain
        measure: pending
      - source: orders
        lagThreshold: 0
        activationLagThreshold: -1
        weight: 2
      - source: orders
      - source: orders
        measure: outstanding
      - just-a-string
)");
  EXPECT_THAT(errors,
              ElementsAre("pools[0].signals[0].source (line 14): no source with this name in "
                          "\"sources\" (value \"ordrs\")",
                          "pools[0].signals[1].source (line 15): is required",
                          "pools[0].signals[2].measure (line 17): unknown measure; source "
                          "\"orders\" reports \"length\", \"undelivered\", \"pending\", "
                          "\"outstanding\", \"arrived_total\", \"completed_total\" (value \"lag\")",
                          "pools[0].signals[3].measure (line 19): source \"plain\" has no "
                          "consumerGroup, so it reports only \"length\" (value \"pending\")",
                          "pools[0].signals[4].lagThreshold (line 21): must be greater than 0 "
                          "(value \"0\")",
                          "pools[0].signals[4].activationLagThreshold (line 22): must not be "
                          "negative (value \"-1\")",
                          "pools[0].signals[4].weight (line 23): unknown key \"weight\" "
                          "(value \"2\")",
                          "pools[0].signals[6] (line 25): duplicate signal \"orders/outstanding\" "
                          "(also pools[0].signals[5])",
                          "pools[0].signals[7] (line 27): expected a map of keys and values"));
}

TEST_F(ConfigTest, SignalOnBrokenSourceReportsOnlyTheSource) {
  EXPECT_THAT(Errors(R"(sources:
  - {name: orders, type: redis-streams, address: nope, stream: s}
pools:
  - {name: a, signals: [{source: orders}]}
)"),
              ElementsAre(HasSubstr("sources[0].address (line 2)")));
}

TEST_F(ConfigTest, CollectsErrorsAcrossSections) {
  std::vector<std::string> errors;
  auto c = ParseConfig(R"(defaults:
  timeout: x
sources:
  - {name: a, type: kafka}
pools:
  - {name: p, signals: [{source: zzz}]}
)",
                       &errors);
  EXPECT_THAT(c, IsInvalidArgument(AllOf(HasSubstr("defaults.timeout (line 2)"),
                                         HasSubstr("\nsources[0].type (line 4)"),
                                         HasSubstr("\npools[0].signals[0].source (line 6)"))));
  EXPECT_THAT(errors, SizeIs(3));
}

TEST_F(ConfigTest, ErrorsOutClearedOnSuccess) {
  std::vector<std::string> errors = {"stale"};
  ASSERT_THAT(ParseConfig("{}", &errors), IsOk());
  EXPECT_THAT(errors, IsEmpty());
}

TEST_F(ConfigTest, LoadConfigFile) {
  std::string path = WriteFile("ps_config.yaml", kSources);
  auto c = LoadConfigFile(path);
  ASSERT_THAT(c, IsOk());
  EXPECT_THAT(c->sources, SizeIs(2));

  std::vector<std::string> errors;
  std::string missing = ::testing::TempDir() + "ps_no_such_config.yaml";
  EXPECT_THAT(LoadConfigFile(missing, &errors),
              IsInvalidArgument(missing + ": cannot read config file: No such file or directory"));
  EXPECT_THAT(errors, SizeIs(1));
  EXPECT_THAT(LoadConfigFile(::testing::TempDir()),
              IsInvalidArgument(HasSubstr("cannot read config file: Is a directory")));

  std::string bad = WriteFile("ps_bad_config.yaml", "pools: 1\n");
  EXPECT_THAT(LoadConfigFile(bad), IsInvalidArgument("pools (line 1): expected a list of pools"));
}

TEST(NormalizeMetricNameTest, LowercasesAndReplaces) {
  EXPECT_EQ(NormalizeMetricName("Orders_Workers"), "orders-workers");
  EXPECT_EQ(NormalizeMetricName("a.b-c9"), "a-b-c9");  // as KEDA normalizes it
  EXPECT_EQ(NormalizeMetricName("x y/z:1"), "x-y-z-1");
  EXPECT_EQ(NormalizeMetricName(""), "");
  EXPECT_EQ(NormalizeMetricName("é"), "--");  // each byte outside the set
}

}  // namespace
}  // namespace poolscaler::config

namespace poolscaler::config {
namespace {

// check-config --offline: credential keys are checked for shape, but nothing is read, so a config
// naming variables and files that do not exist here still parses — and says so.
TEST(ConfigOffline, CredentialsAreCheckedButNotRead) {
  const std::string yaml = R"(
sources:
  - name: orders
    type: redis-streams
    address: 127.0.0.1:6379
    stream: orders
    usernameEnv: POOLSCALER_TEST_SURELY_UNSET_USER
    passwordFile: /nonexistent/poolscaler/password
)";
  std::vector<std::string> errors;
  EXPECT_FALSE(ParseConfig(yaml, &errors).ok());
  EXPECT_EQ(errors.size(), 2u);

  ParseOptions offline;
  offline.resolve_secrets = false;
  absl::StatusOr<Config> cfg = ParseConfig(yaml, &errors, offline);
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_FALSE(cfg->secrets_resolved);
  EXPECT_TRUE(ParseConfig("sources: []", nullptr).value().secrets_resolved);

  // Shape errors are still errors offline: both keys of a pair, or an empty name.
  const std::string both = R"(
sources:
  - name: orders
    type: redis-streams
    address: 127.0.0.1:6379
    stream: orders
    passwordEnv: ""
)";
  EXPECT_FALSE(ParseConfig(both, &errors, offline).ok());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("passwordEnv"), std::string::npos) << errors[0];
}

}  // namespace
}  // namespace poolscaler::config
