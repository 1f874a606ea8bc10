// The nats-jetstream source logging in to a real `nats-server -js`: user/password, token, NKey
// seed file, `.creds` file with an operator-signed JWT chain (built by tests/support/nats_jwt.h),
// TLS with a CA and a client certificate, and missing API permissions; errors never print a
// secret.
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
#include "integration/nats_test_helpers.h"

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

using namespace nats_test;  // NOLINT: the shared test helpers

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
  absl::Status st = RefusalOf(**bad);
  std::printf("[figures] wrong password: %s\n", st.ToString().c_str());
  EXPECT_THAT(st, StatusIs(absl::StatusCode::kUnauthenticated,
                           AllOf(HasSubstr("username and password"), HasSubstr(server_->url()),
                                 HasSubstr("Authorization Violation"),
                                 Not(HasSubstr(kWrongPassword)), Not(HasSubstr(kPassword)))));
  // No credentials at all.
  auto none = factory_.Create(Spec(server_->url(), "JOBS", "parse-small"));
  EXPECT_THAT(RefusalOf(**none),
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
  // The set-up client has no token support: the data is made before the server requires one.
  StartWith("");
  ASSERT_TRUE(server_->RestartWith("authorization { token: \"tok-abc-123456\" }"))
      << server_->LogTail();
  auto spec = Spec(server_->url(), "JOBS", "parse-small");
  Params(spec).token = Secret("tok-abc-123456");
  auto good = factory_.Create(spec);
  EXPECT_EQ(SampleUntil(**good, config::kMeasureOutstanding, 3)[config::kMeasureOutstanding], 3);
  Params(spec).token = Secret("tok-wrong-99999");
  auto bad = factory_.Create(spec);
  absl::Status st = RefusalOf(**bad);
  std::printf("[figures] wrong token: %s\n", st.ToString().c_str());
  EXPECT_THAT(st, StatusIs(absl::StatusCode::kUnauthenticated,
                           AllOf(HasSubstr("token"), HasSubstr(server_->url()),
                                 HasSubstr("Authorization Violation"),
                                 Not(HasSubstr("tok-wrong-99999")), Not(HasSubstr("tok-abc")))));
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
  EXPECT_THAT(RefusalOf(**factory_.Create(other_spec)),
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
  absl::Status st = RefusalOf(**factory_.Create(other));
  std::printf("[figures] creds of an untrusted account: %s\n", st.ToString().c_str());
  EXPECT_THAT(st, StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("other.creds")));
  // Without credentials this server refuses the connection.
  auto none = factory_.Create(Spec(server_->url(), "JOBS", "parse-small"));
  EXPECT_THAT(RefusalOf(**none),
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
  // The data is made in plain text, then the server requires TLS and a client certificate
  // signed by the CA.
  StartWith("");
  ASSERT_TRUE(server_->RestartWith("tls { cert_file: \"" + d + "server.pem\"\n key_file: \"" + d +
                                   "server.key\"\n ca_file: \"" + d + "ca.pem\"\n verify: true }"))
      << server_->LogTail();
  auto spec = Spec("tls://127.0.0.1:" + std::to_string(server_->port()), "JOBS", "parse-small");
  Params(spec).tls_ca_file = d + "ca.pem";
  Params(spec).tls_cert_file = d + "client.pem";
  Params(spec).tls_key_file = d + "client.key";
  auto good = factory_.Create(spec);
  EXPECT_EQ(SampleUntil(**good, config::kMeasureOutstanding, 3)[config::kMeasureOutstanding], 3);

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
  EXPECT_THAT(st, StatusIs(absl::StatusCode::kFailedPrecondition,
                           AllOf(HasSubstr("creds file \""), HasSubstr("user.creds"),
                                 HasSubstr("no nkey user seed found"),
                                 Not(HasSubstr("this is not a creds file")))));
  Params(spec).creds_file = dir_.path() + "/missing.creds";
  st = (*factory_.Create(spec))->Sample(Deadline()).status();
  std::printf("[figures] missing creds file: %s\n", st.ToString().c_str());
  EXPECT_THAT(st, StatusIs(absl::StatusCode::kFailedPrecondition,
                           AllOf(HasSubstr("missing.creds"), HasSubstr("No such file"))));
}

}  // namespace
}  // namespace poolscaler::sources
