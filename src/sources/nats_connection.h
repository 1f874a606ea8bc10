#pragma once
// Shared nats.c connections for the nats-jetstream source: one natsConnection per connection
// identity (servers + credentials + TLS files, config::NatsConnectionKey), opened lazily with a
// deadline, reconnected by nats.c itself while it lives, and closed when the last source holding
// it goes away.
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "poolscaler/common/time.h"
#include "poolscaler/config/source_spec.h"
#include "poolscaler/sources/backoff.h"
#include "shared_connection.h"

typedef struct __natsConnection natsConnection;

namespace poolscaler::sources {

// One open natsConnection. Destroying it closes the connection (and stops nats.c's threads for
// it). Requests may run on it from several threads at once (nats.c is thread-safe).
class NatsLink {
 public:
  explicit NatsLink(natsConnection* nc) : nc_(nc) {}
  ~NatsLink();
  NatsLink(const NatsLink&) = delete;
  NatsLink& operator=(const NatsLink&) = delete;
  natsConnection* get() const { return nc_; }
  bool Connected() const;

 private:
  natsConnection* nc_;
};

// A connection identity and its (lazily created) link. Thread-safe: Get() is serialized by a
// CallClaim a caller waits for no longer than its deadline; the link it returns is used unclaimed
// (nats.c requests are thread-safe).
class NatsConnection {
 public:
  // Only the connection fields of `params` are used (servers, credentials, TLS).
  NatsConnection(config::NatsJetStreamParams params, const Clock& clock);
  ~NatsConnection();
  NatsConnection(const NatsConnection&) = delete;
  NatsConnection& operator=(const NatsConnection&) = delete;

  // The connected link, connecting first if there is none (each server tried with a connect
  // timeout of min(`call_timeout`, deadline - now) / number of servers). Errors: UNAVAILABLE
  // (backing off after a failed attempt, cannot connect, disconnected while nats.c reconnects),
  // UNAUTHENTICATED (credentials refused), FAILED_PRECONDITION (unreadable credential or TLS
  // file, bad seed). Messages name the servers, never a secret.
  absl::StatusOr<std::shared_ptr<NatsLink>> Get(Duration call_timeout, TimePoint deadline);

  // "nats://a:4222,nats://b:4222" for messages.
  const std::string& servers() const { return servers_; }
  // Replaces the credentials (if long enough to search for) in server- or library-provided text.
  std::string Scrub(std::string text) const;

 private:
  // The following run by the claim holder.
  absl::StatusOr<std::shared_ptr<NatsLink>> GetClaimed(Duration call_timeout, TimePoint deadline);
  absl::StatusOr<std::shared_ptr<NatsLink>> Connect(Duration call_timeout, TimePoint deadline);
  // How the connection authenticates, for messages: "username and password", "token", ...
  std::string AuthMethod() const;

  const config::NatsJetStreamParams params_;
  const std::string servers_;
  const Clock& clock_;
  CallClaim claim_;                 // one Get at a time
  std::shared_ptr<NatsLink> link_;  // owned by the claim holder; null until connected / CLOSED
  Backoff backoff_;                 // owned by the claim holder
  std::string last_error_;          // owned by the claim holder
};

// One NatsConnection per config::NatsConnectionKey, alive while a source holds it. Thread-safe.
class NatsConnectionPool {
 public:
  explicit NatsConnectionPool(const Clock& clock) : clock_(clock) {}
  std::shared_ptr<NatsConnection> Get(const config::NatsJetStreamParams& params);

 private:
  const Clock& clock_;
  SharedConnections<NatsConnection> connections_;
};

// nats.c's text for the calling thread's last error (without its "(file.c:N): " prefix), or the
// text of `status` when there is none.
std::string NatsErrorText(int status);

// Opens nats.c's library state once per process (nats_Open); never closed before exit.
absl::Status EnsureNatsLibrary();

}  // namespace poolscaler::sources
