// nats-jetstream in trigger metadata and in the YAML config: every key, the defaults, KEDA's
// monitoring-endpoint keys explained, credentials combinations, keys and descriptions without
// secrets.
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
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using Meta = std::map<std::string, std::string>;

constexpr char kPassword[] = "pw-Sup3rSecret";
constexpr char kToken[] = "tok-Sup3rSecret";

Meta Nats(Meta extra = {}) {
  Meta m{{"source", "nats-jetstream"}, {"natsServer", "nats://nats.nats.svc:4222"},
         {"stream", "JOBS"}, {"consumer", "parse-small"}};
  for (auto& [k, v] : extra) m[k] = v;
  return m;
}

absl::StatusOr<TriggerSpec> Parse(const Meta& m) { return ParseTrigger(m, Defaults{}); }

const NatsJetStreamParams& P(const TriggerSpec& t) {
  return std::get<NatsJetStreamParams>(t.source.params);
}

TEST(NatsTriggerTest, RawModeDefaults) {
  auto t = Parse(Nats({{"scalerAddress", "x:9090"}, {"lagThreshold", "5"},
                       {"activationLagThreshold", "1"}}));
  ASSERT_THAT(t, IsOk());
  EXPECT_EQ(t->source.kind, kNatsJetStream);
  EXPECT_THAT(P(*t).servers, ElementsAre("nats://nats.nats.svc:4222"));
  EXPECT_EQ(P(*t).stream, "JOBS");
  EXPECT_EQ(P(*t).consumer, "parse-small");
  EXPECT_EQ(t->signal.measure, kMeasureOutstanding);
  EXPECT_EQ(t->signal.lag_threshold, 5);
  EXPECT_EQ(t->signal.activation_lag_threshold, 1);
  EXPECT_EQ(t->metric_name, "nats-jetstream-jobs-parse-small");
  EXPECT_EQ(t->source.name, "nats-jetstream/nats.nats.svc:4222/JOBS/parse-small");
  EXPECT_EQ(t->source.Describe(),
            "nats-jetstream nats://nats.nats.svc:4222 stream=JOBS consumer=parse-small");
}

TEST(NatsTriggerTest, WithoutConsumerMeasuresStreamLength) {
  Meta m = Nats();
  m.erase("consumer");
  auto t = Parse(m);
  ASSERT_THAT(t, IsOk());
  EXPECT_EQ(t->signal.measure, kMeasureLength);
  EXPECT_EQ(t->source.Measures(), std::vector<std::string>{kMeasureLength});
}

TEST(NatsTriggerTest, ServersListDomainAndSchemes) {
  auto t = Parse(Nats({{"natsServer", " nats://a:4222, tls://b:4223 ,c:4224"},
                       {"jsDomain", "hub"}, {"account", "APP"}}));
  ASSERT_THAT(t, IsOk());
  EXPECT_THAT(P(*t).servers, ElementsAre("nats://a:4222", "tls://b:4223", "nats://c:4224"));
  EXPECT_EQ(P(*t).domain, "hub");
  EXPECT_EQ(P(*t).account, "APP");
  EXPECT_THAT(t->source.Describe(), HasSubstr("domain=hub account=APP"));
  EXPECT_EQ(P(*Parse(Nats({{"domain", "leaf"}}))).domain, "leaf");
  EXPECT_THAT(Parse(Nats({{"domain", "a"}, {"jsDomain", "b"}})),
              IsInvalidArgument(HasSubstr("domain: give \"jsDomain\" or \"domain\", not both")));
}

TEST(NatsTriggerTest, ServerOrderAndAccountDoNotChangeTheKey) {
  auto a = Parse(Nats({{"natsServer", "nats://a:4222,nats://b:4222"}}));
  auto b = Parse(Nats({{"natsServer", "nats://b:4222,nats://a:4222"}, {"account", "X"}}));
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  EXPECT_EQ(a->source.Key(), b->source.Key());
  auto c = Parse(Nats({{"consumer", "parse-large"}}));
  EXPECT_NE(a->source.Key(), c->source.Key());
}

TEST(NatsTriggerTest, MonitoringEndpointKeysAreExplained) {
  Meta m = Nats({{"natsServerMonitoringEndpoint", "nats.nats.svc:8222"}});
  m.erase("natsServer");
  EXPECT_THAT(Parse(m), IsInvalidArgument(AllOf(
                            HasSubstr("natsServerMonitoringEndpoint: poolscaler does not use"),
                            HasSubstr("use \"natsServer\" with a nats:// URL"),
                            HasSubstr("nats.nats.svc:8222"), Not(HasSubstr("is required")))));
  EXPECT_THAT(Parse(Nats({{"useHttps", "true"}})),
              IsInvalidArgument(AllOf(HasSubstr("useHttps:"), HasSubstr("tls:// URL"))));
  EXPECT_THAT(Parse(Nats({{"natsServer", "http://nats:8222"}})),
              IsInvalidArgument(AllOf(HasSubstr("natsServer:"), HasSubstr("monitoring endpoint"),
                                      HasSubstr("http://nats:8222"))));
}

TEST(NatsTriggerTest, BadServersNameKeyAndValue) {
  EXPECT_THAT(Parse(Nats({{"natsServer", "nats://a:99999"}})),
              IsInvalidArgument(AllOf(HasSubstr("natsServer:"), HasSubstr("nats://a:99999"),
                                      HasSubstr("between 1 and 65535"))));
  EXPECT_THAT(Parse(Nats({{"natsServer", "ws://a:80"}})),
              IsInvalidArgument(HasSubstr("scheme must be nats:// or tls://")));
  EXPECT_THAT(Parse(Nats({{"natsServer", " , "}})),
              IsInvalidArgument(HasSubstr("natsServer: names no server")));
  // Credentials in a URL are refused and not echoed.
  EXPECT_THAT(Parse(Nats({{"natsServer", std::string("nats://app:") + kPassword + "@a:4222"}})),
              IsInvalidArgument(AllOf(HasSubstr("credentials in a server URL"),
                                      Not(HasSubstr(kPassword)))));
  Meta missing = Nats();
  missing.erase("natsServer");
  missing.erase("stream");
  EXPECT_THAT(Parse(missing), IsInvalidArgument(AllOf(HasSubstr("natsServer: is required"),
                                                      HasSubstr("stream: is required"))));
}

TEST(NatsTriggerTest, CredentialsAreSecretsAndExclusive) {
  auto t = Parse(Nats({{"userFromEnv", "app"}, {"passwordFromEnv", kPassword}}));
  ASSERT_THAT(t, IsOk());
  EXPECT_EQ(P(*t).username, "app");
  EXPECT_EQ(P(*t).password.Reveal(), kPassword);
  EXPECT_THAT(t->source.Key(), Not(HasSubstr(kPassword)));
  EXPECT_THAT(t->source.Key(), Not(HasSubstr("user=app")));
  EXPECT_THAT(t->Key(), Not(HasSubstr(kPassword)));
  EXPECT_THAT(t->source.Describe(), Not(HasSubstr("app")));
  auto other = Parse(Nats({{"userFromEnv", "app"}, {"passwordFromEnv", "other-pw"}}));
  EXPECT_NE(t->source.Key(), other->source.Key());

  auto token = Parse(Nats({{"tokenFromEnv", kToken}}));
  ASSERT_THAT(token, IsOk());
  EXPECT_EQ(P(*token).token.Reveal(), kToken);
  EXPECT_THAT(token->source.Key(), Not(HasSubstr(kToken)));

  EXPECT_THAT(Parse(Nats({{"passwordFromEnv", kPassword}})),
              IsInvalidArgument(AllOf(HasSubstr("passwordFromEnv: needs \"userFromEnv\" too"),
                                      Not(HasSubstr(kPassword)))));
  EXPECT_THAT(Parse(Nats({{"tokenFromEnv", kToken}, {"credsFile", "/x.creds"}})),
              IsInvalidArgument(AllOf(HasSubstr("give one way to authenticate"),
                                      Not(HasSubstr(kToken)))));
  auto files = Parse(Nats({{"nkeySeedFile", "/s/user.nk"}, {"tlsCaFile", "/s/ca.pem"},
                           {"tlsCertFile", "/s/c.pem"}, {"tlsKeyFile", "/s/k.pem"}}));
  ASSERT_THAT(files, IsOk());
  EXPECT_EQ(P(*files).nkey_seed_file, "/s/user.nk");
  EXPECT_THAT(files->source.Key(), HasSubstr("ca=/s/ca.pem"));
  EXPECT_THAT(Parse(Nats({{"tlsCertFile", "/s/c.pem"}})),
              IsInvalidArgument(HasSubstr("tlsCertFile: a client certificate needs both")));
}

TEST(NatsTriggerTest, RedisKeysAreUnknownForNats) {
  EXPECT_THAT(Parse(Nats({{"pendingEntriesCount", "5"}})),
              IsInvalidArgument(AllOf(HasSubstr("pendingEntriesCount: unknown key"),
                                      HasSubstr("nats-jetstream takes natsServer"))));
  EXPECT_THAT(Parse(Nats({{"address", "r:6379"}})),
              IsInvalidArgument(HasSubstr("address: unknown key")));
}

class NatsConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("PS_NATS_PASSWORD", kPassword, 1);
    setenv("PS_NATS_TOKEN", kToken, 1);
  }
};

TEST_F(NatsConfigTest, YamlEntryWithEveryKey) {
  auto c = ParseConfig(R"(
sources:
  - name: small
    type: nats-jetstream
    servers: [nats://a:4222, "nats://b:4222"]
    stream: JOBS
    consumer: parse-small
    jsDomain: hub
    account: APP
    username: app
    passwordEnv: PS_NATS_PASSWORD
    tlsCaFile: /etc/nats/ca.pem
    sampleInterval: 1s
  - name: jobs
    type: nats-jetstream
    natsServer: nats://a:4222,nats://b:4222
    stream: JOBS
    tokenEnv: PS_NATS_TOKEN
pools:
  - name: parse-small
    maxReplicas: 50
    signals:
      - {source: small, measure: ack_pending}
      - {source: small}
      - {source: jobs}
)");
  ASSERT_THAT(c, IsOk());
  const auto& small = std::get<NatsJetStreamParams>(c->sources[0].params);
  EXPECT_THAT(small.servers, ElementsAre("nats://a:4222", "nats://b:4222"));
  EXPECT_EQ(small.domain, "hub");
  EXPECT_EQ(small.password.Reveal(), kPassword);
  EXPECT_EQ(small.tls_ca_file, "/etc/nats/ca.pem");
  EXPECT_EQ(std::get<NatsJetStreamParams>(c->sources[1].params).token.Reveal(), kToken);
  EXPECT_EQ(c->pools[0].signals[0].measure, kMeasureAckPending);
  EXPECT_EQ(c->pools[0].signals[1].measure, kMeasureOutstanding);
  EXPECT_EQ(c->pools[0].signals[2].measure, kMeasureLength);
}

TEST_F(NatsConfigTest, YamlErrorsHavePathAndLineAndNoSecret) {
  std::vector<std::string> errors;
  auto c = ParseConfig(R"(sources:
  - name: small
    type: nats-jetstream
    servers: [nats://a:4222, {x: 1}]
    stream: JOBS
    password: inline
  - name: jobs
    type: nats-jetstream
    natsServerMonitoringEndpoint: nats:8222
    stream: JOBS
    tokenEnv: PS_NATS_TOKEN
    passwordEnv: PS_NATS_PASSWORD
pools:
  - name: p
    signals:
      - {source: jobs, measure: ack_pending}
)", &errors);
  EXPECT_THAT(c, IsInvalidArgument(Not(HasSubstr("Sup3rSecret"))));
  EXPECT_THAT(errors, ::testing::Contains(HasSubstr("sources[0].servers (line 4): expected a list of URLs")));
  EXPECT_THAT(errors, ::testing::Contains(HasSubstr("sources[0].password (line 6): secrets are not written")));
  EXPECT_THAT(errors, ::testing::Contains(HasSubstr("sources[1].natsServerMonitoringEndpoint (line 9)")));
  EXPECT_THAT(errors, ::testing::Contains(HasSubstr("sources[1].passwordEnv (line 12): needs \"username\" too")));
  EXPECT_THAT(errors, ::testing::Contains(HasSubstr("give one way to authenticate to NATS")));

  errors.clear();
  c = ParseConfig(R"(sources:
  - {name: jobs, type: nats-jetstream, natsServer: nats://a:4222, stream: JOBS}
pools:
  - name: p
    signals:
      - {source: jobs, measure: ack_pending}
      - {source: jobs, measure: undelivered}
)", &errors);
  EXPECT_THAT(errors, ElementsAre(HasSubstr("has no consumer, so it reports only \"length\""),
                                  HasSubstr("unknown measure; source \"jobs\" reports \"length\"")));
}

}  // namespace
}  // namespace poolscaler::config
