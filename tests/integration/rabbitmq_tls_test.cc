// The rabbitmq source over TLS, both protocols, against a broker that requires a client
// certificate signed by a throw-away CA (made with the openssl CLI): amqps:// and https:// with
// tlsCaFile + tlsCertFile + tlsKeyFile sample; without the client certificate, or without the CA,
// they fail (never a value).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>

#include "poolscaler/config/trigger.h"
#include "poolscaler/sources/rabbitmq.h"
#include "support/eventually.h"
#include "support/rabbitmq_server.h"
#include "support/temp_dir.h"

namespace poolscaler::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::AllOf;
using ::testing::HasSubstr;

// A CA, a server certificate for localhost / 127.0.0.1 and a client certificate.
bool MakeCertificates(const TempDir& dir) {
  const std::string d = dir.path() + "/";
  chmod(dir.path().c_str(), 0755);  // the broker runs as user rabbitmq
  dir.Write("ext.cnf", "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
  const std::vector<std::vector<std::string>> steps = {
      {"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
       "-keyout", d + "ca.key", "-out", d + "ca.pem", "-days", "1", "-subj", "/CN=poolscaler-test-ca"},
      {"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
       d + "server.key", "-out", d + "server.csr", "-subj", "/CN=localhost"},
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
    RunResult r = RunToEnd(argv, dir.path());
    if (r.code != 0) {
      ADD_FAILURE() << "openssl " << step[0] << " failed: " << r.err;
      return false;
    }
  }
  for (const char* f : {"ca.pem", "server.pem", "server.key", "client.pem", "client.key"}) {
    chmod((d + f).c_str(), 0644);
  }
  return true;
}

config::SourceSpec Spec(std::map<std::string, std::string> meta) {
  meta["source"] = "rabbitmq";
  auto trigger = config::ParseTrigger(meta, config::Defaults{});
  EXPECT_TRUE(trigger.ok()) << trigger.status();
  return trigger.ok() ? trigger->source : config::SourceSpec{};
}

TEST(RabbitMqTlsTest, AmqpsAndHttpsWithCaAndClientCertificate) {
  TempDir certs;
  ASSERT_TRUE(MakeCertificates(certs));
  const std::string d = certs.path() + "/";
  const std::string tls = "cacertfile = " + d + "ca.pem\n" + "certfile = " + d + "server.pem\n" +
                          "keyfile = " + d + "server.key\n" + "verify = verify_peer\n" +
                          "fail_if_no_peer_cert = true\n";
  std::string config = "listeners.ssl.default = 127.0.0.1:$AMQPS_PORT\n"
                       "management.ssl.port = $HTTPS_PORT\nmanagement.ssl.ip = 127.0.0.1\n";
  for (size_t start = 0, end; (end = tls.find('\n', start)) != std::string::npos; start = end + 1) {
    config += "ssl_options." + tls.substr(start, end - start) + "\n";
    config += "management.ssl." + tls.substr(start, end - start) + "\n";
  }
  auto broker = RabbitMqServer::Start(config);
  ASSERT_NE(broker, nullptr);
  ASSERT_TRUE(broker->AddQueue("%2F", "secure"));
  // Four messages through the plain listener (the test client speaks no TLS): each TLS path
  // must read them.
  auto client = AmqpTestClient::Connect(broker->amqp_port(), "/");
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->Publish("secure", 4));

  sources::RabbitMqFactory factory;
  const std::map<std::string, std::string> files = {
      {"tlsCaFile", d + "ca.pem"}, {"tlsCertFile", d + "client.pem"}, {"tlsKeyFile", d + "client.key"}};
  // Per URL: what the refusal without a client certificate and without the CA must say.
  struct Case {
    std::string url, no_cert, no_ca;
  };
  for (const Case& c :
       {Case{"amqps://localhost:" + std::to_string(broker->amqps_port()),
             "if the broker verifies clients, give tlsCertFile and tlsKeyFile",
             "SSL peer cert verification failed"},
        Case{"https://localhost:" + std::to_string(broker->https_port()), "certificate required",
             "SSL certificate problem"}}) {
    const std::string& url = c.url;
    SCOPED_TRACE(url);
    auto meta = files;
    meta["host"] = url;
    meta["queueName"] = "secure";
    auto source = factory.Create(Spec(meta));
    ASSERT_TRUE(source.ok()) << source.status();
    absl::StatusOr<sources::Reading> r;
    // The management API's counts lag by up to its statistics interval (1 s).
    EXPECT_TRUE(Eventually(
        [&] {
          r = (*source)->Sample(RealClock::Instance().Now() + seconds(3));
          return r.ok() && r->measures.at("ready") == 4;
        },
        seconds(15), milliseconds(250)))
        << (r.ok() ? "ready " + std::to_string(r->measures.at("ready"))
                   : r.status().ToString());

    auto no_cert = meta;
    no_cert.erase("tlsCertFile");
    no_cert.erase("tlsKeyFile");
    auto without = factory.Create(Spec(no_cert));
    ASSERT_TRUE(without.ok());
    r = (*without)->Sample(RealClock::Instance().Now() + seconds(3));
    std::printf("[figures] %s without a client certificate: %s\n", url.c_str(),
                r.status().ToString().c_str());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
    EXPECT_THAT(std::string(r.status().message()), AllOf(HasSubstr(url), HasSubstr(c.no_cert)));

    auto no_ca = meta;
    no_ca.erase("tlsCaFile");  // the system trust store does not know our CA
    auto untrusted = factory.Create(Spec(no_ca));
    ASSERT_TRUE(untrusted.ok());
    r = (*untrusted)->Sample(RealClock::Instance().Now() + seconds(3));
    std::printf("[figures] %s without the CA: %s\n", url.c_str(), r.status().ToString().c_str());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
    EXPECT_THAT(std::string(r.status().message()), AllOf(HasSubstr(url), HasSubstr(c.no_ca)));
  }
}

}  // namespace
}  // namespace poolscaler::testing
