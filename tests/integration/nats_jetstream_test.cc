// The nats-jetstream source against a real `nats-server -js` (tests/support/nats_server.h):
// pending / ack_pending through publish, fetch, ack, nak and redelivery; independent filtered
// consumers; stream length; NOT_FOUND; authentication (user/password, token, NKey seed, creds
// file with an operator-signed JWT) and TLS with a client certificate, with errors that never
// print a secret.
#include <sys/random.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "poolscaler/config/source_spec.h"
#include "poolscaler/sources/nats_jetstream.h"
#include "poolscaler/sources/nkey.h"
#include "poolscaler/sources/source.h"
#include "support/eventually.h"
#include "support/nats_jwt.h"
#include "support/nats_server.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace poolscaler::sources {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using poolscaler::testing::Eventually;
using poolscaler::testing::NatsClient;
using poolscaler::testing::NatsServer;
using poolscaler::testing::TempDir;

constexpr char kPassword[] = "s3cr3t-pw-xyz";
constexpr char kWrongPassword[] = "wr0ng-pw-abc";

MATCHER_P2(StatusIs, code, message_matcher, "") {
  const absl::Status& status = arg;
  if (status.code() != code) {
    *result_listener << "status is " << status;
    return false;
  }
  return ::testing::ExplainMatchResult(message_matcher, std::string(status.message()),
                                       result_listener);
}

config::SourceSpec Spec(const std::string& servers, const std::string& stream,
                        const std::string& consumer = "") {
  config::SourceSpec spec;
  spec.name = "test";
  spec.kind = config::kNatsJetStream;
  spec.timeout = milliseconds(500);
  config::NatsJetStreamParams p;
  p.servers = {servers};
  p.stream = stream;
  p.consumer = consumer;
  spec.params = p;
  return spec;
}

config::NatsJetStreamParams& Params(config::SourceSpec& spec) {
  return std::get<config::NatsJetStreamParams>(spec.params);
}

TimePoint Deadline(Duration d = seconds(2)) { return SteadyClock::now() + d; }

// Samples until `measure` equals `want` (<= 5 s); returns the last reading's measures.
std::map<std::string, double> SampleUntil(Source& source, const std::string& measure, double want) {
  std::map<std::string, double> last;
  Eventually([&] {
    auto r = source.Sample(Deadline());
    if (!r.ok()) return false;
    last = r->measures;
    return last[measure] == want;
  });
  return last;
}

void PrintReading(const char* label, const std::map<std::string, double>& m) {
  std::printf("[figures] %s:", label);
  for (const auto& [k, v] : m) std::printf(" %s=%.0f", k.c_str(), v);
  std::printf("\n");
}

class NatsJetStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = NatsServer::Start();
    ASSERT_NE(server_, nullptr);
    client_ = NatsClient::Connect(server_->url());
    ASSERT_NE(client_, nullptr);
    ASSERT_TRUE(client_->AddStream("JOBS", {"jobs.>"}));
    ASSERT_TRUE(client_->AddPullConsumer("JOBS", "parse-small", "jobs.parse.small"));
    ASSERT_TRUE(client_->AddPullConsumer("JOBS", "parse-large", "jobs.parse.large"));
  }
  void TearDown() override {
    client_.reset();
    server_.reset();
  }

  std::unique_ptr<NatsServer> server_;
  std::unique_ptr<NatsClient> client_;
  NatsJetStreamFactory factory_;
};

TEST_F(NatsJetStreamTest, PendingAndAckPendingThroughFetchAckNakAndRedelivery) {
  auto small = factory_.Create(Spec(server_->url(), "JOBS", "parse-small"));
  auto large = factory_.Create(Spec(server_->url(), "JOBS", "parse-large"));
  auto stream = factory_.Create(Spec(server_->url(), "JOBS"));
  ASSERT_TRUE(small.ok() && large.ok() && stream.ok());

  auto m = SampleUntil(**small, config::kMeasureOutstanding, 0);
  EXPECT_EQ(m[config::kMeasurePending], 0);
  EXPECT_EQ(m[config::kMeasureAckPending], 0);

  ASSERT_TRUE(client_->Publish("jobs.parse.small", 10));
  ASSERT_TRUE(client_->Publish("jobs.parse.large", 3));
  ASSERT_TRUE(client_->Publish("jobs.other", 2));  // in the stream, matched by neither consumer
  m = SampleUntil(**small, config::kMeasurePending, 10);
  PrintReading("published 10 small", m);
  EXPECT_EQ(m[config::kMeasurePending], 10);
  EXPECT_EQ(m[config::kMeasureAckPending], 0);
  EXPECT_EQ(m[config::kMeasureOutstanding], 10);
  EXPECT_EQ(m[config::kMeasureRedelivered], 0);
  auto l = SampleUntil(**large, config::kMeasurePending, 3);
  EXPECT_EQ(l[config::kMeasureOutstanding], 3);
  EXPECT_EQ(SampleUntil(**stream, config::kMeasureLength, 15)[config::kMeasureLength], 15);

  // Fetched, not acked: moves from pending to ack_pending; outstanding unchanged.
  ASSERT_EQ(client_->Fetch("JOBS", "parse-small", 4), 4);
  m = SampleUntil(**small, config::kMeasureAckPending, 4);
  PrintReading("fetched 4, no ack", m);
  EXPECT_EQ(m[config::kMeasurePending], 6);
  EXPECT_EQ(m[config::kMeasureOutstanding], 10);
  EXPECT_EQ(m[config::kMeasureDeliveredSeq], 4);  // small messages are stream seqs 1..10
  EXPECT_EQ(m[config::kMeasureAckFloorSeq], 0);
  // The other filtered consumer on the same stream is independent.
  l = SampleUntil(**large, config::kMeasurePending, 3);
  EXPECT_EQ(l[config::kMeasureAckPending], 0);
  EXPECT_EQ(l[config::kMeasureOutstanding], 3);

  ASSERT_EQ(client_->Ack("parse-small", 2), 2);
  m = SampleUntil(**small, config::kMeasureAckPending, 2);
  PrintReading("acked 2", m);
  EXPECT_EQ(m[config::kMeasurePending], 6);
  EXPECT_EQ(m[config::kMeasureOutstanding], 8);
  EXPECT_EQ(m[config::kMeasureAckFloorSeq], 2);

  // Nak'ed messages are still outstanding work (waiting for redelivery).
  ASSERT_EQ(client_->Nak("parse-small", 2), 2);
  std::this_thread::sleep_for(milliseconds(200));
  m = SampleUntil(**small, config::kMeasureOutstanding, 8);
  PrintReading("nak'ed 2", m);
  EXPECT_EQ(m[config::kMeasureOutstanding], 8);

  // Redelivered on the next fetch (before the undelivered ones).
  ASSERT_EQ(client_->Fetch("JOBS", "parse-small", 2), 2);
  m = SampleUntil(**small, config::kMeasureRedelivered, 2);
  PrintReading("fetched 2 again (redelivered)", m);
  EXPECT_EQ(m[config::kMeasureRedelivered], 2);
  EXPECT_EQ(m[config::kMeasureAckPending], 2);
  EXPECT_EQ(m[config::kMeasurePending], 6);
  EXPECT_EQ(m[config::kMeasureOutstanding], 8);

  ASSERT_EQ(client_->Ack("parse-small", 2), 2);
  m = SampleUntil(**small, config::kMeasureOutstanding, 6);
  PrintReading("acked the redelivered 2", m);
  EXPECT_EQ(m[config::kMeasureAckPending], 0);
  EXPECT_EQ(m[config::kMeasureRedelivered], 0);
  EXPECT_EQ(m[config::kMeasureAckFloorSeq], 4);
  // Still independent.
  EXPECT_EQ(SampleUntil(**large, config::kMeasurePending, 3)[config::kMeasureOutstanding], 3);
}

TEST_F(NatsJetStreamTest, MissingStreamOrConsumerIsNotFound) {
  auto no_consumer = factory_.Create(Spec(server_->url(), "JOBS", "nope"));
  auto no_stream = factory_.Create(Spec(server_->url(), "NOPE", "parse-small"));
  auto no_stream_length = factory_.Create(Spec(server_->url(), "NOPE"));
  EXPECT_THAT((*no_consumer)->Sample(Deadline()).status(),
              StatusIs(absl::StatusCode::kNotFound,
                       AllOf(HasSubstr("consumer \"nope\""), HasSubstr("\"JOBS\""),
                             HasSubstr(server_->url()))));
  EXPECT_THAT((*no_stream)->Sample(Deadline()).status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("stream \"NOPE\" not found")));
  EXPECT_THAT((*no_stream_length)->Sample(Deadline()).status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("stream \"NOPE\" not found")));
}

TEST_F(NatsJetStreamTest, NoServerIsUnavailableQuicklyAndRetriesWithBackoff) {
  int port = poolscaler::testing::FreeLoopbackPort();
  auto source = factory_.Create(Spec("nats://127.0.0.1:" + std::to_string(port), "JOBS", "c"));
  auto start = SteadyClock::now();
  auto r = (*source)->Sample(Deadline(milliseconds(500)));
  EXPECT_LT(SteadyClock::now() - start, milliseconds(600));
  EXPECT_THAT(r.status(), StatusIs(absl::StatusCode::kUnavailable,
                                   HasSubstr("nats://127.0.0.1:" + std::to_string(port))));
  EXPECT_THAT((*source)->Sample(Deadline()).status(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("reconnecting to nats at")));
}

TEST(NatsSharingTest, SourcesOnOneServerShareOneConnection) {
  // A server that accepts a single client connection: if the three sources each opened their
  // own, two of them would be refused.
  auto server = NatsServer::Start("max_connections: 1");
  ASSERT_NE(server, nullptr);
  {
    auto client = NatsClient::Connect(server->url());
    ASSERT_NE(client, nullptr);
    ASSERT_TRUE(client->AddStream("JOBS", {"jobs.>"}));
    ASSERT_TRUE(client->AddPullConsumer("JOBS", "parse-small", "jobs.parse.small"));
    ASSERT_TRUE(client->AddPullConsumer("JOBS", "parse-large", "jobs.parse.large"));
    ASSERT_TRUE(client->Publish("jobs.parse.large", 2));
  }  // the set-up client's connection is closed here
  NatsJetStreamFactory factory;
  auto small = factory.Create(Spec(server->url(), "JOBS", "parse-small"));
  auto large = factory.Create(Spec(server->url(), "JOBS", "parse-large"));
  auto stream = factory.Create(Spec(server->url(), "JOBS"));
  ASSERT_TRUE(Eventually([&] { return (*small)->Sample(Deadline()).ok(); }));
  for (int i = 0; i < 3; ++i) {
    auto a = (*small)->Sample(Deadline());
    auto b = (*large)->Sample(Deadline());
    auto c = (*stream)->Sample(Deadline());
    ASSERT_TRUE(a.ok() && b.ok() && c.ok()) << a.status() << b.status() << c.status();
    EXPECT_EQ(b->measures[config::kMeasureOutstanding], 2);
    EXPECT_EQ(c->measures[config::kMeasureLength], 2);
  }
  // Proof that the limit bites: a second factory (its own pool) cannot get a connection.
  NatsJetStreamFactory other_factory;
  absl::Status refused =
      (*other_factory.Create(Spec(server->url(), "JOBS", "parse-small")))->Sample(Deadline()).status();
  std::printf("[figures] second connection to a max_connections=1 server: %s\n",
              refused.ToString().c_str());
  // nats.c reports the server's -ERR or, when the close wins the race, the missing PONG.
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kUnavailable,
                                HasSubstr("the server ended the handshake")));
  // When every source is gone the connection closes: a new client gets the one slot.
  small->reset();
  large->reset();
  stream->reset();
  EXPECT_NE(NatsClient::Connect(server->url()), nullptr);
}

// ---- authentication ----

class NatsAuthTest : public ::testing::Test {
 protected:
  // Starts a server with `auth` (an authorization block) and, through `user`/`password` for the
  // set-up client, creates JOBS with consumer parse-small and 3 messages.
  void StartWith(const std::string& auth, const std::string& user = "",
                 const std::string& password = "") {
    server_ = NatsServer::Start(auth);
    ASSERT_NE(server_, nullptr);
    if (user == "-") return;  // the test client cannot log in; no data
    auto client = NatsClient::Connect(server_->url(), user, password);
    ASSERT_NE(client, nullptr);
    ASSERT_TRUE(client->AddStream("JOBS", {"jobs.>"}));
    ASSERT_TRUE(client->AddPullConsumer("JOBS", "parse-small", "jobs.parse.small"));
    ASSERT_TRUE(client->Publish("jobs.parse.small", 3));
  }
  std::unique_ptr<NatsServer> server_;
  NatsJetStreamFactory factory_;
  TempDir dir_;
};

TEST_F(NatsAuthTest, UserPasswordIsSampledAndAWrongPasswordSaysSoWithoutPrintingIt) {
  StartWith(std::string("authorization { users = [ { user: app, password: \"") + kPassword +
                "\" } ] }",
            "app", kPassword);
  auto spec = Spec(server_->url(), "JOBS", "parse-small");
  Params(spec).username = "app";
  Params(spec).password = Secret(kPassword);
  auto good = factory_.Create(spec);
  EXPECT_EQ(SampleUntil(**good, config::kMeasureOutstanding, 3)[config::kMeasureOutstanding], 3);

  Params(spec).password = Secret(kWrongPassword);
  auto bad = factory_.Create(spec);
  absl::Status st = (*bad)->Sample(Deadline()).status();
  std::printf("[figures] wrong password: %s\n", st.ToString().c_str());
  EXPECT_THAT(st, StatusIs(absl::StatusCode::kUnauthenticated,
                           AllOf(HasSubstr("username and password"), HasSubstr(server_->url()),
                                 HasSubstr("Authorization Violation"),
                                 Not(HasSubstr(kWrongPassword)), Not(HasSubstr(kPassword)))));
  // No credentials at all.
  auto none = factory_.Create(Spec(server_->url(), "JOBS", "parse-small"));
  EXPECT_THAT((*none)->Sample(Deadline()).status(),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("no credentials")));
}

TEST_F(NatsAuthTest, NoPermissionForTheApiIsPermissionDenied) {
  StartWith("authorization { users = [ { user: setup, password: setup-pw },\n"
            "  { user: ro, password: ro-pw-123456, permissions: { publish: { deny: "
            "[\"$JS.API.CONSUMER.INFO.>\"] } } } ] }",
            "setup", "setup-pw");
  auto spec = Spec(server_->url(), "JOBS", "parse-small");
  Params(spec).username = "ro";
  Params(spec).password = Secret("ro-pw-123456");
  absl::Status st = (*factory_.Create(spec))->Sample(Deadline()).status();
  std::printf("[figures] no permission for CONSUMER.INFO: %s\n", st.ToString().c_str());
  EXPECT_THAT(st, StatusIs(absl::StatusCode::kPermissionDenied,
                           AllOf(HasSubstr("Permissions Violation"), Not(HasSubstr("ro-pw")))));
}

TEST_F(NatsAuthTest, TokenIsSampled) {
  StartWith("authorization { token: \"tok-abc-123456\" }", "-");
  // The set-up client has no token support: create the data with the source's own credentials
  // through a second server? Simpler: the token server is sampled for NOT_FOUND (logged in).
  auto spec = Spec(server_->url(), "JOBS", "parse-small");
  Params(spec).token = Secret("tok-abc-123456");
  auto good = factory_.Create(spec);
  absl::Status st = (*good)->Sample(Deadline()).status();
  EXPECT_THAT(st, StatusIs(absl::StatusCode::kNotFound, HasSubstr("stream \"JOBS\" not found")));
  Params(spec).token = Secret("tok-wrong-99999");
  auto bad = factory_.Create(spec);
  EXPECT_THAT((*bad)->Sample(Deadline()).status(),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       AllOf(HasSubstr("token"), Not(HasSubstr("tok-wrong-99999")))));
}

TEST_F(NatsAuthTest, NkeySeedFileIsSampled) {
  std::array<uint8_t, 32> raw{};
  ASSERT_EQ(getrandom(raw.data(), raw.size(), 0), static_cast<ssize_t>(raw.size()));
  Secret seed = NkeyEncodeUserSeed(raw);
  auto public_key = NkeyUserPublicKey(seed);
  ASSERT_TRUE(public_key.ok()) << public_key.status();
  // One nkey user (the source) and one password user (the set-up client).
  StartWith("authorization { users = [ { nkey: " + *public_key +
                " }, { user: setup, password: setup-pw } ] }",
            "setup", "setup-pw");
  std::string seed_path = dir_.Write("user.nk", seed.Reveal() + "\n");
  auto spec = Spec(server_->url(), "JOBS", "parse-small");
  Params(spec).nkey_seed_file = seed_path;
  auto source = factory_.Create(spec);
  EXPECT_EQ(SampleUntil(**source, config::kMeasureOutstanding, 3)[config::kMeasureOutstanding], 3);

  // A seed of another key: refused. A file that is no seed: a clear error, no content quoted.
  std::array<uint8_t, 32> other{};
  other[0] = 1;
  auto other_spec = spec;
  Params(other_spec).nkey_seed_file = dir_.Write("other.nk", NkeyEncodeUserSeed(other).Reveal());
  EXPECT_THAT((*factory_.Create(other_spec))->Sample(Deadline()).status(),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("NKey seed file")));
  auto bad_spec = spec;
  Params(bad_spec).nkey_seed_file = dir_.Write("bad.nk", "SUnot-a-seed-secretish");
  EXPECT_THAT((*factory_.Create(bad_spec))->Sample(Deadline()).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("not an NKey user seed"), Not(HasSubstr("secretish")))));
}

TEST_F(NatsAuthTest, CredsFileWithOperatorSignedJwtIsSampled) {
  poolscaler::testing::NatsJwtSetup jwt = poolscaler::testing::MakeNatsJwtSetup();
  ASSERT_FALSE(jwt.creds.empty());
  std::string creds = dir_.Write("user.creds", jwt.creds);
  server_ = NatsServer::Start(jwt.server_config);
  ASSERT_NE(server_, nullptr);
  auto client = NatsClient::Connect(server_->url(), "", "", creds);
  ASSERT_NE(client, nullptr) << server_->LogTail();
  ASSERT_TRUE(client->AddStream("JOBS", {"jobs.>"})) << server_->LogTail();
  ASSERT_TRUE(client->AddPullConsumer("JOBS", "parse-small", "jobs.parse.small"));
  ASSERT_TRUE(client->Publish("jobs.parse.small", 3));
  auto spec = Spec(server_->url(), "JOBS", "parse-small");
  Params(spec).creds_file = creds;
  auto source = factory_.Create(spec);
  EXPECT_EQ(SampleUntil(**source, config::kMeasureOutstanding, 3)[config::kMeasureOutstanding], 3);
  // A user of an account this server does not trust is refused, naming the creds file.
  auto other = spec;
  Params(other).creds_file = dir_.Write("other.creds", poolscaler::testing::MakeNatsJwtSetup().creds);
  absl::Status st = (*factory_.Create(other))->Sample(Deadline()).status();
  std::printf("[figures] creds of an untrusted account: %s\n", st.ToString().c_str());
  EXPECT_THAT(st, StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("other.creds")));
  // Without credentials this server refuses the connection.
  auto none = factory_.Create(Spec(server_->url(), "JOBS", "parse-small"));
  EXPECT_THAT((*none)->Sample(Deadline()).status(),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("no credentials")));
}

// A throw-away CA and a server (IP 127.0.0.1) and client certificate, made with the openssl CLI.
bool MakeCertificates(const TempDir& dir) {
  const std::string d = dir.path() + "/";
  dir.Write("ext.cnf", "subjectAltName=IP:127.0.0.1\n");
  const std::vector<std::vector<std::string>> steps = {
      {"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
       "-keyout", d + "ca.key", "-out", d + "ca.pem", "-days", "1", "-subj", "/CN=poolscaler-test-ca"},
      {"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
       d + "server.key", "-out", d + "server.csr", "-subj", "/CN=127.0.0.1"},
      {"x509", "-req", "-in", d + "server.csr", "-CA", d + "ca.pem", "-CAkey", d + "ca.key",
       "-CAcreateserial", "-out", d + "server.pem", "-days", "1", "-extfile", d + "ext.cnf"},
      {"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
       d + "client.key", "-out", d + "client.csr", "-subj", "/CN=poolscaler"},
      {"x509", "-req", "-in", d + "client.csr", "-CA", d + "ca.pem", "-CAkey", d + "ca.key",
       "-CAcreateserial", "-out", d + "client.pem", "-days", "1"},
  };
  for (const auto& step : steps) {
    std::vector<std::string> argv = {"/usr/bin/openssl"};
    argv.insert(argv.end(), step.begin(), step.end());
    poolscaler::testing::RunResult r = poolscaler::testing::RunToEnd(argv, dir.path());
    if (r.code != 0) {
      ADD_FAILURE() << "openssl " << step[0] << " failed: " << r.err;
      return false;
    }
  }
  return true;
}

TEST_F(NatsAuthTest, TlsWithCaAndClientCertificate) {
  ASSERT_TRUE(MakeCertificates(dir_));
  const std::string d = dir_.path() + "/";
  // The server requires TLS and a client certificate signed by the CA.
  StartWith("tls { cert_file: \"" + d + "server.pem\"\n key_file: \"" + d +
                "server.key\"\n ca_file: \"" + d + "ca.pem\"\n verify: true }",
            "-");
  auto spec = Spec("tls://127.0.0.1:" + std::to_string(server_->port()), "JOBS");
  Params(spec).tls_ca_file = d + "ca.pem";
  Params(spec).tls_cert_file = d + "client.pem";
  Params(spec).tls_key_file = d + "client.key";
  // Logged in and asked: the (empty) server has no stream JOBS.
  EXPECT_THAT((*factory_.Create(spec))->Sample(Deadline()).status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("stream \"JOBS\" not found")));

  auto no_client_cert = spec;
  Params(no_client_cert).tls_cert_file.clear();
  Params(no_client_cert).tls_key_file.clear();
  absl::Status st = (*factory_.Create(no_client_cert))->Sample(Deadline()).status();
  std::printf("[figures] TLS without the client certificate: %s\n", st.ToString().c_str());
  EXPECT_THAT(st, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("tlsCertFile")));

  auto untrusted = spec;
  Params(untrusted).tls_ca_file.clear();  // the system trust store does not know our CA
  st = (*factory_.Create(untrusted))->Sample(Deadline()).status();
  std::printf("[figures] TLS without tlsCaFile: %s\n", st.ToString().c_str());
  EXPECT_THAT(st, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("TLS")));

  auto missing = spec;
  Params(missing).tls_ca_file = d + "nope.pem";
  EXPECT_THAT((*factory_.Create(missing))->Sample(Deadline()).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("nope.pem")));
}

TEST_F(NatsAuthTest, MalformedCredsFileGivesAClearError) {
  StartWith("authorization { users = [ { user: setup, password: setup-pw } ] }", "setup",
            "setup-pw");
  auto spec = Spec(server_->url(), "JOBS", "parse-small");
  Params(spec).creds_file = dir_.Write("user.creds", "this is not a creds file\n");
  absl::Status st = (*factory_.Create(spec))->Sample(Deadline()).status();
  std::printf("[figures] malformed creds file: %s\n", st.ToString().c_str());
  EXPECT_FALSE(st.ok());
  EXPECT_THAT(std::string(st.message()), HasSubstr("user.creds"));
  Params(spec).creds_file = dir_.path() + "/missing.creds";
  st = (*factory_.Create(spec))->Sample(Deadline()).status();
  std::printf("[figures] missing creds file: %s\n", st.ToString().c_str());
  EXPECT_FALSE(st.ok());
  EXPECT_THAT(std::string(st.message()), HasSubstr("missing.creds"));
}

}  // namespace
}  // namespace poolscaler::sources
