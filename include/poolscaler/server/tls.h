#pragma once
// TLS for the gRPC listener: server certificate and key, and optionally a client CA that makes
// it mutual TLS (KEDA's external trigger presents tlsClientCert/tlsClientKey and checks the
// server against caCert). The files are re-read every `refresh`, so a renewed certificate
// (cert-manager rotating a Secret volume) is picked up without a restart.
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "poolscaler/common/time.h"

namespace grpc {
class ServerCredentials;
}

namespace poolscaler::server {

struct TlsFiles {
  std::string cert_file;       // PEM certificate chain; empty: no TLS
  std::string key_file;        // PEM private key of the first certificate
  std::string client_ca_file;  // PEM CA bundle; set: clients must present a certificate it signed
  Duration refresh = std::chrono::seconds(10);  // how often the files are checked for changes

  bool enabled() const { return !cert_file.empty(); }
};

// Checks that the files exist, are readable and hold what they should (a certificate, a private
// key), so a mistake fails start-up with a message naming the option and path — never the key's
// content. OK when TLS is off.
absl::Status CheckTlsFiles(const TlsFiles& tls);

// Credentials for the listener: plaintext when TLS is off, else TLS (mutual with a client CA)
// from a file watcher that reloads the certificates every `refresh`.
std::shared_ptr<grpc::ServerCredentials> MakeServerCredentials(const TlsFiles& tls);

}  // namespace poolscaler::server
