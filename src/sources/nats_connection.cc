#include "nats_connection.h"

#include <nats/nats.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <vector>

#include <fmt/format.h>
#include "absl/status/status.h"
#include "poolscaler/common/text.h"
#include "poolscaler/sources/nkey.h"

namespace poolscaler::sources {
namespace {

constexpr int64_t kReconnectWaitMs = 500;
constexpr int64_t kReconnectJitterMs = 100;
constexpr int64_t kReconnectJitterTlsMs = 1000;
constexpr size_t kMaxSeedFileBytes = 4096;

int64_t Millis(Duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

}  // namespace

std::string NatsErrorText(int status) {
  const auto s = static_cast<natsStatus>(status);
  natsStatus ignored;
  const char* last = nats_GetLastError(&ignored);
  std::string text = last != nullptr && *last != '\0' ? last : natsStatus_GetText(s);
  // nats.c prefixes its source location: "(conn.c:1905): Authorization Violation".
  if (text.starts_with("(")) {
    size_t end = text.find("): ");
    if (end != std::string::npos && text.find(".c:") < end) text = text.substr(end + 3);
  }
  return text;
}

namespace {

struct OptionsDeleter {
  void operator()(natsOptions* o) const { natsOptions_Destroy(o); }
};

bool IsTls(const config::NatsJetStreamParams& p) {
  if (!p.tls_ca_file.empty() || !p.tls_cert_file.empty()) return true;
  return std::any_of(p.servers.begin(), p.servers.end(),
                     [](const std::string& s) { return s.starts_with("tls://"); });
}

}  // namespace

absl::Status EnsureNatsLibrary() {
  static const natsStatus opened = nats_Open(-1);
  if (opened != NATS_OK) {
    return absl::InternalError(
        fmt::format("cannot initialize the nats.c library: {}", natsStatus_GetText(opened)));
  }
  return absl::OkStatus();
}

NatsLink::~NatsLink() {
  natsConnection_Close(nc_);
  natsConnection_Destroy(nc_);
}

bool NatsLink::Connected() const {
  return natsConnection_Status(nc_) == NATS_CONN_STATUS_CONNECTED;
}

NatsConnection::NatsConnection(config::NatsJetStreamParams params, const Clock& clock)
    : params_(std::move(params)),
      servers_(fmt::format("{}", fmt::join(params_.servers, ","))),
      clock_(clock),
      claim_(clock) {}

NatsConnection::~NatsConnection() = default;

std::string NatsConnection::AuthMethod() const {
  if (!params_.password.empty()) return "username and password";
  if (!params_.token.empty()) return "token";
  if (!params_.creds_file.empty()) return fmt::format("creds file {}", Quote(params_.creds_file));
  if (!params_.nkey_seed_file.empty()) {
    return fmt::format("NKey seed file {}", Quote(params_.nkey_seed_file));
  }
  return "no credentials";
}

std::string NatsConnection::Scrub(std::string text) const {
  for (const std::string* secret :
       {&params_.password.Reveal(), &params_.token.Reveal(), &params_.username}) {
    if (secret->size() < 4) continue;
    for (size_t at = text.find(*secret); at != std::string::npos; at = text.find(*secret, at)) {
      text.replace(at, secret->size(), "***");
    }
  }
  return text;
}

absl::StatusOr<std::shared_ptr<NatsLink>> NatsConnection::Get(Duration call_timeout,
                                                             TimePoint deadline) {
  CallClaim::Held claim = claim_.Acquire(deadline);
  if (!claim) {
    return absl::UnavailableError(
        fmt::format("nats at {}: still connecting past the deadline", servers_));
  }
  return GetClaimed(call_timeout, deadline);
}

absl::StatusOr<std::shared_ptr<NatsLink>> NatsConnection::GetClaimed(Duration call_timeout,
                                                                    TimePoint deadline) {
  if (link_) {
    natsConnStatus status = natsConnection_Status(link_->get());
    if (status == NATS_CONN_STATUS_CONNECTED) return link_;
    if (status != NATS_CONN_STATUS_CLOSED) {
      return absl::UnavailableError(
          fmt::format("disconnected from {}; nats.c is reconnecting", servers_));
    }
    link_.reset();  // closed for good: open a new one below (with backoff)
    last_error_ = "connection closed";
    backoff_.RecordFailure(clock_.Now());
  }
  Duration wait = backoff_.Remaining(clock_.Now());
  if (wait > Duration::zero()) {
    return absl::UnavailableError(fmt::format("reconnecting to nats at {} in {:.1f}s; last error: {}",
                                              servers_, std::ceil(ToSeconds(wait) * 10) / 10,
                                              last_error_));
  }
  auto link = Connect(call_timeout, deadline);
  if (!link.ok()) {
    last_error_ = std::string(link.status().message());
    backoff_.RecordFailure(clock_.Now());
    return link.status();
  }
  backoff_.RecordSuccess();
  link_ = *link;
  return link_;
}

absl::StatusOr<std::shared_ptr<NatsLink>> NatsConnection::Connect(Duration call_timeout,
                                                                 TimePoint deadline) {
  if (absl::Status st = EnsureNatsLibrary(); !st.ok()) return st;
  natsOptions* raw = nullptr;
  if (natsOptions_Create(&raw) != NATS_OK) return absl::InternalError("natsOptions_Create failed");
  std::unique_ptr<natsOptions, OptionsDeleter> opts(raw);

  std::vector<const char*> urls;
  for (const std::string& s : params_.servers) urls.push_back(s.c_str());
  Duration budget = std::min(call_timeout, deadline - clock_.Now());
  int64_t per_server_ms =
      std::max<int64_t>(1, Millis(budget) / std::max<int64_t>(1, static_cast<int64_t>(urls.size())));

  // Each step's failure is reported by nats.c's text (never carrying a secret we set).
  auto failed = [&](natsStatus s, std::string_view what) {
    return absl::FailedPreconditionError(fmt::format("nats at {}: {}: {}", servers_, what,
                                                     Scrub(NatsErrorText(s))));
  };
  natsStatus s = natsOptions_SetServers(opts.get(), urls.data(), static_cast<int>(urls.size()));
  if (s != NATS_OK) return failed(s, "bad server list");
  natsOptions_SetName(opts.get(), "poolscaler");
  natsOptions_SetTimeout(opts.get(), per_server_ms);
  natsOptions_SetMaxReconnect(opts.get(), -1);
  natsOptions_SetReconnectWait(opts.get(), kReconnectWaitMs);
  natsOptions_SetReconnectJitter(opts.get(), kReconnectJitterMs, kReconnectJitterTlsMs);
  natsOptions_SetFailRequestsOnDisconnect(opts.get(), true);

  if (!params_.password.empty()) {
    s = natsOptions_SetUserInfo(opts.get(), params_.username.c_str(),
                                params_.password.Reveal().c_str());
    if (s != NATS_OK) return failed(s, "cannot set username and password");
  } else if (!params_.token.empty()) {
    s = natsOptions_SetToken(opts.get(), params_.token.Reveal().c_str());
    if (s != NATS_OK) return failed(s, "cannot set token");
  } else if (!params_.creds_file.empty()) {
    s = natsOptions_SetUserCredentialsFromFiles(opts.get(), params_.creds_file.c_str(), nullptr);
    if (s != NATS_OK) return failed(s, fmt::format("creds file {}", Quote(params_.creds_file)));
  } else if (!params_.nkey_seed_file.empty()) {
    std::ifstream in(params_.nkey_seed_file);
    if (!in) {
      return absl::FailedPreconditionError(fmt::format(
          "nats at {}: cannot read nkeySeedFile {}", servers_, Quote(params_.nkey_seed_file)));
    }
    std::string seed(kMaxSeedFileBytes, '\0');
    in.read(seed.data(), static_cast<std::streamsize>(seed.size()));
    seed.resize(static_cast<size_t>(in.gcount()));
    absl::StatusOr<std::string> public_key = NkeyUserPublicKey(Secret(std::move(seed)));
    if (!public_key.ok()) {
      return absl::FailedPreconditionError(fmt::format("nats at {}: nkeySeedFile {}: {}", servers_,
                                                       Quote(params_.nkey_seed_file),
                                                       std::string(public_key.status().message())));
    }
    s = natsOptions_SetNKeyFromSeed(opts.get(), public_key->c_str(),
                                    params_.nkey_seed_file.c_str());
    if (s != NATS_OK) return failed(s, "cannot set the NKey");
  }
  if (IsTls(params_)) {
    natsOptions_SetSecure(opts.get(), true);
    if (!params_.tls_ca_file.empty()) {
      s = natsOptions_LoadCATrustedCertificates(opts.get(), params_.tls_ca_file.c_str());
      if (s != NATS_OK) return failed(s, fmt::format("tlsCaFile {}", Quote(params_.tls_ca_file)));
    }
    if (!params_.tls_cert_file.empty()) {
      s = natsOptions_LoadCertificatesChain(opts.get(), params_.tls_cert_file.c_str(),
                                            params_.tls_key_file.c_str());
      if (s != NATS_OK) {
        return failed(s, fmt::format("tlsCertFile {} / tlsKeyFile {}",
                                     Quote(params_.tls_cert_file), Quote(params_.tls_key_file)));
      }
    }
  }

  natsConnection* nc = nullptr;
  s = natsConnection_Connect(&nc, opts.get());
  if (s == NATS_OK) return std::make_shared<NatsLink>(nc);
  std::string text = Scrub(NatsErrorText(s));
  if (s == NATS_CONNECTION_AUTH_FAILED || text.find("Authorization") != std::string::npos ||
      text.find("Authentication") != std::string::npos) {
    return absl::UnauthenticatedError(fmt::format(
        "nats at {} refused the credentials ({}; wrong or unknown?): {}", servers_, AuthMethod(),
        text));
  }
  if (s == NATS_SSL_ERROR) {
    return absl::UnavailableError(fmt::format("TLS to nats at {} failed: {}", servers_, text));
  }
  if (s == NATS_NO_SERVER || s == NATS_IO_ERROR || s == NATS_TIMEOUT) {
    return absl::UnavailableError(
        fmt::format("cannot connect to nats at {}: {}", servers_, text));
  }
  if (IsTls(params_) && params_.tls_cert_file.empty() && s == NATS_PROTOCOL_ERROR) {
    // A server that verifies client certificates drops the handshake of a client without one.
    return absl::FailedPreconditionError(fmt::format(
        "cannot connect to nats at {}: {}; if the server verifies clients, give tlsCertFile and "
        "tlsKeyFile", servers_, text));
  }
  if (s == NATS_PROTOCOL_ERROR || text.find("maximum connections") != std::string::npos) {
    // The server dropped the handshake (e.g. maximum connections exceeded, shutting down).
    // A server that rejects a login sends -ERR and closes; nats.c may see only the close.
    return absl::UnavailableError(fmt::format(
        "cannot connect to nats at {}: the server ended the handshake: {} (a server that "
        "rejects a login can end it this way too)", servers_, text));
  }
  // Anything else is local: an unreadable or malformed credential file, a bad option.
  return absl::FailedPreconditionError(fmt::format("cannot connect to nats at {} ({}): {}",
                                                   servers_, AuthMethod(), text));
}

std::shared_ptr<NatsConnection> NatsConnectionPool::Get(const config::NatsJetStreamParams& params) {
  return connections_.Get(config::NatsConnectionKey(params),
                          [&] { return std::make_shared<NatsConnection>(params, clock_); });
}

}  // namespace poolscaler::sources
