// The redis-streams source against a real redis-server (tests/support/redis_server.h).
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "poolscaler/config/source_spec.h"
#include "poolscaler/sources/redis_streams.h"
#include "poolscaler/sources/source.h"
#include "support/eventually.h"
#include "support/redis_server.h"

namespace poolscaler::sources {
namespace {

using poolscaler::testing::Eventually;
using poolscaler::testing::RedisReply;
using poolscaler::testing::RedisServer;
using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::AllOf;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;

MATCHER_P2(StatusIs, code, message_matcher, "") {
  const absl::Status& status = arg;
  if (status.code() != code) {
    *result_listener << "status is " << status;
    return false;
  }
  return ::testing::ExplainMatchResult(message_matcher, std::string(status.message()),
                                       result_listener);
}

config::SourceSpec Spec(const RedisServer& server, const std::string& stream,
                        const std::string& group = "", Duration timeout = milliseconds(500)) {
  config::SourceSpec spec;
  spec.name = "test";
  spec.kind = config::kRedisStreams;
  spec.timeout = timeout;
  config::RedisStreamsParams params;
  params.host = "127.0.0.1";
  params.port = server.port();
  params.stream = stream;
  params.consumer_group = group;
  spec.params = params;
  return spec;
}

config::RedisStreamsParams& Params(config::SourceSpec& spec) {
  return std::get<config::RedisStreamsParams>(spec.params);
}

TimePoint Deadline(Duration d = seconds(2)) { return SteadyClock::now() + d; }

// Resumes a SIGSTOP'ed server when the test ends, however it ends.
class ScopedSigcont {
 public:
  explicit ScopedSigcont(pid_t pid) : pid_(pid) {}
  ~ScopedSigcont() { kill(pid_, SIGCONT); }

 private:
  pid_t pid_;
};

// Prints how long a call took as a [figures] line: real time is noisy here, so tests assert
// what the status says and the order of events, and print the time.
void Figure(const char* what, TimePoint start) {
  std::printf("[figures] %s: %.0f ms\n", what,
              std::chrono::duration<double, std::milli>(SteadyClock::now() - start).count());
}

// Samples until the answer is not "reconnecting … in Ns" (the backoff has passed and one
// attempt was made), each call with `deadline_in`; returns that attempt's status.
absl::Status WaitPastBackoff(Source& source, Duration deadline_in) {
  absl::Status status;
  Eventually(
      [&] {
        status = source.Sample(Deadline(deadline_in)).status();
        return std::string(status.message()).find("reconnecting to ") == std::string::npos;
      },
      seconds(10), milliseconds(10));
  return status;
}

// N from "no reply within Nms", or -1.
long WaitedMillis(const absl::Status& status) {
  std::string message(status.message());
  const std::string key = "no reply within ";
  size_t at = message.find(key);
  if (at == std::string::npos) return -1;
  return std::strtol(message.c_str() + at + key.size(), nullptr, 10);
}

// Bytes the kernel holds, unread, on the server's established loopback connections
// (/proc/net/tcp rx_queue): above 0 once a client's command waits at a SIGSTOP'ed server.
long PendingBytesAtServer(int port) {
  std::ifstream tcp("/proc/net/tcp");
  std::string line;
  std::getline(tcp, line);  // header
  long pending = 0;
  while (std::getline(tcp, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state, queues;
    fields >> slot >> local >> remote >> state >> queues;
    size_t port_at = local.find(':'), rx_at = queues.find(':');
    if (port_at == std::string::npos || rx_at == std::string::npos || state != "01") continue;
    if (std::strtol(local.c_str() + port_at + 1, nullptr, 16) != port) continue;
    pending += std::strtol(queues.c_str() + rx_at + 1, nullptr, 16);
  }
  return pending;
}

class RedisStreamsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = RedisServer::Start();
    ASSERT_NE(server_, nullptr) << "cannot start redis-server";
  }

  std::unique_ptr<Source> Create(const config::SourceSpec& spec) {
    auto source = factory_.Create(spec);
    EXPECT_TRUE(source.ok()) << source.status();
    return source.ok() ? std::move(*source) : nullptr;
  }

  RedisReply Run(const std::vector<std::string>& args) {
    RedisReply reply = server_->Command(args);
    EXPECT_NE(reply.kind, RedisReply::kError) << reply.str;
    return reply;
  }

  // Adds `n` entries to `stream`; returns the id of the last one.
  std::string Add(const std::string& stream, int n = 1) {
    std::string id;
    for (int i = 0; i < n; ++i) id = Run({"XADD", stream, "*", "n", std::to_string(i)}).str;
    return id;
  }

  void CreateGroup(const std::string& stream, const std::string& group, const std::string& from = "0") {
    Run({"XGROUP", "CREATE", stream, group, from, "MKSTREAM"});
  }

  // Delivers up to `count` new entries to consumer "c"; returns their ids.
  std::vector<std::string> Deliver(const std::string& stream, const std::string& group, int count) {
    RedisReply reply =
        Run({"XREADGROUP", "GROUP", group, "c", "COUNT", std::to_string(count), "STREAMS", stream, ">"});
    std::vector<std::string> ids;
    if (reply.kind == RedisReply::kArray) {
      for (const RedisReply& entry : reply.elements[0].elements[1].elements) {
        ids.push_back(entry.elements[0].str);
      }
    }
    return ids;
  }

  long long ConnectedClients() {
    std::string info = Run({"INFO", "clients"}).str;
    size_t at = info.find("connected_clients:");
    return at == std::string::npos ? -1 : std::atoll(info.c_str() + at + 18);
  }

  RedisStreamsFactory factory_;
  std::unique_ptr<RedisServer> server_;
};

absl::StatusOr<Reading> SampleOk(Source& source) {
  auto reading = source.Sample(Deadline());
  EXPECT_TRUE(reading.ok()) << reading.status();
  return reading;
}

std::map<std::string, double> Measures(std::initializer_list<std::pair<const std::string, double>> m) {
  return m;
}

TEST_F(RedisStreamsTest, WithoutGroupReportsXlenOnly) {
  auto source = Create(Spec(*server_, "orders"));
  ASSERT_NE(source, nullptr);
  auto reading = SampleOk(*source);
  ASSERT_TRUE(reading.ok());
  EXPECT_EQ(reading->measures, Measures({{"length", 0}}));  // a missing stream has length 0

  Add("orders", 3);
  reading = SampleOk(*source);
  ASSERT_TRUE(reading.ok());
  EXPECT_EQ(reading->measures, Measures({{"length", 3}}));
  EXPECT_EQ(reading->note, "");
}

TEST_F(RedisStreamsTest, GroupCountsUndeliveredPendingAndOutstanding) {
  CreateGroup("orders", "workers");
  auto source = Create(Spec(*server_, "orders", "workers"));
  ASSERT_NE(source, nullptr);

  auto reading = SampleOk(*source);
  ASSERT_TRUE(reading.ok());
  EXPECT_EQ(reading->measures,
            Measures({{"length", 0}, {"undelivered", 0}, {"pending", 0}, {"outstanding", 0},
                      {"arrived_total", 0}, {"completed_total", 0}}));

  Add("orders", 5);
  reading = SampleOk(*source);
  ASSERT_TRUE(reading.ok());
  EXPECT_EQ(reading->measures,
            Measures({{"length", 5}, {"undelivered", 5}, {"pending", 0}, {"outstanding", 5},
                      {"arrived_total", 5}, {"completed_total", 0}}));

  std::vector<std::string> delivered = Deliver("orders", "workers", 2);  // read, not acked
  ASSERT_EQ(delivered.size(), 2u);
  reading = SampleOk(*source);
  ASSERT_TRUE(reading.ok());
  EXPECT_EQ(reading->measures,
            Measures({{"length", 5}, {"undelivered", 3}, {"pending", 2}, {"outstanding", 5},
                      {"arrived_total", 5}, {"completed_total", 0}}));

  Run({"XACK", "orders", "workers", delivered[0]});
  reading = SampleOk(*source);
  ASSERT_TRUE(reading.ok());
  EXPECT_EQ(reading->measures,
            Measures({{"length", 5}, {"undelivered", 3}, {"pending", 1}, {"outstanding", 4},
                      {"arrived_total", 5}, {"completed_total", 1}}));
  EXPECT_EQ(reading->note, "");
  // pending is the same number XPENDING reports.
  EXPECT_EQ(Run({"XPENDING", "orders", "workers"}).elements[0].integer, 1);
}

TEST_F(RedisStreamsTest, OnePipelinedRoundTripPerSample) {
  CreateGroup("orders", "workers");
  Add("orders", 3);
  auto source = Create(Spec(*server_, "orders", "workers"));
  ASSERT_NE(source, nullptr);
  ASSERT_TRUE(SampleOk(*source).ok());
  long long xinfo = server_->CommandCalls("xinfo|groups");
  long long xlen = server_->CommandCalls("xlen");
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(SampleOk(*source).ok());
  EXPECT_EQ(server_->CommandCalls("xinfo|groups"), xinfo + 3);
  EXPECT_EQ(server_->CommandCalls("xlen"), xlen + 3);
  EXPECT_EQ(server_->CommandCalls("xrange"), 0);
}

// Redis keeps counting XTRIM'ed entries the group never read in `lag`.
TEST_F(RedisStreamsTest, UndeliveredIsExactAfterXtrim) {
  CreateGroup("orders", "workers");
  Add("orders", 5);
  Deliver("orders", "workers", 1);
  Run({"XTRIM", "orders", "MAXLEN", "1"});  // removes the delivered entry and 3 undelivered
  RedisReply groups = Run({"XINFO", "GROUPS", "orders"});
  ASSERT_EQ(groups.elements.size(), 1u);
  ASSERT_EQ(groups.elements[0].elements[10].str, "lag");
  EXPECT_EQ(groups.elements[0].elements[11].integer, 4) << "Redis's lag changed meaning";

  auto source = Create(Spec(*server_, "orders", "workers"));
  ASSERT_NE(source, nullptr);
  auto reading = SampleOk(*source);
  ASSERT_TRUE(reading.ok());
  // The trimmed, delivered entry stays in the PEL, so pending is still 1. Arrivals stay 5
  // (entries-added): trimming removes work, it does not un-arrive it.
  EXPECT_EQ(reading->measures,
            Measures({{"length", 1}, {"undelivered", 1}, {"pending", 1}, {"outstanding", 2},
                      {"arrived_total", 5}, {"completed_total", 0}}));
  EXPECT_EQ(reading->note, "");
}

// XDEL of an entry the group has not read makes Redis's lag nil: the source counts by XRANGE.
TEST_F(RedisStreamsTest, UndeliveredIsExactAfterXdelPastTheGroup) {
  CreateGroup("orders", "workers");
  Add("orders", 4);
  std::string doomed = Add("orders");
  Add("orders");
  Deliver("orders", "workers", 2);
  Run({"XDEL", "orders", doomed});
  RedisReply groups = Run({"XINFO", "GROUPS", "orders"});
  ASSERT_EQ(groups.elements[0].elements[10].str, "lag");
  EXPECT_EQ(groups.elements[0].elements[11].kind, RedisReply::kNil) << "Redis's lag changed meaning";

  auto source = Create(Spec(*server_, "orders", "workers"));
  ASSERT_NE(source, nullptr);
  auto reading = SampleOk(*source);
  ASSERT_TRUE(reading.ok());
  // No lag, so no arrivals counter in this reading (drain-time mode falls back to the lag rule).
  EXPECT_EQ(reading->measures,
            Measures({{"length", 5}, {"undelivered", 3}, {"pending", 2}, {"outstanding", 5}}));
  EXPECT_THAT(reading->note, HasSubstr("undelivered counted by XRANGE scan"));
  EXPECT_THAT(reading->note, Not(HasSubstr("lower bound")));
  EXPECT_EQ(server_->CommandCalls("xrange"), 1);
}

TEST_F(RedisStreamsTest, ScanCountsAcrossPages) {
  CreateGroup("orders", "workers");
  Add("orders", 3);
  Deliver("orders", "workers", 3);
  // 2500 more entries (in one server-side loop), then delete one of them.
  Run({"EVAL", "for i = 1, 2500 do redis.call('XADD', KEYS[1], '*', 'n', i) end", "1", "orders"});
  RedisReply some = Run({"XRANGE", "orders", "-", "+", "COUNT", "10"});
  Run({"XDEL", "orders", some.elements[5].elements[0].str});

  auto source = Create(Spec(*server_, "orders", "workers"));
  ASSERT_NE(source, nullptr);
  auto reading = SampleOk(*source);
  ASSERT_TRUE(reading.ok());
  EXPECT_EQ(reading->measures.at("undelivered"), 2499);
  EXPECT_EQ(reading->measures.at("outstanding"), 2502);
  EXPECT_EQ(server_->CommandCalls("xrange"), 1 + 3);  // ours: pages of 1000, 1000, 499
}

TEST_F(RedisStreamsTest, MissingGroupIsNotFound) {
  Add("orders");
  auto source = Create(Spec(*server_, "orders", "nobody"));
  ASSERT_NE(source, nullptr);
  EXPECT_THAT(source->Sample(Deadline()).status(),
              StatusIs(absl::StatusCode::kNotFound,
                       "consumer group \"nobody\" not found on stream \"orders\""));
}

TEST_F(RedisStreamsTest, MissingStreamIsNotFoundWithAGroup) {
  auto source = Create(Spec(*server_, "nothing", "workers"));
  ASSERT_NE(source, nullptr);
  EXPECT_THAT(source->Sample(Deadline()).status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("stream \"nothing\" not found")));
}

TEST_F(RedisStreamsTest, KeyOfAnotherTypeIsFailedPrecondition) {
  Run({"SET", "plain", "x"});
  for (const std::string& group : {std::string(), std::string("workers")}) {
    auto source = Create(Spec(*server_, "plain", group));
    ASSERT_NE(source, nullptr);
    EXPECT_THAT(source->Sample(Deadline()).status(),
                StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("WRONGTYPE")));
  }
}

TEST_F(RedisStreamsTest, SelectsTheDatabase) {
  Run({"SELECT", "3"});
  Add("orders", 2);
  Run({"SELECT", "0"});
  auto spec = Spec(*server_, "orders");
  Params(spec).database = 3;
  auto source = Create(spec);
  ASSERT_NE(source, nullptr);
  auto reading = SampleOk(*source);
  ASSERT_TRUE(reading.ok());
  EXPECT_EQ(reading->measures.at("length"), 2);

  Params(spec).database = 99;
  auto out_of_range = Create(spec);
  ASSERT_NE(out_of_range, nullptr);
  EXPECT_THAT(out_of_range->Sample(Deadline()).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("SELECT 99 refused")));
}

TEST_F(RedisStreamsTest, DestroyedSourcesReleaseTheirConnection) {
  long long before = ConnectedClients();  // the test's own connection
  auto spec = Spec(*server_, "orders");
  {
    auto source = Create(spec);
    ASSERT_NE(source, nullptr);
    ASSERT_TRUE(SampleOk(*source).ok());
    EXPECT_EQ(ConnectedClients(), before + 1);
  }
  EXPECT_TRUE(Eventually([&] { return ConnectedClients() == before; }));
}

TEST_F(RedisStreamsTest, SourcesOnOneServerShareOneConnection) {
  CreateGroup("orders", "workers");
  Add("invoices");
  long long before = ConnectedClients();
  auto a = Create(Spec(*server_, "orders", "workers"));
  auto b = Create(Spec(*server_, "invoices"));
  auto c = Create(Spec(*server_, "orders", "workers", seconds(1)));  // timing is not identity
  ASSERT_TRUE(a && b && c);
  for (Source* source : {a.get(), b.get(), c.get()}) ASSERT_TRUE(SampleOk(*source).ok());
  EXPECT_EQ(ConnectedClients(), before + 1);

  auto other_db = Spec(*server_, "orders");
  Params(other_db).database = 1;
  auto d = Create(other_db);
  ASSERT_NE(d, nullptr);
  ASSERT_TRUE(SampleOk(*d).ok());
  EXPECT_EQ(ConnectedClients(), before + 2);
}

class RedisPasswordTest : public RedisStreamsTest {
 protected:
  void SetUp() override {
    server_ = RedisServer::Start("requirepass s3cret-Pa55");
    ASSERT_NE(server_, nullptr) << "cannot start redis-server";
  }
};

TEST_F(RedisPasswordTest, WrongPasswordIsUnauthenticatedAndNotEchoed) {
  auto spec = Spec(*server_, "orders");
  Params(spec).password = Secret("wr0ng-Pa55word");
  auto source = Create(spec);
  ASSERT_NE(source, nullptr);
  absl::Status status = source->Sample(Deadline()).status();
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr(server_->address())));
  EXPECT_THAT(std::string(status.message()), Not(HasSubstr("wr0ng")));
  EXPECT_THAT(std::string(status.message()), Not(HasSubstr("s3cret")));
  // An auth failure is not an I/O error: the next sample tries again, without backing off.
  EXPECT_THAT(source->Sample(Deadline()).status(),
              StatusIs(absl::StatusCode::kUnauthenticated, Not(HasSubstr("reconnecting"))));
}

TEST_F(RedisPasswordTest, NoPasswordIsUnauthenticated) {
  auto source = Create(Spec(*server_, "orders"));
  ASSERT_NE(source, nullptr);
  EXPECT_THAT(source->Sample(Deadline()).status(),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("NOAUTH")));
}

TEST_F(RedisPasswordTest, RightPasswordWorks) {
  Add("orders", 2);
  auto spec = Spec(*server_, "orders");
  Params(spec).password = Secret("s3cret-Pa55");
  auto source = Create(spec);
  ASSERT_NE(source, nullptr);
  auto reading = SampleOk(*source);
  ASSERT_TRUE(reading.ok());
  EXPECT_EQ(reading->measures.at("length"), 2);
}

TEST_F(RedisStreamsTest, AclUserWorks) {
  CreateGroup("orders", "workers");
  Add("orders", 2);
  Run({"ACL", "SETUSER", "scaler", "on", ">scaler-pw", "~orders", "+xlen", "+xinfo|groups", "+xrange"});
  auto spec = Spec(*server_, "orders", "workers");
  Params(spec).username = "scaler";
  Params(spec).password = Secret("scaler-pw");
  auto source = Create(spec);
  ASSERT_NE(source, nullptr);
  auto reading = SampleOk(*source);
  ASSERT_TRUE(reading.ok());
  EXPECT_EQ(reading->measures.at("outstanding"), 2);

  Params(spec).password = Secret("not-scaler-pw");
  auto wrong = Create(spec);
  ASSERT_NE(wrong, nullptr);
  absl::Status status = wrong->Sample(Deadline()).status();
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("WRONGPASS")));
  EXPECT_THAT(std::string(status.message()), Not(HasSubstr("not-scaler-pw")));
}

TEST_F(RedisStreamsTest, AclUserWithoutPermissionIsPermissionDenied) {
  CreateGroup("orders", "workers");
  Run({"ACL", "SETUSER", "lengths-only", "on", ">pw-lengths", "~*", "+xlen"});
  auto spec = Spec(*server_, "orders", "workers");
  Params(spec).username = "lengths-only";
  Params(spec).password = Secret("pw-lengths");
  auto source = Create(spec);
  ASSERT_NE(source, nullptr);
  EXPECT_THAT(source->Sample(Deadline()).status(),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("NOPERM")));
}

TEST_F(RedisStreamsTest, StoppedServerIsUnavailableThenBacksOffThenRecovers) {
  CreateGroup("orders", "workers");
  Add("orders", 2);
  auto source = Create(Spec(*server_, "orders", "workers", milliseconds(300)));
  ASSERT_NE(source, nullptr);
  ASSERT_TRUE(SampleOk(*source).ok());

  server_->Stop();
  TimePoint start = SteadyClock::now();
  absl::Status lost = source->Sample(Deadline(seconds(5))).status();
  Figure("stopped server, first sample", start);
  EXPECT_THAT(lost, StatusIs(absl::StatusCode::kUnavailable, HasSubstr(server_->address())));

  // Within the backoff the source does not try to connect, and says when it will.
  absl::Status backing_off = source->Sample(Deadline()).status();
  EXPECT_THAT(backing_off,
              StatusIs(absl::StatusCode::kUnavailable,
                       AllOf(HasSubstr("reconnecting to " + server_->address() + " in 0."),
                             ContainsRegex("in 0\\.[12]s; last error: "))));

  // Once it has passed, one attempt is made (refused), then the backoff doubles.
  absl::Status refused = WaitPastBackoff(*source, seconds(2));
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("Connection refused")));
  EXPECT_THAT(source->Sample(Deadline()).status(),
              StatusIs(absl::StatusCode::kUnavailable,
                       ContainsRegex("in 0\\.[34]s; last error: Connection refused")));

  ASSERT_TRUE(server_->Restart());
  CreateGroup("orders", "workers");  // no persistence: the restarted server is empty
  Add("orders", 3);
  absl::StatusOr<Reading> reading;
  EXPECT_TRUE(Eventually([&] { return (reading = source->Sample(Deadline())).ok(); }));
  ASSERT_TRUE(reading.ok()) << reading.status();
  EXPECT_EQ(reading->measures.at("outstanding"), 3);
}

TEST_F(RedisStreamsTest, UnreachableServerIsUnavailable) {
  auto spec = Spec(*server_, "orders");
  server_->Stop();
  auto source = Create(spec);
  ASSERT_NE(source, nullptr);
  EXPECT_THAT(source->Sample(Deadline()).status(),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("cannot connect to redis at " + server_->address() +
                                 ": Connection refused")));
}

TEST_F(RedisStreamsTest, HungServerTimesOut) {
  Add("orders", 2);
  auto source = Create(Spec(*server_, "orders", "", milliseconds(300)));
  ASSERT_NE(source, nullptr);
  ASSERT_TRUE(SampleOk(*source).ok());

  // The message names the wait that ended the call: min(timeout, deadline - now). With a 5 s
  // deadline that is the 300 ms timeout.
  ScopedSigcont resume(server_->pid());
  ASSERT_EQ(kill(server_->pid(), SIGSTOP), 0);
  TimePoint start = SteadyClock::now();
  absl::Status hung = source->Sample(Deadline(seconds(5))).status();
  Figure("hung server, timeout 300ms", start);
  EXPECT_THAT(hung, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("no reply within 300ms")));

  // Reconnecting to a stopped server succeeds (the kernel accepts), the command still times out.
  hung = WaitPastBackoff(*source, seconds(5));
  EXPECT_THAT(hung, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("no reply within 300ms")));

  // A deadline sooner than the timeout wins: the wait was at most the 100 ms left.
  hung = WaitPastBackoff(*source, milliseconds(100));
  EXPECT_THAT(hung, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("no reply within ")));
  EXPECT_LE(WaitedMillis(hung), 100) << hung;

  ASSERT_EQ(kill(server_->pid(), SIGCONT), 0);
  absl::StatusOr<Reading> reading;
  EXPECT_TRUE(Eventually([&] { return (reading = source->Sample(Deadline())).ok(); }));
  ASSERT_TRUE(reading.ok()) << reading.status();
  EXPECT_EQ(reading->measures.at("length"), 2);
}

// A source waiting for the shared connection gives up at its own deadline, while the holder
// still holds it.
TEST_F(RedisStreamsTest, WaitForASharedConnectionEndsAtTheDeadline) {
  auto slow = Create(Spec(*server_, "orders", "", seconds(3)));
  auto quick = Create(Spec(*server_, "invoices"));
  ASSERT_TRUE(slow && quick);
  ASSERT_TRUE(SampleOk(*slow).ok());

  ScopedSigcont resume(server_->pid());
  ASSERT_EQ(kill(server_->pid(), SIGSTOP), 0);
  std::atomic<bool> slow_done{false};
  std::thread holder([&] {
    (void)slow->Sample(Deadline(seconds(5)));
    slow_done = true;
  });
  // `slow` holds the connection once its command waits, unread, at the stopped server.
  bool in_flight = Eventually([&] { return PendingBytesAtServer(server_->port()) > 0; }, seconds(2),
                              milliseconds(2));
  absl::Status waited;
  if (in_flight) {
    TimePoint start = SteadyClock::now();
    waited = quick->Sample(Deadline(milliseconds(200))).status();
    Figure("wait for a busy shared connection, deadline 200ms", start);
    EXPECT_FALSE(slow_done) << "the holder finished first: its 3 s timeout ended the wait";
  }
  holder.join();
  ASSERT_TRUE(in_flight) << "the holder's command never reached the server";
  EXPECT_THAT(waited,
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("busy past the deadline")));
}

}  // namespace
}  // namespace poolscaler::sources
