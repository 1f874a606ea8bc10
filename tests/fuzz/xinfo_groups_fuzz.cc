// Fuzzes the XINFO GROUPS decoder (sources/redis_reply.h) on reply trees that hiredis's own
// reader builds from raw RESP bytes, as it does from a socket.
//
// Input: "<consumer group>\n<RESP bytes>". Every complete reply in the RESP bytes (at most 4) is
// decoded as an XINFO GROUPS reply looking for that group. Inputs announcing an array or bulk
// string longer than the input, or a negative count other than -1, are skipped: hiredis 0.14
// allocates for the announced size up front and mishandles huge sizes, which is its bug, not
// ours (Redis never sends them).
//
// Invariants:
//  - kErrorReply exactly for error replies; kMalformed has a reason; kFound and kNotFound only
//    for arrays of field/value arrays.
//  - kFound: some group in the reply has a "name" equal to the group, a "pending" integer equal
//    to info.pending and a "last-delivered-id" that parses to info.last_delivered (which
//    formats and parses back); a lag, if any, is one of the group's "lag" integers.
//  - kNotFound: no group is named only by the group's name (it would have been found, or been
//    malformed).
//  - For a found group, UndeliveredFromLag never exceeds a non-negative length or the lag.
#include <hiredis/hiredis.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "fuzz_check.h"
#include "poolscaler/sources/redis_lag.h"
#include "poolscaler/sources/redis_reply.h"

namespace {

using poolscaler::sources::FindGroupInXinfo;
using poolscaler::sources::GroupInfo;
using poolscaler::sources::GroupLookup;
using poolscaler::sources::IsTextReply;
using poolscaler::sources::ParseStreamId;
using poolscaler::sources::ReplyText;
using poolscaler::sources::StreamId;
using Outcome = GroupLookup::Outcome;

struct ReaderDeleter {
  void operator()(redisReader* reader) const { redisReaderFree(reader); }
};
struct ReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};

// False when some '*' or '$' is followed by a count hiredis 0.14 would mishandle: larger than
// the whole input, or negative other than -1.
bool SafeForHiredis(std::string_view resp) {
  for (size_t i = 0; i < resp.size(); ++i) {
    if (resp[i] != '*' && resp[i] != '$') continue;
    size_t j = i + 1;
    const bool negative = j < resp.size() && resp[j] == '-';
    if (negative) ++j;
    uint64_t count = 0;
    size_t digits = 0;
    for (; j < resp.size() && resp[j] >= '0' && resp[j] <= '9'; ++j, ++digits) {
      if (count > resp.size()) break;  // already too large; stop before overflowing
      count = count * 10 + static_cast<uint64_t>(resp[j] - '0');
    }
    if (digits == 0) continue;
    if (negative && count != 1) return false;
    if (!negative && count > resp.size()) return false;
  }
  return true;
}

// The group's fields as flat [key, value] pairs; false unless a well-formed group.
bool IsGroup(const redisReply& group) {
  return group.type == REDIS_REPLY_ARRAY && group.elements % 2 == 0;
}

// Whether `group` has a text field `key` whose value satisfies `match`.
template <typename Match>
bool HasField(const redisReply& group, std::string_view key, Match match) {
  for (size_t i = 0; i + 1 < group.elements; i += 2) {
    const redisReply& k = *group.element[i];
    if (IsTextReply(k) && ReplyText(k) == key && match(*group.element[i + 1])) return true;
  }
  return false;
}

// Whether every "name" field of `group` (at least one) is text equal to `name`.
bool NamedOnly(const redisReply& group, std::string_view name) {
  bool any = false;
  for (size_t i = 0; i + 1 < group.elements; i += 2) {
    const redisReply& k = *group.element[i];
    if (!IsTextReply(k) || ReplyText(k) != "name") continue;
    const redisReply& v = *group.element[i + 1];
    if (!IsTextReply(v) || ReplyText(v) != name) return false;
    any = true;
  }
  return any;
}

bool IsGroupsArray(const redisReply& reply) {
  if (reply.type != REDIS_REPLY_ARRAY) return false;
  for (size_t g = 0; g < reply.elements; ++g) {
    if (!IsGroup(*reply.element[g])) return false;
  }
  return true;
}

void CheckFound(const redisReply& reply, std::string_view name, const GroupInfo& info) {
  bool matched = false;
  for (size_t g = 0; g < reply.elements && !matched; ++g) {
    const redisReply& group = *reply.element[g];
    const bool named = HasField(group, "name", [&](const redisReply& v) {
      return IsTextReply(v) && ReplyText(v) == name;
    });
    const bool pending = HasField(group, "pending", [&](const redisReply& v) {
      return v.type == REDIS_REPLY_INTEGER && v.integer == info.pending;
    });
    const bool last = HasField(group, "last-delivered-id", [&](const redisReply& v) {
      return IsTextReply(v) && ParseStreamId(ReplyText(v)) == info.last_delivered;
    });
    const bool lag = !info.lag || HasField(group, "lag", [&](const redisReply& v) {
      return v.type == REDIS_REPLY_INTEGER && v.integer == *info.lag;
    });
    matched = named && pending && last && lag;
  }
  FUZZ_CHECK(matched, fmt::format("found group \"{}\" (pending {}) is not in the reply",
                                  std::string(name), info.pending));
  const std::string id = poolscaler::sources::FormatStreamId(info.last_delivered);
  FUZZ_CHECK(ParseStreamId(id) == info.last_delivered, id);

  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  const int64_t lag = info.lag.value_or(0);
  for (int64_t length : {int64_t{0}, int64_t{-1}, lag, lag - (lag > 0 ? 1 : 0), kMax,
                         info.pending}) {
    GroupInfo with_length = info;
    with_length.length = length;
    std::optional<int64_t> undelivered = poolscaler::sources::UndeliveredFromLag(with_length);
    FUZZ_CHECK(undelivered.has_value() == (info.lag && *info.lag >= 0),
               fmt::format("length {} lag {}", length, lag));
    if (!undelivered) continue;
    FUZZ_CHECK(*undelivered >= 0 && *undelivered <= std::max<int64_t>(length, 0) &&
                   *undelivered <= lag,
               fmt::format("length {} lag {} -> undelivered {}", length, lag, *undelivered));
  }
}

void CheckReply(const redisReply& reply, std::string_view name) {
  const GroupLookup found = FindGroupInXinfo(reply, name);
  FUZZ_CHECK((found.outcome == Outcome::kErrorReply) == (reply.type == REDIS_REPLY_ERROR),
             fmt::format("reply type {}", reply.type));
  switch (found.outcome) {
    case Outcome::kErrorReply:
      break;
    case Outcome::kMalformed:
      FUZZ_CHECK(!found.problem.empty(), "malformed without a reason");
      break;
    case Outcome::kFound:
      FUZZ_CHECK(reply.type == REDIS_REPLY_ARRAY, "found in a non-array");
      CheckFound(reply, name, found.info);
      break;
    case Outcome::kNotFound:
      FUZZ_CHECK(IsGroupsArray(reply), "not found in a malformed reply");
      for (size_t g = 0; g < reply.elements; ++g) {
        FUZZ_CHECK(!NamedOnly(*reply.element[g], name),
                   fmt::format("group {} is named \"{}\" but was not found", g, std::string(name)));
      }
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 8192) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t newline = input.find('\n');
  if (newline == std::string_view::npos) return 0;
  const std::string_view name = input.substr(0, newline);
  const std::string_view resp = input.substr(newline + 1);
  if (!SafeForHiredis(resp)) return 0;

  std::unique_ptr<redisReader, ReaderDeleter> reader(redisReaderCreate());
  if (!reader || redisReaderFeed(reader.get(), resp.data(), resp.size()) != REDIS_OK) return 0;
  for (int n = 0; n < 4; ++n) {
    void* raw = nullptr;
    if (redisReaderGetReply(reader.get(), &raw) != REDIS_OK || raw == nullptr) break;
    std::unique_ptr<redisReply, ReplyDeleter> reply(static_cast<redisReply*>(raw));
    CheckReply(*reply, name);
  }
  return 0;
}
