// Redis Streams jobs with hiredis: a consumer-group member that claims entries abandoned by a
// vanished consumer (XAUTOCLAIM) before reading new ones (XREADGROUP ... BLOCK), acks with XACK
// and removes itself from the group when it leaves with nothing pending; a publisher with XADD.
#include <fmt/format.h>
#include <hiredis/hiredis.h>

#include "poolscaler/common/address.h"
#include "poolscaler/jobs/queues.h"

namespace poolscaler::jobs {
namespace {

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;
struct ContextDeleter {
  void operator()(redisContext* c) const { redisFree(c); }
};
using Context = std::unique_ptr<redisContext, ContextDeleter>;

absl::StatusOr<Context> Connect(const std::string& url) {
  std::string hostport = url.starts_with("redis://") ? url.substr(8) : url;
  if (hostport.find('@') != std::string::npos) {
    return absl::InvalidArgumentError(
        "redis url: credentials in the URL are not supported (value not shown: it may hold a "
        "password)");
  }
  absl::StatusOr<HostPort> hp = ParseHostPort("redis url", hostport, false);
  if (!hp.ok()) return hp.status();
  timeval connect_timeout{2, 0};
  Context c(redisConnectWithTimeout(hp->host.c_str(), hp->port, connect_timeout));
  if (c == nullptr || c->err != 0) {
    return absl::UnavailableError(fmt::format("cannot connect to redis at {}: {}", hostport,
                                              c ? c->errstr : "out of memory"));
  }
  timeval io_timeout{5, 0};  // longer than any BLOCK below
  redisSetTimeout(c.get(), io_timeout);
  return c;
}

// Runs one command; an I/O failure or an error reply is an error naming `what`.
absl::StatusOr<Reply> Run(redisContext* c, const std::vector<std::string>& args,
                          const std::string& what) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const std::string& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  Reply r(static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data())));
  if (r == nullptr) {
    return absl::UnavailableError(fmt::format("{}: {}", what, c->errstr));
  }
  if (r->type == REDIS_REPLY_ERROR) {
    return absl::FailedPreconditionError(fmt::format("{}: {}", what, std::string(r->str, r->len)));
  }
  return r;
}

std::string Str(const redisReply* r) {
  return r != nullptr && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS)
             ? std::string(r->str, r->len)
             : std::string();
}

// The job of one stream entry [id, [field, value, ...]]: its "job" field, written by JobBody.
std::optional<Delivery> EntryDelivery(const redisReply* entry, std::string* entry_id) {
  if (entry == nullptr || entry->type != REDIS_REPLY_ARRAY || entry->elements != 2)
    return std::nullopt;
  *entry_id = Str(entry->element[0]);
  const redisReply* fields = entry->element[1];
  if (fields == nullptr || fields->type != REDIS_REPLY_ARRAY) return std::nullopt;
  std::string body;
  for (size_t i = 0; i + 1 < fields->elements; i += 2) {
    if (Str(fields->element[i]) == "job") body = Str(fields->element[i + 1]);
  }
  absl::StatusOr<std::pair<std::string, int64_t>> parsed = ParseJobBody(body);
  if (!parsed.ok()) return std::nullopt;
  return Delivery{parsed->first, parsed->second, 1};
}

class RedisJobConsumer final : public JobConsumer {
 public:
  RedisJobConsumer(Context c, std::string stream, std::string group, std::string consumer,
                   Duration claim_idle)
      : c_(std::move(c)),
        stream_(std::move(stream)),
        group_(std::move(group)),
        consumer_(std::move(consumer)),
        claim_idle_(claim_idle) {}
  ~RedisJobConsumer() override { Close(); }

  absl::StatusOr<std::optional<Delivery>> Next(Duration wait) override {
    absl::StatusOr<std::optional<Delivery>> claimed = Claim();
    if (!claimed.ok() || claimed->has_value()) return claimed;
    int64_t block_ms =
        std::max<int64_t>(1, std::chrono::duration_cast<std::chrono::milliseconds>(wait).count());
    absl::StatusOr<Reply> r = Run(c_.get(),
                                  {"XREADGROUP", "GROUP", group_, consumer_, "COUNT", "1", "BLOCK",
                                   std::to_string(block_ms), "STREAMS", stream_, ">"},
                                  "XREADGROUP " + stream_);
    if (!r.ok()) return r.status();
    const redisReply* streams = r->get();
    if (streams->type != REDIS_REPLY_ARRAY || streams->elements == 0) return std::nullopt;
    const redisReply* s = streams->element[0];
    if (s->type != REDIS_REPLY_ARRAY || s->elements != 2 || s->element[1]->elements == 0) {
      return std::nullopt;
    }
    return Take(s->element[1]->element[0], 1);
  }

  absl::Status Ack(bool /*last*/) override {
    if (current_.empty()) return absl::FailedPreconditionError("ack: no job outstanding");
    absl::StatusOr<Reply> r = Run(c_.get(), {"XACK", stream_, group_, current_}, "XACK " + stream_);
    current_.clear();
    return r.status();
  }

  void Close() override {
    if (c_ == nullptr) return;
    // A consumer with nothing pending is removed from the group (DELCONSUMER would drop the
    // pending entries of one that has some, so it stays and another worker claims them).
    absl::StatusOr<Reply> pending =
        Run(c_.get(), {"XPENDING", stream_, group_, "-", "+", "1", consumer_}, "XPENDING");
    if (pending.ok() && (*pending)->type == REDIS_REPLY_ARRAY && (*pending)->elements == 0) {
      (void)Run(c_.get(), {"XGROUP", "DELCONSUMER", stream_, group_, consumer_},
                "XGROUP DELCONSUMER");
    }
    c_.reset();
  }

 private:
  // Claims one entry idle for claim_idle_ (its consumer died or was killed), at most every
  // couple of seconds.
  absl::StatusOr<std::optional<Delivery>> Claim() {
    auto now = SteadyClock::now();
    if (now < next_claim_) return std::nullopt;
    next_claim_ = now + std::chrono::seconds(2);
    int64_t idle_ms = std::chrono::duration_cast<std::chrono::milliseconds>(claim_idle_).count();
    absl::StatusOr<Reply> r = Run(
        c_.get(),
        {"XAUTOCLAIM", stream_, group_, consumer_, std::to_string(idle_ms), "0-0", "COUNT", "1"},
        "XAUTOCLAIM " + stream_);
    if (!r.ok()) return r.status();
    const redisReply* reply = r->get();
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 2) return std::nullopt;
    const redisReply* entries = reply->element[1];
    if (entries->type != REDIS_REPLY_ARRAY || entries->elements == 0) return std::nullopt;
    return Take(entries->element[0], 0);
  }

  // Makes `entry` the outstanding job. `count` 0: ask XPENDING how often it was delivered.
  absl::StatusOr<std::optional<Delivery>> Take(const redisReply* entry, int64_t count) {
    std::string id;
    std::optional<Delivery> d = EntryDelivery(entry, &id);
    if (id.empty()) return std::nullopt;
    if (!d) {  // unreadable: acknowledged so that it is not claimed forever
      (void)Run(c_.get(), {"XACK", stream_, group_, id}, "XACK");
      return absl::InvalidArgumentError(
          fmt::format("entry {} of {} has no readable job field", id, stream_));
    }
    if (count == 0) {
      d->delivery_count = 2;
      absl::StatusOr<Reply> p =
          Run(c_.get(), {"XPENDING", stream_, group_, id, id, "1"}, "XPENDING");
      if (p.ok() && (*p)->type == REDIS_REPLY_ARRAY && (*p)->elements == 1 &&
          (*p)->element[0]->elements == 4) {
        d->delivery_count = (*p)->element[0]->element[3]->integer;
      }
    }
    current_ = id;
    return d;
  }

  Context c_;
  const std::string stream_, group_, consumer_;
  const Duration claim_idle_;
  TimePoint next_claim_{};
  std::string current_;  // entry id of the outstanding job
};

class RedisJobPublisher final : public JobPublisher {
 public:
  RedisJobPublisher(Context c, std::string stream) : c_(std::move(c)), stream_(std::move(stream)) {}
  absl::Status Publish(const std::string& destination, const std::string& id,
                       int64_t size_kb) override {
    if (destination != stream_) {
      return absl::InvalidArgumentError(
          fmt::format("redis publisher of stream {} asked to publish to {}", stream_, destination));
    }
    return Run(c_.get(), {"XADD", stream_, "*", "job", JobBody(id, size_kb)}, "XADD " + stream_)
        .status();
  }

 private:
  Context c_;
  const std::string stream_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<JobConsumer>> RedisConsumer(const std::string& url,
                                                           const std::string& stream,
                                                           const std::string& group,
                                                           const std::string& consumer,
                                                           Duration claim_idle) {
  absl::StatusOr<Context> c = Connect(url);
  if (!c.ok()) return c.status();
  return std::make_unique<RedisJobConsumer>(std::move(*c), stream, group, consumer, claim_idle);
}

absl::StatusOr<std::unique_ptr<JobPublisher>> RedisPublisher(const std::string& url,
                                                             const std::string& stream,
                                                             const std::string& group) {
  absl::StatusOr<Context> c = Connect(url);
  if (!c.ok()) return c.status();
  absl::StatusOr<Reply> r = Run(c->get(), {"XGROUP", "CREATE", stream, group, "$", "MKSTREAM"},
                                "XGROUP CREATE " + stream + " " + group);
  if (!r.ok() && r.status().message().find("BUSYGROUP") == absl::string_view::npos) {
    return r.status();
  }
  return std::make_unique<RedisJobPublisher>(std::move(*c), stream);
}

}  // namespace poolscaler::jobs
