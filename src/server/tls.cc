#include "poolscaler/server/tls.h"

#include <fmt/format.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>

#include <algorithm>
#include <fstream>

#include "absl/status/statusor.h"

namespace poolscaler::server {
namespace {

// Reads up to 1 MiB of `path` for `option`; errors name both, never the content.
absl::StatusOr<std::string> ReadPem(const char* option, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(fmt::format("{}: cannot read \"{}\"", option, path));
  }
  std::string text(1 << 20, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  return text;
}

absl::Status Expect(const char* option, const std::string& path, const std::string& text,
                    const char* marker, const char* what) {
  if (text.find(marker) == std::string::npos) {
    return absl::InvalidArgumentError(
        fmt::format("{}: \"{}\" holds no PEM {}", option, path, what));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckTlsFiles(const TlsFiles& tls) {
  if (!tls.enabled()) {
    if (!tls.key_file.empty() || !tls.client_ca_file.empty()) {
      return absl::InvalidArgumentError(
          "--grpc-tls-key and --grpc-tls-client-ca need --grpc-tls-cert");
    }
    return absl::OkStatus();
  }
  if (tls.key_file.empty()) {
    return absl::InvalidArgumentError("--grpc-tls-cert needs --grpc-tls-key");
  }
  if (tls.refresh < std::chrono::seconds(1)) {
    return absl::InvalidArgumentError("--grpc-tls-refresh: must be at least 1s");
  }
  absl::StatusOr<std::string> cert = ReadPem("--grpc-tls-cert", tls.cert_file);
  if (!cert.ok()) return cert.status();
  if (absl::Status st = Expect("--grpc-tls-cert", tls.cert_file, *cert,
                               "-----BEGIN CERTIFICATE-----", "certificate");
      !st.ok()) {
    return st;
  }
  absl::StatusOr<std::string> key = ReadPem("--grpc-tls-key", tls.key_file);
  if (!key.ok()) return key.status();
  if (absl::Status st =
          Expect("--grpc-tls-key", tls.key_file, *key, "PRIVATE KEY-----", "private key");
      !st.ok()) {
    return st;
  }
  if (!tls.client_ca_file.empty()) {
    absl::StatusOr<std::string> ca = ReadPem("--grpc-tls-client-ca", tls.client_ca_file);
    if (!ca.ok()) return ca.status();
    return Expect("--grpc-tls-client-ca", tls.client_ca_file, *ca,
                  "-----BEGIN CERTIFICATE-----", "certificate");
  }
  return absl::OkStatus();
}

std::shared_ptr<grpc::ServerCredentials> MakeServerCredentials(const TlsFiles& tls) {
  if (!tls.enabled()) return grpc::InsecureServerCredentials();
  const auto refresh = static_cast<unsigned int>(
      std::max<int64_t>(1, std::chrono::duration_cast<std::chrono::seconds>(tls.refresh).count()));
  auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      tls.key_file, tls.cert_file, tls.client_ca_file, refresh);
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_identity_key_cert_pairs();
  if (tls.client_ca_file.empty()) {
    options.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  } else {
    options.watch_root_certs();
    options.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  }
  return grpc::experimental::TlsServerCredentials(options);
}

}  // namespace poolscaler::server
