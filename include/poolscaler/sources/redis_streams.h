#pragma once
// The redis-streams source (hiredis, blocking, with a timeout on every call).
//  - no group:   length = XLEN.
//  - with group: undelivered (see redis_lag.h), pending (PEL size), outstanding = both,
//                length = XLEN. One pipelined round trip (XLEN + XINFO GROUPS) per sample;
//                an XRANGE scan only when Redis cannot tell the lag (XDEL past the group).
#include <memory>

#include "poolscaler/common/time.h"
#include "poolscaler/sources/source.h"

namespace poolscaler::sources {

class RedisConnectionPool;

// Creates redis-streams sources; sources with the same server, database and credentials share
// one connection (calls on it are serialized). Thread-safe.
class RedisStreamsFactory {
 public:
  RedisStreamsFactory();  // uses RealClock::Instance()
  // `clock` (for backoff and per-call timeouts) must outlive the factory and its sources.
  explicit RedisStreamsFactory(const Clock& clock);
  ~RedisStreamsFactory();
  // Errors: INVALID_ARGUMENT when `spec` is not a valid redis-streams spec. Never connects.
  absl::StatusOr<std::unique_ptr<Source>> Create(const config::SourceSpec& spec);

 private:
  const Clock& clock_;
  std::shared_ptr<RedisConnectionPool> pool_;
};

// The most entries an XRANGE scan counts before it stops and reports a lower bound.
inline constexpr int64_t kMaxScanEntries = 1'000'000;

}  // namespace poolscaler::sources
