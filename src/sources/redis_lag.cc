#include "poolscaler/sources/redis_lag.h"

#include <algorithm>
#include <charconv>
#include <limits>

#include <fmt/format.h>

namespace poolscaler::sources {
namespace {

// Parses all of `text` as a decimal uint64 (digits only: no sign, no spaces, no overflow).
std::optional<uint64_t> ParseU64(std::string_view text) {
  if (text.empty()) return std::nullopt;
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

std::optional<StreamId> ParseStreamId(std::string_view text) {
  size_t dash = text.find('-');
  std::optional<uint64_t> ms = ParseU64(text.substr(0, dash));
  if (!ms) return std::nullopt;
  if (dash == std::string_view::npos) return StreamId{*ms, 0};
  std::optional<uint64_t> seq = ParseU64(text.substr(dash + 1));
  if (!seq) return std::nullopt;
  return StreamId{*ms, *seq};
}

std::string FormatStreamId(StreamId id) { return fmt::format("{}-{}", id.ms, id.seq); }

std::optional<int64_t> UndeliveredFromLag(const GroupInfo& info) {
  if (!info.lag || *info.lag < 0) return std::nullopt;
  return std::max<int64_t>(0, std::min(*info.lag, info.length));
}

std::optional<GroupCounters> CountersOf(const GroupInfo& info) {
  // A group that never delivered anything has read nothing, whatever Redis reports (it says
  // nil for a group created at an explicit id such as 0).
  std::optional<int64_t> read = info.entries_read;
  if (!read && info.last_delivered == StreamId{0, 0}) read = 0;
  if (!read || !info.lag || *info.lag < 0 || *read < 0) return std::nullopt;
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  if (*info.lag > kMax - *read) return std::nullopt;  // never from a real server
  return GroupCounters{*read + *info.lag, std::max<int64_t>(0, *read - info.pending)};
}

}  // namespace poolscaler::sources
