#include "redis_connection.h"

#include <hiredis/hiredis.h>
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <cmath>

#include <fmt/format.h>
#include "absl/status/status.h"

namespace poolscaler::sources {
namespace {

constexpr Duration kMinCallTimeout = std::chrono::milliseconds(1);

// min(call_timeout, deadline - now), at least 1 ms.
Duration CallTimeout(Duration call_timeout, TimePoint deadline, TimePoint now) {
  return std::max(kMinCallTimeout, std::min(call_timeout, deadline - now));
}

timeval ToTimeval(Duration d) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(us / 1'000'000);
  tv.tv_usec = static_cast<suseconds_t>(us % 1'000'000);
  return tv;
}

std::string Millis(Duration d) {
  return fmt::format("{}ms", std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// Blocks SIGPIPE on this thread for a scope and discards one raised inside it, so hiredis
// writing to a closed socket gets EPIPE instead of killing the process.
class ScopedSigpipeBlock {
 public:
  ScopedSigpipeBlock() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  ~ScopedSigpipeBlock() {
    sigset_t pending;
    sigpending(&pending);
    if (!was_pending_ && sigismember(&pending, SIGPIPE) == 1) {
      timespec zero{};
      sigtimedwait(&pipe_, nullptr, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  ScopedSigpipeBlock(const ScopedSigpipeBlock&) = delete;
  ScopedSigpipeBlock& operator=(const ScopedSigpipeBlock&) = delete;

 private:
  sigset_t pipe_;
  sigset_t old_;
  bool was_pending_ = false;
};

}  // namespace

std::string RedisEndpoint::Address() const { return fmt::format("{}:{}", host, port); }

std::string RedisEndpoint::Key() const {
  return fmt::format("{}:{}/{} user={} password={}", host, port, database, username,
                     password.Fingerprint());
}

void ReplyDeleter::operator()(redisReply* reply) const { freeReplyObject(reply); }

void RedisConnection::ContextDeleter::operator()(redisContext* context) const {
  redisFree(context);
}

absl::Status ErrorReplyStatus(std::string_view error_text, std::string_view context) {
  std::string message = fmt::format("{}: {}", context, error_text);
  if (StartsWith(error_text, "WRONGPASS") || StartsWith(error_text, "NOAUTH") ||
      error_text.find("invalid password") != std::string_view::npos) {
    return absl::UnauthenticatedError(message);
  }
  if (StartsWith(error_text, "NOPERM")) return absl::PermissionDeniedError(message);
  for (std::string_view transient : {"LOADING", "BUSY", "MASTERDOWN", "TRYAGAIN"}) {
    if (StartsWith(error_text, transient)) return absl::UnavailableError(message);
  }
  return absl::FailedPreconditionError(message);
}

RedisConnection::RedisConnection(RedisEndpoint endpoint, const Clock& clock)
    : endpoint_(std::move(endpoint)), clock_(clock), claim_(clock) {}

RedisConnection::~RedisConnection() = default;

absl::StatusOr<std::vector<ReplyPtr>> RedisConnection::Pipeline(
    const std::vector<RedisCommand>& commands, Duration call_timeout, TimePoint deadline) {
  CallClaim::Held claim = claim_.Acquire(deadline);
  if (!claim) {
    return absl::UnavailableError(fmt::format(
        "redis at {}: the shared connection stayed busy past the deadline", endpoint_.Address()));
  }
  ScopedSigpipeBlock no_sigpipe;
  if (!context_) {
    Duration wait = backoff_.Remaining(clock_.Now());
    if (wait > Duration::zero()) {
      return absl::UnavailableError(fmt::format("reconnecting to {} in {:.1f}s; last error: {}",
                                                endpoint_.Address(),
                                                std::ceil(ToSeconds(wait) * 10) / 10, last_error_));
    }
    if (absl::Status status = Connect(call_timeout, deadline); !status.ok()) return status;
  }
  auto replies = RoundTrip(commands, call_timeout, deadline);
  if (replies.ok()) backoff_.RecordSuccess();
  return replies;
}

absl::Status RedisConnection::Connect(Duration call_timeout, TimePoint deadline) {
  const std::string address = endpoint_.Address();
  timeval tv = ToTimeval(CallTimeout(call_timeout, deadline, clock_.Now()));
  ContextPtr context(redisConnectWithTimeout(endpoint_.host.c_str(), endpoint_.port, tv));
  if (!context) return IoFailure(fmt::format("cannot connect to redis at {}", address), "out of memory");
  if (context->err != 0) {
    return IoFailure(fmt::format("cannot connect to redis at {}", address), context->errstr);
  }
  context_ = std::move(context);

  std::vector<RedisCommand> setup;
  if (!endpoint_.password.empty()) {
    if (endpoint_.username.empty()) {
      setup.push_back({"AUTH", endpoint_.password.Reveal()});
    } else {
      setup.push_back({"AUTH", endpoint_.username, endpoint_.password.Reveal()});
    }
  }
  if (endpoint_.database != 0) setup.push_back({"SELECT", std::to_string(endpoint_.database)});
  if (setup.empty()) return absl::OkStatus();

  auto replies = RoundTrip(setup, call_timeout, deadline);
  if (!replies.ok()) return replies.status();
  for (size_t i = 0; i < setup.size(); ++i) {
    const redisReply& reply = *(*replies)[i];
    if (reply.type != REDIS_REPLY_ERROR) continue;
    context_.reset();  // not an I/O error: no backoff, but no half-authenticated connection either
    std::string what = setup[i][0] == "AUTH"
                           ? fmt::format("AUTH refused by redis at {}", address)
                           : fmt::format("SELECT {} refused by redis at {}", endpoint_.database, address);
    return ErrorReplyStatus(Scrub(std::string(reply.str, reply.len)), what);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<ReplyPtr>> RedisConnection::RoundTrip(
    const std::vector<RedisCommand>& commands, Duration call_timeout, TimePoint deadline) {
  const std::string address = endpoint_.Address();
  redisContext* context = context_.get();
  Duration timeout = CallTimeout(call_timeout, deadline, clock_.Now());
  if (redisSetTimeout(context, ToTimeval(timeout)) != REDIS_OK) {
    return IoFailure(fmt::format("redis at {}: cannot set timeout", address), context->errstr);
  }
  for (const RedisCommand& command : commands) {
    std::vector<const char*> argv;
    std::vector<size_t> lengths;
    for (const std::string& arg : command) {
      argv.push_back(arg.data());
      lengths.push_back(arg.size());
    }
    if (redisAppendCommandArgv(context, static_cast<int>(argv.size()), argv.data(),
                               lengths.data()) != REDIS_OK) {
      return IoFailure(fmt::format("redis at {}: cannot queue command", address), context->errstr);
    }
  }
  std::vector<ReplyPtr> replies;
  for (size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    errno = 0;
    if (redisGetReply(context, &raw) != REDIS_OK) {
      const int error_number = errno;
      if (context->err == REDIS_ERR_IO &&
          (error_number == EAGAIN || error_number == EWOULDBLOCK || error_number == ETIMEDOUT)) {
        return IoFailure(fmt::format("redis at {}", address),
                         fmt::format("no reply within {}", Millis(timeout)));
      }
      return IoFailure(fmt::format("redis at {}: connection lost", address), context->errstr);
    }
    replies.emplace_back(static_cast<redisReply*>(raw));
  }
  return replies;
}

absl::Status RedisConnection::IoFailure(std::string_view what, std::string error) {
  context_.reset();
  last_error_ = Scrub(std::move(error));
  backoff_.RecordFailure(clock_.Now());
  return absl::UnavailableError(fmt::format("{}: {}", what, last_error_));
}

std::string RedisConnection::Scrub(std::string text) const {
  for (const std::string* secret : {&endpoint_.password.Reveal(), &endpoint_.username}) {
    if (secret->size() < 4) continue;  // too short to search for without mangling the text
    for (size_t at = text.find(*secret); at != std::string::npos; at = text.find(*secret, at)) {
      text.replace(at, secret->size(), "***");
    }
  }
  return text;
}

std::shared_ptr<RedisConnection> RedisConnectionPool::Get(const RedisEndpoint& endpoint) {
  return connections_.Get(endpoint.Key(),
                          [&] { return std::make_shared<RedisConnection>(endpoint, clock_); });
}

}  // namespace poolscaler::sources
