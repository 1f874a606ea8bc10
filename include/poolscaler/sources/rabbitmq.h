#pragma once
// The rabbitmq source, over one of two protocols picked by the host URL's scheme:
//  - AMQP (amqp://, amqps://, rabbitmq-c): a passive queue.declare → ready, consumers. Sources
//    on one broker, vhost and identity share one connection (heartbeats, reconnect with backoff).
//  - Management API (http://, https://, libcurl): GET /api/queues/{vhost}/{queue} (or the vhost's
//    queue list, filtered by a regex) → ready, unacked, outstanding (= both), consumers and the
//    publish / deliver_get / ack rates averaged over the source's rate window (CounterWindow).
// With a regex every measure is combined over the matching queues by the source's operation
// (sum, max, avg); a regex that matches no queue is NOT_FOUND.
#include <memory>

#include "poolscaler/common/time.h"
#include "poolscaler/sources/source.h"

namespace poolscaler::sources {

class AmqpConnectionPool;

// Creates rabbitmq sources. Thread-safe.
class RabbitMqFactory {
 public:
  RabbitMqFactory();  // uses RealClock::Instance()
  // `clock` must outlive the factory and its sources.
  explicit RabbitMqFactory(const Clock& clock);
  ~RabbitMqFactory();
  // Errors: INVALID_ARGUMENT when `spec` is not a valid rabbitmq spec. Never connects.
  absl::StatusOr<std::unique_ptr<Source>> Create(const config::SourceSpec& spec);
  // AMQP connections alive now (shared by sources; for tests).
  size_t AmqpConnections() const;

 private:
  const Clock& clock_;
  std::shared_ptr<AmqpConnectionPool> pool_;
};

}  // namespace poolscaler::sources
