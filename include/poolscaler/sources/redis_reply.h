#pragma once
// Decoding of hiredis reply trees, kept apart from I/O so it can be tested and fuzzed on replies
// built from raw RESP bytes. Nothing here talks to Redis or formats a status: callers turn the
// outcome into a message naming their endpoint and stream. Pure functions, thread-safe.
#include <string_view>

#include "poolscaler/sources/redis_lag.h"

struct redisReply;

namespace poolscaler::sources {

// The bytes of a string, status or error reply (valid while `reply` lives).
std::string_view ReplyText(const redisReply& reply);
// Whether `reply` is a string or status reply.
bool IsTextReply(const redisReply& reply);

// What an XINFO GROUPS reply says about one consumer group.
struct GroupLookup {
  enum class Outcome {
    kFound,       // `info` holds pending, last_delivered and lag (length is not in the reply)
    kErrorReply,  // Redis answered with an error: ReplyText(reply) is its text
    kMalformed,   // the reply is not shaped like XINFO GROUPS: `problem` says why
    kNotFound,    // well-formed, but no group has that name
  };
  Outcome outcome = Outcome::kNotFound;
  GroupInfo info;
  std::string_view problem;  // kMalformed only; a static string
};

// Finds `group` in an XINFO GROUPS reply (RESP2: an array with one flat [field, value, ...]
// array per group). Groups before the match must be well-formed too; fields other than name,
// pending, last-delivered-id and lag are ignored, as are values of the wrong type (a nil lag
// stays nullopt). A matching group without an integer pending or a parseable
// last-delivered-id is kMalformed.
GroupLookup FindGroupInXinfo(const redisReply& reply, std::string_view group);

}  // namespace poolscaler::sources
