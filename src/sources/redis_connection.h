#pragma once
// Shared, blocking hiredis connections for the redis-streams source: connect with a timeout,
// AUTH and SELECT, pipelined commands with a per-call timeout, and reconnection with backoff.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "poolscaler/common/secret.h"
#include "poolscaler/common/time.h"
#include "poolscaler/sources/backoff.h"
#include "shared_connection.h"

struct redisContext;
struct redisReply;

namespace poolscaler::sources {

// Which server and identity a connection talks to.
struct RedisEndpoint {
  std::string host;
  int port = 6379;
  int database = 0;
  std::string username;  // empty: default user
  Secret password;       // empty: no AUTH

  // "host:port", for messages (never holds credentials).
  std::string Address() const;
  // Identity for sharing: host, port, database, username and the password's fingerprint.
  std::string Key() const;
};

struct ReplyDeleter {
  void operator()(redisReply* reply) const;
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;
using RedisCommand = std::vector<std::string>;

// Maps a Redis error reply to a status: WRONGPASS/NOAUTH/invalid password → UNAUTHENTICATED,
// NOPERM → PERMISSION_DENIED, LOADING/BUSY/MASTERDOWN/TRYAGAIN → UNAVAILABLE, anything else →
// FAILED_PRECONDITION. The message is "`context`: <Redis's text>".
absl::Status ErrorReplyStatus(std::string_view error_text, std::string_view context);

// One hiredis context to one RedisEndpoint, shared by every source with that endpoint. The
// context is opened lazily, dropped on any I/O error and reopened on a later call, with
// exponential backoff (Backoff) between failed attempts. Thread-safe: calls are serialized by a
// CallClaim that a caller waits for no longer than its deadline.
class RedisConnection {
 public:
  RedisConnection(RedisEndpoint endpoint, const Clock& clock);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Sends `commands` in one pipelined round trip and returns one reply per command, in order;
  // error replies are returned as replies for the caller to interpret. Every network wait is
  // limited to min(`call_timeout`, deadline - now), at least 1 ms. Errors: UNAVAILABLE (backing
  // off, cannot connect, timeout, connection lost), UNAUTHENTICATED / PERMISSION_DENIED (AUTH),
  // FAILED_PRECONDITION (SELECT refused). Messages name host:port, never a credential.
  absl::StatusOr<std::vector<ReplyPtr>> Pipeline(const std::vector<RedisCommand>& commands,
                                                 Duration call_timeout, TimePoint deadline);

  const RedisEndpoint& endpoint() const { return endpoint_; }
  // Replaces the endpoint's credentials (if long enough to search for) in text that came from
  // the server, with "***".
  std::string Scrub(std::string text) const;

 private:
  struct ContextDeleter {
    void operator()(redisContext* context) const;
  };
  using ContextPtr = std::unique_ptr<redisContext, ContextDeleter>;

  // The following run by the claim holder.
  absl::Status Connect(Duration call_timeout, TimePoint deadline);
  absl::StatusOr<std::vector<ReplyPtr>> RoundTrip(const std::vector<RedisCommand>& commands,
                                                  Duration call_timeout, TimePoint deadline);
  // Drops the context after an I/O error and starts backing off; returns UNAVAILABLE.
  absl::Status IoFailure(std::string_view what, std::string error);

  const RedisEndpoint endpoint_;
  const Clock& clock_;
  CallClaim claim_;        // one call at a time
  ContextPtr context_;     // owned by the claim holder; null when disconnected
  Backoff backoff_;        // owned by the claim holder
  std::string last_error_; // owned by the claim holder; why the last I/O attempt failed
};

// Hands out one RedisConnection per endpoint identity, alive as long as some source holds it.
// Thread-safe.
class RedisConnectionPool {
 public:
  explicit RedisConnectionPool(const Clock& clock) : clock_(clock) {}
  std::shared_ptr<RedisConnection> Get(const RedisEndpoint& endpoint);

 private:
  const Clock& clock_;
  SharedConnections<RedisConnection> connections_;
};

}  // namespace poolscaler::sources
