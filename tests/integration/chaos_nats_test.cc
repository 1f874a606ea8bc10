// Chaos with a real nats-server (JetStream, file store) while a KEDA-like client polls every
// 100 ms (chaos_harness.h): SIGKILL and restart on the same port and store, again and again, and
// SIGSTOP (the connection stays open, nothing answers). The truth: a durable consumer with 7
// messages outstanding, kept on disk across the kills.
#include <signal.h>

#include "chaos_harness.h"
#include "support/nats_server.h"

namespace poolscaler::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr int kTruth = 7;

class ChaosNats : public ::testing::Test, public ChaosHarness {
 protected:
  void SetUp() override {
    server_ = NatsServer::Start();
    ASSERT_NE(server_, nullptr);
    auto client = NatsClient::Connect(server_->url());
    ASSERT_NE(client, nullptr);
    ASSERT_TRUE(client->AddStream("JOBS", {"jobs.>"}));
    ASSERT_TRUE(client->AddPullConsumer("JOBS", "workers", "jobs.small"));
    ASSERT_TRUE(client->Publish("jobs.small", kTruth));  // JetStream-acked: stored
    StartScaler("{name: jobs, type: nats-jetstream, natsServer: " + server_->url() +
                ", stream: JOBS, consumer: workers}");
    ASSERT_TRUE(WaitForTruth(kTruth));
  }
  void TearDown() override { StopScaler(); }

  // When the restarted server first answers the consumer's question with the truth.
  Clock::time_point WaitUntilServerAnswers() {
    auto client = NatsClient::Connect(server_->url());
    EXPECT_NE(client, nullptr);
    if (client == nullptr) return Clock::now();
    EXPECT_TRUE(Eventually([&] { return client->Outstanding("JOBS", "workers") == kTruth; },
                           std::chrono::seconds(10), milliseconds(10)));
    return Clock::now();
  }

  std::unique_ptr<NatsServer> server_;
};

TEST_F(ChaosNats, KilledAndRestartedServerNeverYieldsAWrongValue) {
  double slowest_recovery = 0;
  Tally t = PollDuring(kTruth, [&](auto last_ok) {
    for (int round = 0; round < 4; ++round) {
      std::this_thread::sleep_for(milliseconds(700));
      server_->Kill();
      std::this_thread::sleep_for(milliseconds(900));  // down longer than staleAfter
      ASSERT_TRUE(server_->Restart()) << server_->LogTail();
      Clock::time_point back = WaitUntilServerAnswers();
      slowest_recovery = std::max(
          slowest_recovery, ExpectFreshWithin2s(last_ok, back, "restart " + std::to_string(round + 1)));
    }
  });
  ExpectHeld(t);
  std::printf("[figures] nats-server SIGKILL+restart x4: %d OK (all the truth), %d UNAVAILABLE, "
              "0 wrong; fresh at most %.2f s after the server answered again; slowest poll %.1f ms\n",
              t.ok, t.unavailable, slowest_recovery, t.slowest_ms);
}

TEST_F(ChaosNats, FrozenServerTimesOutInsteadOfHangingTheScaler) {
  Tally t = PollDuring(kTruth, [&](auto last_ok) {
    for (int round = 0; round < 2; ++round) {
      std::this_thread::sleep_for(milliseconds(500));
      ASSERT_EQ(kill(server_->pid(), SIGSTOP), 0);
      std::this_thread::sleep_for(milliseconds(2000));
      ASSERT_EQ(kill(server_->pid(), SIGCONT), 0);
      ExpectFreshWithin2s(last_ok, Clock::now(), "SIGCONT " + std::to_string(round + 1));
    }
  });
  ExpectHeld(t);
  std::printf("[figures] nats-server SIGSTOP 2 s x2: 0 wrong, %d UNAVAILABLE, slowest poll %.1f ms\n",
              t.unavailable, t.slowest_ms);
}

}  // namespace
}  // namespace poolscaler::testing
