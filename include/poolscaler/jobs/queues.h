#pragma once
// The brokers as `poolscaler-worker` and `poolscaler-load` see them: a consumer that takes one
// job at a time and acknowledges it, and a publisher that returns only once the broker has the
// job. One implementation per broker (nats_jobs.cc, redis_jobs.cc, rabbitmq_jobs.cc). Objects
// are not thread-safe: each is used by one thread (a worker, the generator).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "poolscaler/common/time.h"

namespace poolscaler::jobs {

// `url` with any "user:password@" replaced by "***@", for messages.
std::string RedactUrl(const std::string& url);

// A job body on the wire: "<id> <size_kb>" (every broker carries the same text).
std::string JobBody(const std::string& id, int64_t size_kb);
// The id and size of a body written by JobBody; INVALID_ARGUMENT naming the body otherwise.
absl::StatusOr<std::pair<std::string, int64_t>> ParseJobBody(const std::string& body);

// One delivered job.
struct Delivery {
  std::string id;
  int64_t size_kb = 0;
  // How many times the broker has delivered it, this time included (1 = first delivery); for
  // RabbitMQ, which only has a flag, 2 means "redelivered".
  int64_t delivery_count = 1;
};

class JobConsumer {
 public:
  virtual ~JobConsumer() = default;
  // Waits up to `wait` for the next job; std::nullopt when none came. At most one job is
  // outstanding: call Ack before the next Next. UNAVAILABLE when the broker is gone.
  virtual absl::StatusOr<std::optional<Delivery>> Next(Duration wait) = 0;
  // Acknowledges the job Next returned (the broker then never delivers it again). With `last`,
  // the consumer first tells the broker to send it nothing more, so no other job is left
  // prefetched to this worker when it exits.
  virtual absl::Status Ack(bool last) = 0;
  // Leaves the broker tidily (cancels the subscription, removes an empty Redis consumer).
  virtual void Close() = 0;
};

class JobPublisher {
 public:
  virtual ~JobPublisher() = default;
  // Publishes one job to `destination` (a NATS subject; for Redis and RabbitMQ the stream or
  // queue the publisher was made for, which must match) and returns once the broker confirmed
  // it (JetStream PubAck, XADD's id, a RabbitMQ publisher confirm).
  virtual absl::Status Publish(const std::string& destination, const std::string& id,
                               int64_t size_kb) = 0;
};

// JetStream: `stream` with `subjects`, and one durable pull consumer per (name, filter subject).
struct NatsTopology {
  std::string stream;
  std::vector<std::string> subjects;
  std::vector<std::pair<std::string, std::string>> consumers;  // durable, filter subject
  Duration ack_wait = std::chrono::seconds(30);
  int64_t max_deliver = 3;
};

// Connect (and for publishers, create the topology if missing; creating is idempotent). URLs:
// "nats://host:port", "redis://host:port" (or "host:port"), "amqp://host:port[/vhost]" (vhost
// URL-encoded, "%2F" = "/", default "/"; guest/guest unless the URL has user:password@).
// Errors name the URL without credentials and what failed.
absl::StatusOr<std::unique_ptr<JobConsumer>> NatsConsumer(const std::string& url,
                                                          const std::string& stream,
                                                          const std::string& durable);
absl::StatusOr<std::unique_ptr<JobPublisher>> NatsPublisher(const std::string& url,
                                                            const NatsTopology& topology);

// Redis Streams: consumer `consumer` of `group` on `stream`. Entries delivered to a consumer
// that went away and idle longer than `claim_idle` are claimed (XAUTOCLAIM) before new ones.
absl::StatusOr<std::unique_ptr<JobConsumer>> RedisConsumer(const std::string& url,
                                                           const std::string& stream,
                                                           const std::string& group,
                                                           const std::string& consumer,
                                                           Duration claim_idle);
// Creates `group` on `stream` (MKSTREAM) when missing; publishes with XADD.
absl::StatusOr<std::unique_ptr<JobPublisher>> RedisPublisher(const std::string& url,
                                                             const std::string& stream,
                                                             const std::string& group);

// RabbitMQ: basic.consume on `queue` with prefetch 1 and manual acks.
absl::StatusOr<std::unique_ptr<JobConsumer>> RabbitMqConsumer(const std::string& url,
                                                              const std::string& queue);
// Declares `queue` durable; publishes persistent messages with publisher confirms.
absl::StatusOr<std::unique_ptr<JobPublisher>> RabbitMqPublisher(const std::string& url,
                                                                const std::string& queue);

}  // namespace poolscaler::jobs
