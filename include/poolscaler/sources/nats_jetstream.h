#pragma once
// The nats-jetstream source (nats.c): one JetStream API request per sample, with a deadline.
//  - with a consumer: $JS.API.CONSUMER.INFO → pending (num_pending, not yet delivered),
//    ack_pending (delivered, not acknowledged), outstanding (= both), redelivered,
//    delivered_seq and ack_floor_seq (stream sequences).
//  - without:         $JS.API.STREAM.INFO → length (messages in the stream).
// The request goes to whichever server answers the API, so values stay right across stream and
// consumer leader changes in a cluster.
#include <memory>

#include "poolscaler/common/time.h"
#include "poolscaler/sources/source.h"

namespace poolscaler::sources {

class NatsConnectionPool;

// Creates nats-jetstream sources; sources with the same servers, credentials and TLS files
// share one natsConnection (closed when the last of them goes). Thread-safe.
class NatsJetStreamFactory {
 public:
  NatsJetStreamFactory();  // uses RealClock::Instance()
  // `clock` must outlive the factory and its sources.
  explicit NatsJetStreamFactory(const Clock& clock);
  ~NatsJetStreamFactory();
  // Errors: INVALID_ARGUMENT when `spec` is not a valid nats-jetstream spec. Never connects.
  absl::StatusOr<std::unique_ptr<Source>> Create(const config::SourceSpec& spec);

 private:
  const Clock& clock_;
  std::shared_ptr<NatsConnectionPool> pool_;
};

}  // namespace poolscaler::sources
