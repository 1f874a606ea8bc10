#pragma once
// ServingTls: the external metrics listener's TLS material, loaded from PEM files: the serving
// certificate chain and its key, and the requestheader (front-proxy) client CA bundle that
// client certificates must chain to — the kube-apiserver presents its --proxy-client-cert-file
// when it proxies a request. Reload() re-reads the files; every new handshake takes the latest
// valid set (open connections keep theirs). A file that turns unreadable or invalid is reported
// and the last good set stays in use.
//
// Configure() sets up an OpenSSL SSL_CTX for it: TLS 1.2+, no session resumption (so every
// connection's client certificate is verified against the current CA), the certificate chosen
// per handshake, and a client certificate requested but not required (health checks come
// without one; the server refuses API requests without one). A client certificate that does not
// verify against the CA ends the handshake.
// The class is thread-safe; it must outlive every SSL_CTX it configured.
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;
typedef struct x509_store_ctx_st X509_STORE_CTX;

namespace poolscaler::adapter {

// The command-line options the files come from (error messages name them).
inline constexpr char kFlagTlsCert[] = "--external-metrics-tls-cert";
inline constexpr char kFlagTlsKey[] = "--external-metrics-tls-key";
inline constexpr char kFlagClientCa[] = "--external-metrics-requestheader-client-ca";

class ServingTls {
 public:
  struct Files {
    std::string cert_file;       // PEM: the serving certificate, then its intermediates
    std::string key_file;        // PEM: the private key of the first certificate
    std::string client_ca_file;  // PEM: the requestheader client CA bundle
  };
  struct Hooks {
    std::function<void(bool ok)> reloaded;  // after a changed file was (not) taken
    std::function<void(const std::string& why)> client_rejected;  // a handshake refused
  };

  // Loads the files. INVALID_ARGUMENT naming the option and the path (never a key's bytes):
  // unreadable, no PEM certificate / key, key not matching the certificate.
  static absl::StatusOr<std::unique_ptr<ServingTls>> Load(Files files, Hooks hooks = {});
  ~ServingTls();
  ServingTls(const ServingTls&) = delete;
  ServingTls& operator=(const ServingTls&) = delete;

  // Re-reads the files. OK when unchanged or when the new content was taken; otherwise the
  // error (the last good set stays) — reported through Hooks::reloaded only when content
  // changed, so a broken file is reported once, not at every check.
  absl::Status Reload();
  // Sets up `ctx` as described above; false if OpenSSL refuses a setting.
  bool Configure(SSL_CTX& ctx);
  // How many times a new set was taken (1 after Load).
  uint64_t generation() const { return generation_.load(); }

  // The parsed files (opaque outside serving_tls.cc).
  struct Material;

 private:
  ServingTls(Files files, Hooks hooks);
  std::shared_ptr<const Material> Current() const;
  static int SelectCertificate(SSL* ssl, void* self);
  static int VerifyClient(int preverify_ok, X509_STORE_CTX* store);

  const Files files_;
  const Hooks hooks_;
  std::mutex reload_mu_;  // one Reload at a time, so an older read never replaces a newer one
  mutable std::mutex mu_;
  std::shared_ptr<const Material> current_;  // guarded by mu_; never null after Load
  std::string last_fingerprint_;             // guarded by mu_: of the files last tried
  std::atomic<uint64_t> generation_{0};
};

}  // namespace poolscaler::adapter
