#include "poolscaler/adapter/serving_tls.h"

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <fstream>
#include <vector>

namespace poolscaler::adapter {

// The parsed files. Owns one reference to each OpenSSL object; handshakes take their own.
struct ServingTls::Material {
  X509* leaf = nullptr;
  STACK_OF(X509)* chain = nullptr;  // intermediates after the leaf (may be empty)
  EVP_PKEY* key = nullptr;
  X509_STORE* client_ca = nullptr;
  STACK_OF(X509_NAME)* client_ca_names = nullptr;  // sent in the CertificateRequest

  Material() = default;
  Material(const Material&) = delete;
  Material& operator=(const Material&) = delete;
  ~Material() {
    X509_free(leaf);
    sk_X509_pop_free(chain, X509_free);
    EVP_PKEY_free(key);
    X509_STORE_free(client_ca);
    sk_X509_NAME_pop_free(client_ca_names, X509_NAME_free);
  }
};

namespace {

// The files' bytes; the key's are wiped when done with.
struct Contents {
  std::string cert, key, client_ca;
  Contents() = default;
  Contents(const Contents&) = delete;
  Contents& operator=(const Contents&) = delete;
  Contents(Contents&&) = default;
  ~Contents() { OPENSSL_cleanse(key.data(), key.size()); }
};

// Up to 1 MiB of `path`; the error names the option and the path, never the content.
absl::StatusOr<std::string> ReadPem(const char* flag, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(fmt::format("{}: cannot read \"{}\"", flag, path));
  std::string text(1 << 20, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  return text;
}

absl::StatusOr<Contents> ReadAll(const ServingTls::Files& f) {
  Contents c;
  for (auto [flag, path, out] : {std::tuple{kFlagTlsCert, &f.cert_file, &c.cert},
                                 std::tuple{kFlagTlsKey, &f.key_file, &c.key},
                                 std::tuple{kFlagClientCa, &f.client_ca_file, &c.client_ca}}) {
    absl::StatusOr<std::string> text = ReadPem(flag, *path);
    if (!text.ok()) return text.status();
    *out = std::move(*text);
  }
  return c;
}

// SHA-256 over the three contents, so a change is noticed without keeping the key's text.
std::string Fingerprint(const Contents& c) {
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_DigestInit_ex(md, EVP_sha256(), nullptr);
  for (const std::string* part : {&c.cert, &c.key, &c.client_ca}) {
    const uint64_t n = part->size();
    EVP_DigestUpdate(md, &n, sizeof n);
    EVP_DigestUpdate(md, part->data(), part->size());
  }
  EVP_DigestFinal_ex(md, digest, &size);
  EVP_MD_CTX_free(md);
  return std::string(reinterpret_cast<const char*>(digest), size);
}

// Every certificate in `pem`, in order (the caller frees them).
std::vector<X509*> Certificates(const std::string& pem) {
  std::vector<X509*> out;
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  while (bio) {
    X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    if (!cert) break;
    out.push_back(cert);
  }
  BIO_free(bio);
  ERR_clear_error();  // the loop ends on "no start line"; leave no error on this thread's queue
  return out;
}

// Never prompts for a pass phrase: an encrypted key is refused.
int NoPassword(char*, int, int, void*) { return 0; }

absl::StatusOr<std::shared_ptr<const ServingTls::Material>> Parse(const ServingTls::Files& f,
                                                                  const Contents& c) {
  auto m = std::make_shared<ServingTls::Material>();
  std::vector<X509*> certs = Certificates(c.cert);
  if (certs.empty()) {
    return absl::InvalidArgumentError(
        fmt::format("{}: \"{}\" holds no PEM certificate", kFlagTlsCert, f.cert_file));
  }
  m->leaf = certs.front();
  m->chain = sk_X509_new_null();
  for (size_t i = 1; i < certs.size(); ++i) sk_X509_push(m->chain, certs[i]);

  BIO* bio = BIO_new_mem_buf(c.key.data(), static_cast<int>(c.key.size()));
  m->key = bio ? PEM_read_bio_PrivateKey(bio, nullptr, &NoPassword, nullptr) : nullptr;
  BIO_free(bio);
  ERR_clear_error();
  if (!m->key) {
    return absl::InvalidArgumentError(
        fmt::format("{}: \"{}\" holds no unencrypted PEM private key", kFlagTlsKey, f.key_file));
  }
  if (X509_check_private_key(m->leaf, m->key) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        fmt::format("{}: \"{}\" is not the key of the certificate in {} \"{}\"", kFlagTlsKey,
                    f.key_file, kFlagTlsCert, f.cert_file));
  }

  std::vector<X509*> cas = Certificates(c.client_ca);
  if (cas.empty()) {
    return absl::InvalidArgumentError(
        fmt::format("{}: \"{}\" holds no PEM certificate", kFlagClientCa, f.client_ca_file));
  }
  m->client_ca = X509_STORE_new();
  m->client_ca_names = sk_X509_NAME_new_null();
  for (X509* ca : cas) {
    X509_STORE_add_cert(m->client_ca, ca);  // takes its own reference
    sk_X509_NAME_push(m->client_ca_names, X509_NAME_dup(X509_get_subject_name(ca)));
    X509_free(ca);
  }
  ERR_clear_error();  // a duplicate CA in the bundle is not an error
  return std::shared_ptr<const ServingTls::Material>(std::move(m));
}

std::string Subject(X509* cert) {
  if (!cert) return "(none)";
  char buf[256];
  X509_NAME_oneline(X509_get_subject_name(cert), buf, sizeof buf);
  return buf;
}

}  // namespace

ServingTls::ServingTls(Files files, Hooks hooks)
    : files_(std::move(files)), hooks_(std::move(hooks)) {}

ServingTls::~ServingTls() = default;

absl::StatusOr<std::unique_ptr<ServingTls>> ServingTls::Load(Files files, Hooks hooks) {
  std::unique_ptr<ServingTls> tls(new ServingTls(std::move(files), std::move(hooks)));
  absl::StatusOr<Contents> contents = ReadAll(tls->files_);
  if (!contents.ok()) return contents.status();
  absl::StatusOr<std::shared_ptr<const Material>> m = Parse(tls->files_, *contents);
  if (!m.ok()) return m.status();
  tls->current_ = std::move(*m);
  tls->last_fingerprint_ = Fingerprint(*contents);
  tls->generation_ = 1;
  return tls;
}

absl::Status ServingTls::Reload() {
  std::lock_guard reload_lock(reload_mu_);
  absl::StatusOr<Contents> contents = ReadAll(files_);
  // An unreadable file counts as a change once (its path stands in for the content).
  const std::string fingerprint =
      contents.ok() ? Fingerprint(*contents) : std::string(contents.status().message());
  {
    std::lock_guard lock(mu_);
    if (fingerprint == last_fingerprint_) return absl::OkStatus();
    last_fingerprint_ = fingerprint;
  }
  absl::StatusOr<std::shared_ptr<const Material>> m =
      contents.ok() ? Parse(files_, *contents)
                    : absl::StatusOr<std::shared_ptr<const Material>>(contents.status());
  if (!m.ok()) {
    if (hooks_.reloaded) hooks_.reloaded(false);
    return m.status();
  }
  {
    std::lock_guard lock(mu_);
    current_ = std::move(*m);
  }
  ++generation_;
  if (hooks_.reloaded) hooks_.reloaded(true);
  return absl::OkStatus();
}

std::shared_ptr<const ServingTls::Material> ServingTls::Current() const {
  std::lock_guard lock(mu_);
  return current_;
}

bool ServingTls::Configure(SSL_CTX& ctx) {
  if (SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION) != 1) return false;
  SSL_CTX_set_options(&ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION |
                                SSL_OP_CIPHER_SERVER_PREFERENCE);
  // No resumption: a resumed session would skip verifying the client against the current CA.
  SSL_CTX_set_session_cache_mode(&ctx, SSL_SESS_CACHE_OFF);
  if (SSL_CTX_set_num_tickets(&ctx, 0) != 1) return false;
  if (SSL_CTX_set_ex_data(&ctx, 0, this) != 1) return false;
  SSL_CTX_set_cert_cb(&ctx, &ServingTls::SelectCertificate, this);
  SSL_CTX_set_verify(&ctx, SSL_VERIFY_PEER, &ServingTls::VerifyClient);
  return true;
}

int ServingTls::SelectCertificate(SSL* ssl, void* self) {
  std::shared_ptr<const Material> m = static_cast<ServingTls*>(self)->Current();
  if (SSL_use_certificate(ssl, m->leaf) != 1 || SSL_use_PrivateKey(ssl, m->key) != 1 ||
      SSL_set1_chain(ssl, m->chain) != 1 || SSL_set1_verify_cert_store(ssl, m->client_ca) != 1) {
    ERR_clear_error();
    return 0;  // ends the handshake
  }
  SSL_set_client_CA_list(ssl, SSL_dup_CA_list(m->client_ca_names));  // takes the copy
  return 1;
}

int ServingTls::VerifyClient(int preverify_ok, X509_STORE_CTX* store) {
  if (preverify_ok == 1) return 1;
  auto* ssl =
      static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  auto* self =
      ssl ? static_cast<ServingTls*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), 0)) : nullptr;
  if (self && self->hooks_.client_rejected) {
    self->hooks_.client_rejected(fmt::format(
        "{} (certificate {})", X509_verify_cert_error_string(X509_STORE_CTX_get_error(store)),
        Subject(X509_STORE_CTX_get_current_cert(store))));
  }
  return 0;  // the first failure ends the handshake, so each refused client is reported once
}

}  // namespace poolscaler::adapter
