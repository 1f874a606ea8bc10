// The nats-jetstream source against a real `nats-server -js` (tests/support/nats_server.h):
// pending / ack_pending through publish, fetch, ack, nak and redelivery; independent filtered
// consumers; stream length; NOT_FOUND; backoff without a server; one shared connection.
// Authentication and TLS are in nats_auth_test.cc.
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "poolscaler/config/source_spec.h"
#include "poolscaler/sources/nats_jetstream.h"
#include "poolscaler/sources/source.h"
#include "support/eventually.h"
#include "support/nats_server.h"
#include "integration/nats_test_helpers.h"

namespace poolscaler::sources {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::AllOf;
using ::testing::HasSubstr;
using poolscaler::testing::Eventually;
using poolscaler::testing::NatsClient;
using poolscaler::testing::NatsServer;


using namespace nats_test;  // NOLINT: the shared test helpers

class NatsJetStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = NatsServer::Start();
    ASSERT_NE(server_, nullptr);
    client_ = NatsClient::Connect(server_->url());
    ASSERT_NE(client_, nullptr);
    ASSERT_TRUE(client_->AddStream("JOBS", {"jobs.>"}));
    ASSERT_TRUE(client_->AddPullConsumer("JOBS", "parse-small", "jobs.parse.small"));
    ASSERT_TRUE(client_->AddPullConsumer("JOBS", "parse-large", "jobs.parse.large"));
  }
  void TearDown() override {
    client_.reset();
    server_.reset();
  }

  std::unique_ptr<NatsServer> server_;
  std::unique_ptr<NatsClient> client_;
  NatsJetStreamFactory factory_;
};

TEST_F(NatsJetStreamTest, PendingAndAckPendingThroughFetchAckNakAndRedelivery) {
  auto small = factory_.Create(Spec(server_->url(), "JOBS", "parse-small"));
  auto large = factory_.Create(Spec(server_->url(), "JOBS", "parse-large"));
  auto stream = factory_.Create(Spec(server_->url(), "JOBS"));
  ASSERT_TRUE(small.ok() && large.ok() && stream.ok());

  auto m = SampleUntil(**small, config::kMeasureOutstanding, 0);
  EXPECT_EQ(m[config::kMeasurePending], 0);
  EXPECT_EQ(m[config::kMeasureAckPending], 0);

  ASSERT_TRUE(client_->Publish("jobs.parse.small", 10));
  ASSERT_TRUE(client_->Publish("jobs.parse.large", 3));
  ASSERT_TRUE(client_->Publish("jobs.other", 2));  // in the stream, matched by neither consumer
  m = SampleUntil(**small, config::kMeasurePending, 10);
  PrintReading("published 10 small", m);
  EXPECT_EQ(m[config::kMeasurePending], 10);
  EXPECT_EQ(m[config::kMeasureAckPending], 0);
  EXPECT_EQ(m[config::kMeasureOutstanding], 10);
  EXPECT_EQ(m[config::kMeasureRedelivered], 0);
  EXPECT_EQ(m[config::kMeasureArrivedTotal], 10);  // drain-time counters
  EXPECT_EQ(m[config::kMeasureCompletedTotal], 0);
  auto l = SampleUntil(**large, config::kMeasurePending, 3);
  EXPECT_EQ(l[config::kMeasureOutstanding], 3);
  EXPECT_EQ(SampleUntil(**stream, config::kMeasureLength, 15)[config::kMeasureLength], 15);

  // Fetched, not acked: moves from pending to ack_pending; outstanding unchanged.
  ASSERT_EQ(client_->Fetch("JOBS", "parse-small", 4), 4);
  m = SampleUntil(**small, config::kMeasureAckPending, 4);
  PrintReading("fetched 4, no ack", m);
  EXPECT_EQ(m[config::kMeasurePending], 6);
  EXPECT_EQ(m[config::kMeasureOutstanding], 10);
  EXPECT_EQ(m[config::kMeasureDeliveredSeq], 4);  // small messages are stream seqs 1..10
  EXPECT_EQ(m[config::kMeasureAckFloorSeq], 0);
  EXPECT_EQ(m[config::kMeasureArrivedTotal], 10);  // 6 pending + 4 delivered
  EXPECT_EQ(m[config::kMeasureCompletedTotal], 0);
  // The other filtered consumer on the same stream is independent.
  l = SampleUntil(**large, config::kMeasurePending, 3);
  EXPECT_EQ(l[config::kMeasureAckPending], 0);
  EXPECT_EQ(l[config::kMeasureOutstanding], 3);

  ASSERT_EQ(client_->Ack("parse-small", 2), 2);
  m = SampleUntil(**small, config::kMeasureAckPending, 2);
  PrintReading("acked 2", m);
  EXPECT_EQ(m[config::kMeasurePending], 6);
  EXPECT_EQ(m[config::kMeasureOutstanding], 8);
  EXPECT_EQ(m[config::kMeasureAckFloorSeq], 2);
  EXPECT_EQ(m[config::kMeasureCompletedTotal], 2);

  // Nak'ed messages are still outstanding work (waiting for redelivery).
  ASSERT_EQ(client_->Nak("parse-small", 2), 2);
  std::this_thread::sleep_for(milliseconds(200));
  m = SampleUntil(**small, config::kMeasureOutstanding, 8);
  PrintReading("nak'ed 2", m);
  EXPECT_EQ(m[config::kMeasureOutstanding], 8);

  // Redelivered on the next fetch (before the undelivered ones).
  ASSERT_EQ(client_->Fetch("JOBS", "parse-small", 2), 2);
  m = SampleUntil(**small, config::kMeasureRedelivered, 2);
  PrintReading("fetched 2 again (redelivered)", m);
  EXPECT_EQ(m[config::kMeasureRedelivered], 2);
  EXPECT_EQ(m[config::kMeasureAckPending], 2);
  EXPECT_EQ(m[config::kMeasurePending], 6);
  EXPECT_EQ(m[config::kMeasureOutstanding], 8);
  // A redelivery is work arriving again: both counters count it, their difference stays
  // the outstanding work.
  EXPECT_EQ(m[config::kMeasureArrivedTotal], 12);
  EXPECT_EQ(m[config::kMeasureCompletedTotal], 4);

  ASSERT_EQ(client_->Ack("parse-small", 2), 2);
  m = SampleUntil(**small, config::kMeasureOutstanding, 6);
  PrintReading("acked the redelivered 2", m);
  EXPECT_EQ(m[config::kMeasureAckPending], 0);
  EXPECT_EQ(m[config::kMeasureRedelivered], 0);
  EXPECT_EQ(m[config::kMeasureAckFloorSeq], 4);
  EXPECT_EQ(m[config::kMeasureArrivedTotal] - m[config::kMeasureCompletedTotal], 6);
  // Still independent.
  EXPECT_EQ(SampleUntil(**large, config::kMeasurePending, 3)[config::kMeasureOutstanding], 3);
}

TEST_F(NatsJetStreamTest, MissingStreamOrConsumerIsNotFound) {
  auto no_consumer = factory_.Create(Spec(server_->url(), "JOBS", "nope"));
  auto no_stream = factory_.Create(Spec(server_->url(), "NOPE", "parse-small"));
  auto no_stream_length = factory_.Create(Spec(server_->url(), "NOPE"));
  EXPECT_THAT((*no_consumer)->Sample(Deadline()).status(),
              StatusIs(absl::StatusCode::kNotFound,
                       AllOf(HasSubstr("consumer \"nope\""), HasSubstr("\"JOBS\""),
                             HasSubstr(server_->url()))));
  EXPECT_THAT((*no_stream)->Sample(Deadline()).status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("stream \"NOPE\" not found")));
  EXPECT_THAT((*no_stream_length)->Sample(Deadline()).status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("stream \"NOPE\" not found")));
}

TEST_F(NatsJetStreamTest, NoServerIsUnavailableQuicklyAndRetriesWithBackoff) {
  // Port 1: nothing listens there, and no other test can start a server on it meanwhile.
  auto source = factory_.Create(Spec("nats://127.0.0.1:1", "JOBS", "c"));
  auto start = SteadyClock::now();
  auto r = (*source)->Sample(Deadline(milliseconds(500)));
  EXPECT_LT(SteadyClock::now() - start, milliseconds(600));
  EXPECT_THAT(r.status(), StatusIs(absl::StatusCode::kUnavailable,
                                   HasSubstr("nats://127.0.0.1:1")));
  EXPECT_THAT((*source)->Sample(Deadline()).status(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("reconnecting to nats at")));
}

TEST(NatsSharingTest, SourcesOnOneServerShareOneConnection) {
  // A server that accepts a single client connection: if the three sources each opened their
  // own, two of them would be refused.
  auto server = NatsServer::Start("max_connections: 1");
  ASSERT_NE(server, nullptr);
  {
    auto client = NatsClient::Connect(server->url());
    ASSERT_NE(client, nullptr);
    ASSERT_TRUE(client->AddStream("JOBS", {"jobs.>"}));
    ASSERT_TRUE(client->AddPullConsumer("JOBS", "parse-small", "jobs.parse.small"));
    ASSERT_TRUE(client->AddPullConsumer("JOBS", "parse-large", "jobs.parse.large"));
    ASSERT_TRUE(client->Publish("jobs.parse.large", 2));
  }  // the set-up client's connection is closed here
  NatsJetStreamFactory factory;
  auto small = factory.Create(Spec(server->url(), "JOBS", "parse-small"));
  auto large = factory.Create(Spec(server->url(), "JOBS", "parse-large"));
  auto stream = factory.Create(Spec(server->url(), "JOBS"));
  ASSERT_TRUE(Eventually([&] { return (*small)->Sample(Deadline()).ok(); }));
  for (int i = 0; i < 3; ++i) {
    auto a = (*small)->Sample(Deadline());
    auto b = (*large)->Sample(Deadline());
    auto c = (*stream)->Sample(Deadline());
    ASSERT_TRUE(a.ok() && b.ok() && c.ok()) << a.status() << b.status() << c.status();
    EXPECT_EQ(b->measures[config::kMeasureOutstanding], 2);
    EXPECT_EQ(c->measures[config::kMeasureLength], 2);
  }
  // Proof that the limit bites: a second factory (its own pool) cannot get a connection.
  NatsJetStreamFactory other_factory;
  absl::Status refused =
      (*other_factory.Create(Spec(server->url(), "JOBS", "parse-small")))->Sample(Deadline()).status();
  std::printf("[figures] second connection to a max_connections=1 server: %s\n",
              refused.ToString().c_str());
  // nats.c reports the server's -ERR or, when the close wins the race, the missing PONG.
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kUnavailable,
                                HasSubstr("the server ended the handshake")));
  // When every source is gone the connection closes: a new client gets the one slot.
  small->reset();
  large->reset();
  stream->reset();
  EXPECT_NE(NatsClient::Connect(server->url()), nullptr);
}

}  // namespace
}  // namespace poolscaler::sources
