#include "poolscaler/sources/redis_streams.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <exception>
#include <optional>

#include <fmt/format.h>
#include "absl/status/status.h"
#include "poolscaler/common/text.h"
#include "poolscaler/sources/redis_lag.h"
#include "poolscaler/sources/redis_reply.h"
#include "redis_connection.h"

namespace poolscaler::sources {
namespace {

constexpr int64_t kScanPageEntries = 1000;
constexpr char kScanNote[] = "undelivered counted by XRANGE scan: Redis lag unavailable";

// Entries after the group's last-delivered id, counted by XRANGE.
struct ScanResult {
  int64_t entries = 0;
  bool exact = true;
  std::string stopped_because;  // why the scan stopped early ("" for kMaxScanEntries)
};

// One redis-streams source. Holds a shared connection; not thread-safe (see Source).
class RedisStreamsSource final : public Source {
 public:
  RedisStreamsSource(config::SourceSpec spec, std::shared_ptr<RedisConnection> connection,
                     const Clock& clock)
      : spec_(std::move(spec)),
        params_(std::get<config::RedisStreamsParams>(spec_.params)),
        connection_(std::move(connection)),
        clock_(clock) {}

  const config::SourceSpec& spec() const override { return spec_; }

  absl::StatusOr<Reading> Sample(TimePoint deadline) override {
    try {
      if (params_.consumer_group.empty()) return SampleLength(deadline);
      return SampleGroup(deadline);
    } catch (const std::exception& e) {
      return absl::InternalError(fmt::format("redis-streams sample failed: {}", e.what()));
    } catch (...) {
      return absl::InternalError("redis-streams sample failed with an unknown exception");
    }
  }

 private:
  absl::StatusOr<Reading> SampleLength(TimePoint deadline);
  absl::StatusOr<Reading> SampleGroup(TimePoint deadline);
  absl::StatusOr<int64_t> Length(const redisReply& reply) const;
  absl::StatusOr<GroupInfo> FindGroup(const redisReply& reply) const;
  absl::StatusOr<ScanResult> CountAfter(StreamId last_delivered, TimePoint deadline);
  // The status for an error reply to `command`.
  absl::Status Refused(std::string_view command, const redisReply& reply) const {
    return ErrorReplyStatus(connection_->Scrub(std::string(ReplyText(reply))),
                            fmt::format("{} {} refused by redis at {}", command,
                                        Quote(params_.stream), connection_->endpoint().Address()));
  }
  absl::Status Malformed(std::string_view command, std::string_view why) const {
    return absl::FailedPreconditionError(fmt::format("unexpected {} reply from redis at {}: {}",
                                                     command, connection_->endpoint().Address(), why));
  }

  const config::SourceSpec spec_;
  const config::RedisStreamsParams& params_;  // inside spec_
  std::shared_ptr<RedisConnection> connection_;
  const Clock& clock_;
};

absl::StatusOr<Reading> RedisStreamsSource::SampleLength(TimePoint deadline) {
  auto replies = connection_->Pipeline({{"XLEN", params_.stream}}, spec_.timeout, deadline);
  if (!replies.ok()) return replies.status();
  auto length = Length(*(*replies)[0]);
  if (!length.ok()) return length.status();
  Reading reading;
  reading.measures[config::kMeasureLength] = static_cast<double>(*length);
  return reading;
}

absl::StatusOr<Reading> RedisStreamsSource::SampleGroup(TimePoint deadline) {
  auto replies = connection_->Pipeline(
      {{"XLEN", params_.stream}, {"XINFO", "GROUPS", params_.stream}}, spec_.timeout, deadline);
  if (!replies.ok()) return replies.status();
  const redisReply& groups = *(*replies)[1];
  if (groups.type == REDIS_REPLY_ERROR && ReplyText(groups).starts_with("ERR no such key")) {
    return absl::NotFoundError(fmt::format("stream {} not found on redis at {}",
                                           Quote(params_.stream), connection_->endpoint().Address()));
  }
  auto info = FindGroup(groups);
  if (!info.ok()) return info.status();
  auto length = Length(*(*replies)[0]);
  if (!length.ok()) return length.status();
  info->length = *length;

  Reading reading;
  std::optional<int64_t> undelivered = UndeliveredFromLag(*info);
  if (!undelivered) {
    auto scan = CountAfter(info->last_delivered, deadline);
    if (!scan.ok()) return scan.status();
    undelivered = scan->entries;
    reading.note = kScanNote;
    if (!scan->exact) {
      reading.note += fmt::format("; undelivered is a lower bound (scan stopped at {}{})",
                                  scan->entries, scan->stopped_because);
    }
  }
  reading.measures[config::kMeasureLength] = static_cast<double>(info->length);
  reading.measures[config::kMeasureUndelivered] = static_cast<double>(*undelivered);
  reading.measures[config::kMeasurePending] = static_cast<double>(info->pending);
  reading.measures[config::kMeasureOutstanding] = static_cast<double>(*undelivered + info->pending);
  if (std::optional<GroupCounters> counters = CountersOf(*info)) {
    reading.measures[config::kMeasureArrivedTotal] = static_cast<double>(counters->arrived);
    reading.measures[config::kMeasureCompletedTotal] = static_cast<double>(counters->completed);
  }
  return reading;
}

absl::StatusOr<int64_t> RedisStreamsSource::Length(const redisReply& reply) const {
  if (reply.type == REDIS_REPLY_ERROR) return Refused("XLEN", reply);
  if (reply.type != REDIS_REPLY_INTEGER) return Malformed("XLEN", "not an integer");
  return static_cast<int64_t>(reply.integer);
}

// XINFO GROUPS: decoded by FindGroupInXinfo (redis_reply.h); here only the statuses.
absl::StatusOr<GroupInfo> RedisStreamsSource::FindGroup(const redisReply& reply) const {
  GroupLookup found = FindGroupInXinfo(reply, params_.consumer_group);
  switch (found.outcome) {
    case GroupLookup::Outcome::kFound:
      return found.info;
    case GroupLookup::Outcome::kErrorReply:
      return Refused("XINFO GROUPS", reply);
    case GroupLookup::Outcome::kMalformed:
      return Malformed("XINFO GROUPS", found.problem);
    case GroupLookup::Outcome::kNotFound:
      break;
  }
  return absl::NotFoundError(fmt::format("consumer group {} not found on stream {}",
                                         Quote(params_.consumer_group), Quote(params_.stream)));
}

absl::StatusOr<ScanResult> RedisStreamsSource::CountAfter(StreamId last_delivered,
                                                          TimePoint deadline) {
  ScanResult result;
  std::string start = "(" + FormatStreamId(last_delivered);
  while (result.entries < kMaxScanEntries) {
    const int64_t page = std::min(kScanPageEntries, kMaxScanEntries - result.entries);
    auto replies = connection_->Pipeline(
        {{"XRANGE", params_.stream, start, "+", "COUNT", std::to_string(page)}}, spec_.timeout,
        deadline);
    if (!replies.ok()) return replies.status();
    const redisReply& entries = *(*replies)[0];
    if (entries.type == REDIS_REPLY_ERROR) return Refused("XRANGE", entries);
    if (entries.type != REDIS_REPLY_ARRAY) return Malformed("XRANGE", "not an array");
    result.entries += static_cast<int64_t>(entries.elements);
    if (static_cast<int64_t>(entries.elements) < page) return result;  // reached the end
    const redisReply& last = *entries.element[entries.elements - 1];
    if (last.type != REDIS_REPLY_ARRAY || last.elements < 1 || !IsTextReply(*last.element[0])) {
      return Malformed("XRANGE", "an entry has no id");
    }
    start = "(" + std::string(ReplyText(*last.element[0]));
    if (clock_.Now() >= deadline) {
      result.exact = false;
      result.stopped_because = ": deadline reached";
      return result;
    }
  }
  // A last, empty page would prove the count exact; without it, it is a lower bound.
  result.exact = false;
  return result;
}

}  // namespace

RedisStreamsFactory::RedisStreamsFactory() : RedisStreamsFactory(RealClock::Instance()) {}

RedisStreamsFactory::RedisStreamsFactory(const Clock& clock)
    : clock_(clock), pool_(std::make_shared<RedisConnectionPool>(clock)) {}

RedisStreamsFactory::~RedisStreamsFactory() = default;

absl::StatusOr<std::unique_ptr<Source>> RedisStreamsFactory::Create(const config::SourceSpec& spec) {
  const auto* params = std::get_if<config::RedisStreamsParams>(&spec.params);
  if (spec.kind != config::kRedisStreams || params == nullptr) {
    return absl::InvalidArgumentError(
        fmt::format("source {}: kind {} is not {}", Quote(spec.name), Quote(spec.kind),
                    config::kRedisStreams));
  }
  std::string problem;
  if (params->host.empty()) problem = "no host";
  else if (params->port < 1 || params->port > 65535) problem = fmt::format("port {} out of range", params->port);
  else if (params->stream.empty()) problem = "no stream";
  else if (params->database < 0) problem = fmt::format("database {} is negative", params->database);
  if (!problem.empty()) {
    return absl::InvalidArgumentError(fmt::format("source {}: {}", Quote(spec.name), problem));
  }
  RedisEndpoint endpoint{params->host, params->port, params->database, params->username,
                         params->password};
  return std::make_unique<RedisStreamsSource>(spec, pool_->Get(endpoint), clock_);
}

}  // namespace poolscaler::sources
