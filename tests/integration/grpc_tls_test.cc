// gRPC TLS and mutual TLS on the scaler's listener, with certificates made by the openssl CLI at
// test time: who gets in (a client trusting the server's CA; with mTLS only with a certificate
// from the client CA), who does not (plaintext, an untrusting client, no client certificate, a
// certificate from another CA), certificate renewal without a restart, and start-up errors that
// name the option and file but never a key's content.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "health.grpc.pb.h"
#include "poolscaler/runtime/runtime.h"
#include "support/eventually.h"
#include "support/pki.h"
#include "support/temp_dir.h"

namespace poolscaler {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::Pki;
using testing::TempDir;

struct ClientCert {
  std::string trust_ca;   // PEM; empty: trust nothing special (the system roots)
  std::string cert, key;  // PEM; empty: no client certificate
};

// One health check over a fresh channel (so nothing is reused between attempts).
grpc::Status HealthCheck(int port, const std::shared_ptr<grpc::ChannelCredentials>& creds) {
  grpc::ChannelArguments args;
  args.SetSslTargetNameOverride("localhost");
  args.SetInt("grpc.use_local_subchannel_pool", 1);  // no connection shared with other channels
  auto channel =
      grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(port), creds, args);
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
  grpc::health::v1::HealthCheckRequest req;
  grpc::health::v1::HealthCheckResponse resp;
  return stub->Check(&ctx, req, &resp);
}

std::shared_ptr<grpc::ChannelCredentials> Tls(const ClientCert& c) {
  grpc::SslCredentialsOptions o;
  o.pem_root_certs = c.trust_ca;
  o.pem_cert_chain = c.cert;
  o.pem_private_key = c.key;
  return grpc::SslCredentials(o);
}

class GrpcTls : public ::testing::Test {
 protected:
  void SetUp() override {
    pki_.Ca("ca");
    pki_.Leaf("server", "ca", true);
    pki_.Ca("clients");
    pki_.Leaf("client", "clients", false);
    pki_.Ca("rogue");
    pki_.Leaf("intruder", "rogue", false);
  }

  std::unique_ptr<runtime::Runtime> Start(server::TlsFiles tls) {
    runtime::Options o;
    o.grpc_listen = "127.0.0.1:0";
    o.http_listen = "127.0.0.1:0";
    o.grpc_tls = std::move(tls);
    auto rt = std::make_unique<runtime::Runtime>(o);
    absl::Status st = rt->Start();
    EXPECT_TRUE(st.ok()) << st;
    return rt;
  }

  server::TlsFiles ServerFiles(bool mutual) {
    server::TlsFiles f;
    f.cert_file = pki_.Path("server.crt");
    f.key_file = pki_.Path("server.key");
    if (mutual) f.client_ca_file = pki_.Path("clients.crt");
    f.refresh = std::chrono::seconds(1);
    return f;
  }

  TempDir dir_;
  Pki pki_{dir_};
};

TEST_F(GrpcTls, ServerTlsAcceptsTrustingClientsOnly) {
  auto rt = Start(ServerFiles(/*mutual=*/false));
  const int port = rt->grpc_port();
  EXPECT_TRUE(HealthCheck(port, Tls({pki_.Pem("ca.crt"), "", ""})).ok());
  // Plaintext against a TLS port, and a client that does not trust the server's CA.
  EXPECT_FALSE(HealthCheck(port, grpc::InsecureChannelCredentials()).ok());
  EXPECT_FALSE(HealthCheck(port, Tls({pki_.Pem("rogue.crt"), "", ""})).ok());
}

TEST_F(GrpcTls, MutualTlsNeedsACertificateFromTheClientCa) {
  auto rt = Start(ServerFiles(/*mutual=*/true));
  const int port = rt->grpc_port();
  const std::string ca = pki_.Pem("ca.crt");
  EXPECT_TRUE(HealthCheck(port, Tls({ca, pki_.Pem("client.crt"), pki_.Pem("client.key")})).ok());
  EXPECT_FALSE(HealthCheck(port, Tls({ca, "", ""})).ok()) << "no client certificate";
  EXPECT_FALSE(
      HealthCheck(port, Tls({ca, pki_.Pem("intruder.crt"), pki_.Pem("intruder.key")})).ok())
      << "client certificate from another CA";
  EXPECT_FALSE(HealthCheck(port, grpc::InsecureChannelCredentials()).ok());
}

TEST_F(GrpcTls, RenewedServerCertificateIsServedWithoutARestart) {
  auto rt = Start(ServerFiles(/*mutual=*/false));
  const int port = rt->grpc_port();
  ASSERT_TRUE(HealthCheck(port, Tls({pki_.Pem("ca.crt"), "", ""})).ok());
  // The certificate is renewed by a new CA (as when a cert-manager issuer rotates): files are
  // replaced by rename, the way a Secret volume updates.
  pki_.Ca("ca2");
  pki_.Leaf("server2", "ca2", true);
  for (const char* ext : {".key", ".crt"}) {
    std::string from = pki_.Path(std::string("server2") + ext);
    std::string to = pki_.Path(std::string("server") + ext);
    ASSERT_EQ(std::rename(from.c_str(), to.c_str()), 0);
  }
  const std::string ca2 = pki_.Pem("ca2.crt");
  EXPECT_TRUE(testing::Eventually([&] { return HealthCheck(port, Tls({ca2, "", ""})).ok(); },
                                  std::chrono::seconds(10), std::chrono::milliseconds(200)))
      << "the renewed certificate was never served";
  EXPECT_FALSE(HealthCheck(port, Tls({pki_.Pem("ca.crt"), "", ""})).ok())
      << "the old certificate is still served";
}

TEST_F(GrpcTls, BadFilesFailStartupNamingOptionAndPathButNoKey) {
  const std::string key_pem = pki_.Pem("server.key");
  struct Case {
    server::TlsFiles files;
    std::string expect;
  };
  server::TlsFiles swapped = ServerFiles(false);
  std::swap(swapped.cert_file, swapped.key_file);  // the key where the certificate should be
  server::TlsFiles missing = ServerFiles(false);
  missing.key_file = pki_.Path("nope.key");
  server::TlsFiles no_key = ServerFiles(false);
  no_key.key_file.clear();
  server::TlsFiles ca_only;
  ca_only.client_ca_file = pki_.Path("clients.crt");
  server::TlsFiles bad_ca = ServerFiles(true);
  bad_ca.client_ca_file = pki_.Path("client.key");
  for (const Case& c : {Case{swapped, "--grpc-tls-cert: \"" + swapped.cert_file +
                                          "\" holds no PEM certificate"},
                        Case{missing, "--grpc-tls-key: cannot read \"" + missing.key_file + "\""},
                        Case{no_key, "--grpc-tls-cert needs --grpc-tls-key"},
                        Case{ca_only, "need --grpc-tls-cert"},
                        Case{bad_ca, "--grpc-tls-client-ca: \"" + bad_ca.client_ca_file +
                                         "\" holds no PEM certificate"}}) {
    runtime::Options o;
    o.grpc_listen = "127.0.0.1:0";
    o.http_listen = "127.0.0.1:0";
    o.grpc_tls = c.files;
    runtime::Runtime rt(o);
    absl::Status st = rt.Start();
    EXPECT_FALSE(st.ok());
    EXPECT_THAT(std::string(st.message()), HasSubstr(c.expect));
    EXPECT_THAT(std::string(st.message()), Not(HasSubstr("PRIVATE KEY")));
    EXPECT_THAT(std::string(st.message()), Not(HasSubstr(key_pem.substr(40, 40))));
  }
}

}  // namespace
}  // namespace poolscaler
