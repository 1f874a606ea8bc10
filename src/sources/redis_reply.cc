#include "poolscaler/sources/redis_reply.h"

#include <hiredis/hiredis.h>

#include <optional>

namespace poolscaler::sources {

std::string_view ReplyText(const redisReply& reply) {
  return std::string_view(reply.str, reply.len);
}

bool IsTextReply(const redisReply& reply) {
  return reply.type == REDIS_REPLY_STRING || reply.type == REDIS_REPLY_STATUS;
}

GroupLookup FindGroupInXinfo(const redisReply& reply, std::string_view group) {
  using Outcome = GroupLookup::Outcome;
  GroupLookup result;
  if (reply.type == REDIS_REPLY_ERROR) {
    result.outcome = Outcome::kErrorReply;
    return result;
  }
  if (reply.type != REDIS_REPLY_ARRAY) {
    result.outcome = Outcome::kMalformed;
    result.problem = "not an array";
    return result;
  }
  for (size_t g = 0; g < reply.elements; ++g) {
    const redisReply& fields = *reply.element[g];
    if (fields.type != REDIS_REPLY_ARRAY || fields.elements % 2 != 0) {
      result.outcome = Outcome::kMalformed;
      result.problem = "a group is not a field/value list";
      return result;
    }
    bool ours = false;
    bool has_pending = false;
    std::optional<StreamId> last_delivered;
    GroupInfo info;
    for (size_t i = 0; i + 1 < fields.elements; i += 2) {
      const redisReply& key = *fields.element[i];
      const redisReply& value = *fields.element[i + 1];
      if (!IsTextReply(key)) continue;
      std::string_view name = ReplyText(key);
      if (name == "name") {
        ours = IsTextReply(value) && ReplyText(value) == group;
      } else if (name == "pending" && value.type == REDIS_REPLY_INTEGER && value.integer >= 0) {
        info.pending = static_cast<int64_t>(value.integer);
        has_pending = true;
      } else if (name == "last-delivered-id" && IsTextReply(value)) {
        last_delivered = ParseStreamId(ReplyText(value));
      } else if (name == "lag" && value.type == REDIS_REPLY_INTEGER) {
        info.lag = static_cast<int64_t>(value.integer);  // nil stays nullopt
      } else if (name == "entries-read" && value.type == REDIS_REPLY_INTEGER &&
                 value.integer >= 0) {
        info.entries_read = static_cast<int64_t>(value.integer);  // nil stays nullopt
      }
    }
    if (!ours) continue;
    if (!has_pending || !last_delivered) {
      result.outcome = Outcome::kMalformed;
      result.problem = "no valid pending count or last-delivered-id";
      return result;
    }
    info.last_delivered = *last_delivered;
    result.outcome = Outcome::kFound;
    result.info = info;
    return result;
  }
  result.outcome = Outcome::kNotFound;
  return result;
}

}  // namespace poolscaler::sources
