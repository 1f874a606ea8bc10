// rabbitmq in trigger metadata and in the YAML config: the host URL (scheme → protocol, vhost
// from the path, credentials from the userinfo), KEDA's keys and their defaults, mode → default
// measure, regex/operation, and credentials never shown in keys, names or errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>

#include "poolscaler/config/config.h"
#include "poolscaler/config/trigger.h"
#include "unit/config/status_matchers.h"

namespace poolscaler::config {
namespace {

using ::poolscaler::testing::IsInvalidArgument;
using ::poolscaler::testing::IsOk;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using Meta = std::map<std::string, std::string>;

constexpr char kUrlPassword[] = "url-Sup3rSecret";

Meta Rabbit(Meta extra = {}) {
  Meta m{{"source", "rabbitmq"}, {"host", "amqp://rabbit.ci.svc:5672/ci"}, {"queueName", "runs"}};
  for (auto& [k, v] : extra) m[k] = v;
  return m;
}

absl::StatusOr<TriggerSpec> Parse(const Meta& m) { return ParseTrigger(m, Defaults{}); }

const RabbitMqParams& P(const TriggerSpec& t) { return std::get<RabbitMqParams>(t.source.params); }

std::string Visible(const TriggerSpec& t) {
  return t.Key() + t.metric_name + t.source.name + t.source.Key() + t.source.Describe() +
         t.signal.Name();
}

TEST(RabbitMqTriggerTest, AmqpQueueLengthIsReady) {
  auto t = Parse(Rabbit({{"mode", "QueueLength"}, {"value", "10"}, {"activationValue", "1"}}));
  ASSERT_THAT(t, IsOk());
  EXPECT_EQ(P(*t).protocol, RabbitMqParams::Protocol::kAmqp);
  EXPECT_EQ(P(*t).host, "rabbit.ci.svc");
  EXPECT_EQ(P(*t).port, 5672);
  EXPECT_EQ(P(*t).vhost, "ci");
  EXPECT_EQ(t->signal.measure, kMeasureReady);
  EXPECT_EQ(t->signal.lag_threshold, 10);
  EXPECT_EQ(t->signal.activation_lag_threshold, 1);
  EXPECT_EQ(t->metric_name, "rabbitmq-runs");
  EXPECT_EQ(t->source.name, "rabbitmq/rabbit.ci.svc:5672/vhost=ci/runs");
  EXPECT_EQ(t->source.Describe(), "rabbitmq amqp://rabbit.ci.svc:5672 vhost=ci queue=runs");
}

TEST(RabbitMqTriggerTest, HttpQueueLengthIsReadyPlusUnacked) {
  auto t = Parse(Rabbit({{"host", "http://rabbit:15672"}}));
  ASSERT_THAT(t, IsOk());
  EXPECT_EQ(P(*t).protocol, RabbitMqParams::Protocol::kHttp);
  EXPECT_EQ(P(*t).vhost, "/");
  EXPECT_EQ(t->signal.measure, kMeasureOutstanding);
  EXPECT_EQ(t->source.Measures().size(), 9u);  // with the drain-time counters
  t = Parse(Rabbit({{"host", "http://rabbit:15672"}, {"excludeUnacknowledged", "true"}}));
  ASSERT_THAT(t, IsOk());
  EXPECT_EQ(t->signal.measure, kMeasureReady);
  t = Parse(Rabbit({{"host", "https://rabbit/mgmt/%2F"}, {"mode", "MessageRate"}}));
  ASSERT_THAT(t, IsOk());
  EXPECT_EQ(P(*t).port, 15671);
  EXPECT_EQ(P(*t).path_prefix, "/mgmt");
  EXPECT_EQ(P(*t).vhost, "/");
  EXPECT_EQ(t->signal.measure, kMeasurePublishRate);
  EXPECT_EQ(P(*t).rate_window, std::chrono::seconds(60));
}

TEST(RabbitMqTriggerTest, VhostNameOverridesThePath) {
  auto t = Parse(Rabbit({{"vhostName", "other"}}));
  ASSERT_THAT(t, IsOk());
  EXPECT_EQ(P(*t).vhost, "other");
}

TEST(RabbitMqTriggerTest, UrlCredentialsAreFingerprintedNeverShown) {
  auto t = Parse(Rabbit({{"host", std::string("amqp://worker:") + kUrlPassword + "@rabbit/ci"}}));
  ASSERT_THAT(t, IsOk());
  EXPECT_EQ(P(*t).username, "worker");
  EXPECT_EQ(P(*t).password.Reveal(), kUrlPassword);
  EXPECT_THAT(Visible(*t), AllOf(Not(HasSubstr(kUrlPassword)), Not(HasSubstr("worker"))));
  auto other = Parse(Rabbit({{"host", "amqp://worker:another@rabbit/ci"}}));
  ASSERT_THAT(other, IsOk());
  EXPECT_NE(t->source.Key(), other->source.Key());
  // A bad URL is reported without echoing it.
  auto bad = Parse(Rabbit({{"host", std::string("ftp://worker:") + kUrlPassword + "@rabbit"}}));
  EXPECT_THAT(bad, IsInvalidArgument(AllOf(HasSubstr("host"), HasSubstr("scheme"),
                                           Not(HasSubstr(kUrlPassword)))));
  // hostFromEnv: KEDA substitutes the URL itself.
  Meta from_env = Rabbit({{"hostFromEnv", std::string("amqp://u:") + kUrlPassword + "@h:1/%2F"}});
  from_env.erase("host");
  auto env = Parse(from_env);
  ASSERT_THAT(env, IsOk());
  EXPECT_THAT(Visible(*env), Not(HasSubstr(kUrlPassword)));
  auto both = Parse(Rabbit({{"host", std::string("amqp://u:") + kUrlPassword + "@h"},
                            {"usernameFromEnv", "u2"}, {"passwordFromEnv", "p2"}}));
  EXPECT_THAT(both, IsInvalidArgument(AllOf(HasSubstr("one way"), Not(HasSubstr(kUrlPassword)))));
}

TEST(RabbitMqTriggerTest, BadKeysNameKeyAndValue) {
  EXPECT_THAT(Parse(Rabbit({{"mode", "Length"}})),
              IsInvalidArgument(AllOf(HasSubstr("mode"), HasSubstr("\"Length\""))));
  EXPECT_THAT(Parse(Rabbit({{"useRegex", "true"}})),
              IsInvalidArgument(AllOf(HasSubstr("useRegex"), HasSubstr("management API"))));
  EXPECT_THAT(Parse(Rabbit({{"mode", "MessageRate"}})),
              IsInvalidArgument(AllOf(HasSubstr("mode"), HasSubstr("management API"))));
  EXPECT_THAT(Parse(Rabbit({{"host", "http://h"}, {"operation", "median"}})),
              IsInvalidArgument(AllOf(HasSubstr("operation"), HasSubstr("\"median\""))));
  EXPECT_THAT(Parse(Rabbit({{"rateWindow", "0s"}})), IsInvalidArgument(HasSubstr("rateWindow")));
  EXPECT_THAT(Parse(Rabbit({{"host", "http://h"}, {"useRegex", "true"}, {"queueName", "jobs-("}})),
              IsInvalidArgument(AllOf(HasSubstr("queueName"), HasSubstr("not a valid regex"),
                                      HasSubstr("\"jobs-(\""))));
  EXPECT_THAT(Parse(Rabbit({{"tlsCaFile", "/ca.pem"}})),
              IsInvalidArgument(AllOf(HasSubstr("tlsCaFile"), HasSubstr("amqps://"))));
  EXPECT_THAT(Parse(Rabbit({{"host", "amqp://h:99999"}})), IsInvalidArgument(HasSubstr("port")));
  EXPECT_THAT(Parse(Rabbit({{"protocol", "http"}})), IsInvalidArgument(HasSubstr("protocol")));
  Meta no_queue = Rabbit();
  no_queue.erase("queueName");
  EXPECT_THAT(Parse(no_queue), IsInvalidArgument(HasSubstr("queueName: is required")));
  Meta no_host = Rabbit();
  no_host.erase("host");
  EXPECT_THAT(Parse(no_host), IsInvalidArgument(HasSubstr("host")));
  EXPECT_THAT(Parse(Rabbit({{"pendingEntriesCount", "5"}})),
              IsInvalidArgument(HasSubstr("unknown key \"pendingEntriesCount\"")));
}

TEST(RabbitMqConfigTest, YamlSourceWithCredentialsFromEnvAndFile) {
  setenv("POOLSCALER_TEST_RABBIT_PASSWORD", "env-Sup3rSecret", 1);
  auto c = ParseConfig(R"(
sources:
  - name: runs
    type: rabbitmq
    host: http://rabbit.ci.svc:15672
    vhostName: ci
    queueName: "^runs-"
    useRegex: true
    operation: max
    username: watcher
    passwordEnv: POOLSCALER_TEST_RABBIT_PASSWORD
pools:
  - name: workers
    minReplicas: 2
    maxReplicas: 10
    signals: [{source: runs, lagThreshold: 10}]
)");
  ASSERT_THAT(c, IsOk());
  const auto& p = std::get<RabbitMqParams>(c->sources[0].params);
  EXPECT_EQ(p.username, "watcher");
  EXPECT_EQ(p.password.Reveal(), "env-Sup3rSecret");
  EXPECT_TRUE(p.use_regex);
  EXPECT_EQ(p.operation, RabbitMqParams::Operation::kMax);
  EXPECT_EQ(c->pools[0].signals[0].measure, kMeasureOutstanding);
  EXPECT_THAT(c->sources[0].Key(), Not(HasSubstr("env-Sup3rSecret")));

  auto inline_password = ParseConfig(R"(
sources:
  - {name: runs, type: rabbitmq, host: "amqp://rabbit", queueName: q, password: x}
)");
  EXPECT_THAT(inline_password, IsInvalidArgument(HasSubstr("passwordEnv or passwordFile")));
}

}  // namespace
}  // namespace poolscaler::config
