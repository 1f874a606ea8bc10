#pragma once
// Shared rabbitmq-c connections for the rabbitmq source's AMQP protocol: one connection (and one
// channel) per config::RabbitMqConnectionKey (endpoint, vhost, credentials, TLS files), opened
// lazily with a deadline, with heartbeats, dropped on any I/O error and reopened on a later call
// after a backoff, and closed when the last source holding it goes away.
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "poolscaler/common/time.h"
#include "poolscaler/config/source_spec.h"
#include "poolscaler/sources/backoff.h"
#include "shared_connection.h"

namespace poolscaler::sources {

// What a passive queue.declare answers.
struct QueueDeclareResult {
  uint32_t ready = 0;      // message-count: messages ready for delivery
  uint32_t consumers = 0;  // consumer-count
};

// The heartbeat asked of the broker; a sample interval longer than this leaves the connection
// idle long enough for either side to drop it, and the next sample reconnects.
inline constexpr int kAmqpHeartbeatSeconds = 60;

// One AMQP connection. Thread-safe: calls are serialized by a CallClaim that a caller waits for
// no longer than its deadline.
class AmqpConnection {
 public:
  // Only the connection fields of `params` are used (endpoint, vhost, credentials, TLS).
  AmqpConnection(config::RabbitMqParams params, const Clock& clock);
  ~AmqpConnection();
  AmqpConnection(const AmqpConnection&) = delete;
  AmqpConnection& operator=(const AmqpConnection&) = delete;

  // Passive queue.declare of `queue`. Each network step waits at most min(`call_timeout`,
  // deadline - now). A connection that fails on first use after being idle is reopened once.
  // Errors: UNAVAILABLE (backing off, cannot connect, timeout, connection lost),
  // UNAUTHENTICATED (login refused), NOT_FOUND (vhost or queue unknown: the message says which),
  // PERMISSION_DENIED (no access to the vhost or queue), FAILED_PRECONDITION (anything else the
  // broker refused, unreadable TLS files). Messages name the endpoint and vhost, never a secret.
  absl::StatusOr<QueueDeclareResult> DeclarePassive(const std::string& queue,
                                                    Duration call_timeout, TimePoint deadline);

 private:
  struct State;
  absl::Status Connect(Duration call_timeout, TimePoint deadline);
  absl::StatusOr<QueueDeclareResult> Declare(const std::string& queue, Duration call_timeout,
                                             TimePoint deadline, bool* io_failed);
  // Closes the connection after an I/O error and starts backing off; returns UNAVAILABLE.
  absl::Status IoFailure(std::string what);
  void Drop();
  std::string Where() const;  // "rabbitmq at amqp://host:port vhost \"v\""
  std::string Scrub(std::string text) const;

  const config::RabbitMqParams params_;
  const Clock& clock_;
  CallClaim claim_;              // one call at a time
  std::unique_ptr<State> state_; // owned by the claim holder; null when disconnected
  Backoff backoff_;              // owned by the claim holder
  std::string last_error_;       // owned by the claim holder
};

// Hands out one AmqpConnection per connection key, alive while some source holds it.
// Thread-safe.
class AmqpConnectionPool {
 public:
  explicit AmqpConnectionPool(const Clock& clock) : clock_(clock) {}
  std::shared_ptr<AmqpConnection> Get(const config::RabbitMqParams& params);
  // Connections alive now (for tests of sharing).
  size_t Size();

 private:
  const Clock& clock_;
  SharedConnections<AmqpConnection> connections_;
};

}  // namespace poolscaler::sources
