#pragma once
// Decoding of RabbitMQ management API JSON (GET /api/queues/{vhost}/{name} and the
// /api/queues/{vhost} list), kept apart from I/O so it can be tested and fuzzed. Pure functions,
// thread-safe; they never throw.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace poolscaler::sources {

// What the management API says about one queue. Counts are absent until the broker has
// collected statistics for the queue (a queue declared a moment ago has none yet).
struct QueueStats {
  std::string name;
  std::optional<double> ready;      // messages_ready
  std::optional<double> unacked;    // messages_unacknowledged
  std::optional<double> consumers;  // consumers
  // Cumulative counters from message_stats (0 when the queue has seen no such message).
  double publish_count = 0;      // message_stats.publish
  double deliver_get_count = 0;  // message_stats.deliver_get
  double ack_count = 0;          // message_stats.ack
  double no_ack_count = 0;       // message_stats.deliver_no_ack + get_no_ack (auto-ack)
  // The broker's own recent rates (message_stats.*_details.rate), 0 when absent.
  double publish_rate = 0;
  double deliver_get_rate = 0;
  double ack_rate = 0;
};

// Decodes one queue object. Errors: INVALID_ARGUMENT saying what is malformed (not JSON, not an
// object, no "name", a count that is not a non-negative number).
absl::StatusOr<QueueStats> DecodeQueue(std::string_view json);
// Decodes a queue list: a JSON array of queue objects, or a paginated object whose "items" is
// one. Errors as DecodeQueue, naming the index of a bad item.
absl::StatusOr<std::vector<QueueStats>> DecodeQueueList(std::string_view json);
// The "reason" (else "error") of a management API error body such as
// {"error":"Object Not Found","reason":"Not Found"}; "" when there is none. At most 200 bytes.
std::string ManagementErrorReason(std::string_view json);

}  // namespace poolscaler::sources
