// Chaos with a real redis-server while a KEDA-like client polls every 100 ms (chaos_harness.h):
// the broker is killed with SIGKILL and restarted again and again, frozen with SIGSTOP (a hang,
// not a refusal), and the config holds 200 sources of which a quarter point at dead ports.
// Redis runs with appendfsync always, so the stream (the truth: 7 outstanding entries)
// survives SIGKILL. chaos_nats_test.cc and chaos_rabbitmq_test.cc do the same to the others.
#include <signal.h>

#include "chaos_harness.h"
#include "support/process.h"
#include "support/redis_server.h"

namespace poolscaler::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr int kTruth = 7;  // outstanding entries in the stream, all along

class Chaos : public ::testing::Test, public ChaosHarness {
 protected:
  void SetUp() override {
    redis_ = RedisServer::Start("appendonly yes\nappendfsync always\n");
    ASSERT_NE(redis_, nullptr);
    redis_->Command({"XGROUP", "CREATE", "jobs", "workers", "$", "MKSTREAM"});
    for (int i = 0; i < kTruth; ++i) redis_->Command({"XADD", "jobs", "*", "n", std::to_string(i)});
  }
  void TearDown() override { StopScaler(); }

  std::string OneSource() const {
    return "{name: jobs, type: redis-streams, address: " + redis_->address() +
           ", stream: jobs, consumerGroup: workers}";
  }

  std::unique_ptr<RedisServer> redis_;
};

TEST_F(Chaos, KilledAndRestartedBrokerNeverYieldsAWrongValue) {
  double slowest_recovery = 0;
  StartScaler(OneSource());
  ASSERT_TRUE(WaitForTruth(kTruth));
  Tally t = PollDuring(kTruth, [&](auto last_ok) {
    for (int round = 0; round < 5; ++round) {
      std::this_thread::sleep_for(milliseconds(700));
      ASSERT_EQ(kill(redis_->pid(), SIGKILL), 0);
      std::this_thread::sleep_for(milliseconds(900));  // down longer than staleAfter
      ASSERT_TRUE(redis_->Restart());
      slowest_recovery = std::max(slowest_recovery, ExpectFreshWithin2s(last_ok, Clock::now(),
                                  "restart " + std::to_string(round + 1)));
    }
  });
  ExpectHeld(t);
  std::printf("[figures] redis-server SIGKILL+restart x5: %d OK (all the truth), %d UNAVAILABLE, "
              "0 wrong; fresh at most %.2f s after the restart; slowest poll %.1f ms\n",
              t.ok, t.unavailable, slowest_recovery, t.slowest_ms);
}

TEST_F(Chaos, FrozenBrokerTimesOutInsteadOfHangingTheScaler) {
  StartScaler(OneSource());
  ASSERT_TRUE(WaitForTruth(kTruth));
  Tally t = PollDuring(kTruth, [&](auto last_ok) {
    for (int round = 0; round < 2; ++round) {
      std::this_thread::sleep_for(milliseconds(500));
      ASSERT_EQ(kill(redis_->pid(), SIGSTOP), 0);  // connections stay open; nothing answers
      std::this_thread::sleep_for(milliseconds(2000));
      ASSERT_EQ(kill(redis_->pid(), SIGCONT), 0);
      ExpectFreshWithin2s(last_ok, Clock::now(), "SIGCONT " + std::to_string(round + 1));
    }
  });
  ExpectHeld(t);
  std::printf("[figures] redis-server SIGSTOP 2 s x2: 0 wrong, %d UNAVAILABLE, slowest poll "
              "%.1f ms\n", t.unavailable, t.slowest_ms);
}

TEST_F(Chaos, TwoHundredSourcesWithAQuarterDeadStayCorrect) {
  // 150 live sources (one stream each, i % 5 entries) and 50 at a dead port (port 1, where
  // nothing listens and no other test can start a server: connections are refused).
  std::string yaml = "defaults: {sampleInterval: 250ms, staleAfter: 1500ms, timeout: 200ms}\nsources:\n";
  std::string pools = "pools:\n";
  for (int i = 0; i < 200; ++i) {
    bool dead = i % 4 == 3;
    std::string stream = "s" + std::to_string(i);
    if (!dead) {
      redis_->Command({"XGROUP", "CREATE", stream, "g", "$", "MKSTREAM"});
      for (int k = 0; k < i % 5; ++k) redis_->Command({"XADD", stream, "*", "k", "v"});
    }
    yaml += "  - {name: " + stream + ", type: redis-streams, address: " +
            (dead ? std::string("127.0.0.1:1") : redis_->address()) +
            ", stream: " + stream + ", consumerGroup: g}\n";
    pools += "  - {name: " + stream + ", maxReplicas: 100, signals: [{source: " + stream +
             ", lagThreshold: 1}]}\n";
  }
  StartScalerWithConfig(yaml + pools);
  // One pass of KEDA polls over every pool: live ones with their exact lag, dead ones UNAVAILABLE.
  struct Pass {
    int live_ok = 0, dead_unavailable = 0;
    std::string first_wrong;
  };
  auto poll_all = [&] {
    Pass pass;
    for (int i = 0; i < 200; ++i) {
      Poll p = keda_->PollOnce({{"pool", "s" + std::to_string(i)}});
      bool right = i % 4 == 3 ? p.status.error_code() == grpc::StatusCode::UNAVAILABLE
                              : p.status.ok() && p.value == i % 5;
      (i % 4 == 3 ? pass.dead_unavailable : pass.live_ok) += right;
      if (!right && pass.first_wrong.empty()) {
        pass.first_wrong =
            "pool s" + std::to_string(i) + ": " +
            (p.status.ok() ? "value " + std::to_string(p.value) : p.status.error_message());
      }
    }
    return pass;
  };
  // Every pool settles (a generous deadline: 200 first samples on a loaded machine) ...
  auto started = std::chrono::steady_clock::now();
  Pass pass;
  ASSERT_TRUE(Eventually([&] { return (pass = poll_all()).first_wrong.empty(); },
                         std::chrono::seconds(30), milliseconds(200)))
      << pass.live_ok << " live right, " << pass.dead_unavailable << " dead UNAVAILABLE; "
      << pass.first_wrong;
  std::printf("[figures] 200 sources, 50 dead: every pool right %.1f s after start\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  // ... and stays so, pass after pass (each pass takes several sample intervals).
  for (int n = 0; n < 3; ++n) {
    std::this_thread::sleep_for(milliseconds(500));
    pass = poll_all();
    EXPECT_EQ(pass.live_ok, 150) << pass.first_wrong;
    EXPECT_EQ(pass.dead_unavailable, 50) << pass.first_wrong;
  }
}

}  // namespace
}  // namespace poolscaler::testing
