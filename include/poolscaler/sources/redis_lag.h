#pragma once
// Lag arithmetic for Redis Streams consumer groups, kept apart from I/O so it can be tested on
// every edge case. Redis's own XINFO GROUPS `lag` is wrong or missing after XTRIM/XDEL:
//  - after XTRIM removed entries the group never read, `lag` still counts them;
//  - after XDEL of an entry past the group's last-delivered id, `lag` is nil.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace poolscaler::sources {

// A stream entry id "ms-seq".
struct StreamId {
  uint64_t ms = 0;
  uint64_t seq = 0;
  friend auto operator<=>(const StreamId&, const StreamId&) = default;
};
// Parses "ms-seq" (or "ms", seq 0). Returns nullopt on anything else.
std::optional<StreamId> ParseStreamId(std::string_view text);
std::string FormatStreamId(StreamId id);

// What XLEN and XINFO GROUPS said about one group.
struct GroupInfo {
  int64_t length = 0;             // XLEN
  int64_t pending = 0;            // XINFO GROUPS `pending` (= XPENDING count)
  StreamId last_delivered;        // XINFO GROUPS `last-delivered-id`
  std::optional<int64_t> lag;     // XINFO GROUPS `lag` (nil → nullopt; absent before Redis 7)
  std::optional<int64_t> entries_read;  // XINFO GROUPS `entries-read` (nil/absent → nullopt)
};

// Drain-time counters of a group (config::kMeasureArrivedTotal / kMeasureCompletedTotal):
// arrived = entries-read + lag (Redis's entries-added, which XTRIM does not lower), completed
// = entries-read − pending (read and acknowledged, never below 0). Unset when Redis reports no
// lag, or no entries-read for a group that has delivered entries (a group that delivered
// nothing has read 0).
struct GroupCounters {
  int64_t arrived = 0;
  int64_t completed = 0;
};
std::optional<GroupCounters> CountersOf(const GroupInfo& info);

// Undelivered entries when Redis's lag is usable: min(lag, length), because undelivered
// entries are a subset of the entries that exist (this corrects the XTRIM over-count).
// Returns nullopt when `lag` is missing (or negative, which Redis never sends): the caller must
// count entries after `last_delivered` itself (XRANGE). A negative length counts as 0.
std::optional<int64_t> UndeliveredFromLag(const GroupInfo& info);

}  // namespace poolscaler::sources
