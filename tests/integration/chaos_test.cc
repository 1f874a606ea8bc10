// Chaos with a real redis-server while a KEDA-like client polls every 100 ms: the broker is
// killed with SIGKILL and restarted again and again, frozen with SIGSTOP (a hang, not a refusal),
// and the config holds 200 sources of which a quarter point at dead ports. What must hold:
//   - poolscaler never crashes and every RPC returns promptly (no handler waits on a broker);
//   - it never answers a value other than the truth: while it cannot know, it says UNAVAILABLE;
//   - once the broker is back, fresh values are served within 2 s.
// Redis runs with appendfsync always, so the stream (the truth: 7 outstanding entries)
// survives SIGKILL.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <thread>

#include "poolscaler/runtime/runtime.h"
#include "support/eventually.h"
#include "support/keda_client.h"
#include "support/process.h"
#include "support/redis_server.h"
#include "support/temp_dir.h"

namespace poolscaler::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr int kTruth = 7;  // outstanding entries in the stream, all along

class Chaos : public ::testing::Test {
 protected:
  void SetUp() override {
    redis_ = RedisServer::Start("appendonly yes\nappendfsync always\n");
    ASSERT_NE(redis_, nullptr);
    redis_->Command({"XGROUP", "CREATE", "jobs", "workers", "$", "MKSTREAM"});
    for (int i = 0; i < kTruth; ++i) redis_->Command({"XADD", "jobs", "*", "n", std::to_string(i)});
  }

  void StartScaler(const std::string& yaml) {
    runtime::Options o;
    o.config_path = dir_.Write("poolscaler.yaml", yaml);
    o.grpc_listen = "127.0.0.1:0";
    o.http_listen = "127.0.0.1:0";
    scaler_ = std::make_unique<runtime::Runtime>(o);
    absl::Status st = scaler_->Start();
    ASSERT_TRUE(st.ok()) << st;
    keda_ = std::make_unique<KedaClient>("127.0.0.1:" + std::to_string(scaler_->grpc_port()));
  }

  std::string OnePool() const {
    return "defaults: {sampleInterval: 100ms, staleAfter: 500ms, timeout: 100ms}\n"
           "sources:\n  - {name: jobs, type: redis-streams, address: " + redis_->address() +
           ", stream: jobs, consumerGroup: workers}\n"
           "pools:\n  - {name: jobs, maxReplicas: 100, signals: [{source: jobs, lagThreshold: 1}]}\n";
  }

  // What the poller saw.
  struct Tally {
    int ok = 0, unavailable = 0, wrong = 0, other = 0;
    double slowest_ms = 0;
    Clock::time_point last_ok{};
  };

  // Polls pool "jobs" every 100 ms on a thread while `chaos` runs on this one.
  template <typename F>
  Tally PollDuring(F chaos) {
    Tally t;
    std::atomic<bool> done{false};
    std::mutex mu;
    std::thread poller([&] {
      while (!done) {
        auto t0 = Clock::now();
        Poll p = keda_->PollOnce({{"pool", "jobs"}});
        double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
        {
          std::lock_guard lock(mu);
          t.slowest_ms = std::max(t.slowest_ms, ms);
          if (p.status.ok()) {
            if (p.value == kTruth) {
              t.ok++;
              t.last_ok = Clock::now();
            } else {
              t.wrong++;
              ADD_FAILURE() << "served " << p.value << " while the truth is " << kTruth;
            }
          } else if (p.status.error_code() == grpc::StatusCode::UNAVAILABLE) {
            t.unavailable++;
          } else {
            t.other++;
            ADD_FAILURE() << p.failed_rpc << ": " << p.status.error_message();
          }
        }
        std::this_thread::sleep_until(t0 + milliseconds(100));
      }
    });
    chaos([&] {
      std::lock_guard lock(mu);
      return t.last_ok;
    });
    done = true;
    poller.join();
    std::printf("polls: %d ok, %d UNAVAILABLE, %d wrong, %d other; slowest %.1f ms\n", t.ok,
                t.unavailable, t.wrong, t.other, t.slowest_ms);
    return t;
  }

  // After the broker is back at `back`: an OK poll must come within 2 s.
  template <typename LastOk>
  void ExpectFreshWithin2s(LastOk last_ok, Clock::time_point back, const std::string& what) {
    bool fresh = Eventually([&] { return last_ok() > back; }, std::chrono::seconds(2),
                            milliseconds(20));
    EXPECT_TRUE(fresh) << "no fresh value within 2 s after " << what;
  }

  TempDir dir_;
  std::unique_ptr<RedisServer> redis_;
  std::unique_ptr<runtime::Runtime> scaler_;
  std::unique_ptr<KedaClient> keda_;
};

TEST_F(Chaos, KilledAndRestartedBrokerNeverYieldsAWrongValue) {
  StartScaler(OnePool());
  ASSERT_TRUE(Eventually([&] { return keda_->PollOnce({{"pool", "jobs"}}).status.ok(); }));
  Tally t = PollDuring([&](auto last_ok) {
    for (int round = 0; round < 5; ++round) {
      std::this_thread::sleep_for(milliseconds(700));
      ASSERT_EQ(kill(redis_->pid(), SIGKILL), 0);
      std::this_thread::sleep_for(milliseconds(900));  // down longer than staleAfter
      ASSERT_TRUE(redis_->Restart());
      ExpectFreshWithin2s(last_ok, Clock::now(), "restart " + std::to_string(round + 1));
    }
  });
  EXPECT_EQ(t.wrong, 0);
  EXPECT_EQ(t.other, 0);
  EXPECT_GT(t.unavailable, 0) << "the outages were never noticed";
  EXPECT_GT(t.ok, 10);
  EXPECT_LT(t.slowest_ms, 1000) << "a poll waited on the broker";
}

TEST_F(Chaos, FrozenBrokerTimesOutInsteadOfHangingTheScaler) {
  StartScaler(OnePool());
  ASSERT_TRUE(Eventually([&] { return keda_->PollOnce({{"pool", "jobs"}}).status.ok(); }));
  Tally t = PollDuring([&](auto last_ok) {
    for (int round = 0; round < 2; ++round) {
      std::this_thread::sleep_for(milliseconds(500));
      ASSERT_EQ(kill(redis_->pid(), SIGSTOP), 0);  // connections stay open; nothing answers
      std::this_thread::sleep_for(milliseconds(2000));
      ASSERT_EQ(kill(redis_->pid(), SIGCONT), 0);
      ExpectFreshWithin2s(last_ok, Clock::now(), "SIGCONT " + std::to_string(round + 1));
    }
  });
  EXPECT_EQ(t.wrong, 0);
  EXPECT_EQ(t.other, 0);
  EXPECT_GT(t.unavailable, 0) << "a hung broker was never reported";
  EXPECT_LT(t.slowest_ms, 1000) << "a poll waited on the hung broker";
}

TEST_F(Chaos, TwoHundredSourcesWithAQuarterDeadStayCorrect) {
  // 150 live sources (one stream each, i % 5 entries) and 50 at dead ports (free a moment ago:
  // connections are refused).
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
            (dead ? "127.0.0.1:" + std::to_string(FreeLoopbackPort()) : redis_->address()) +
            ", stream: " + stream + ", consumerGroup: g}\n";
    pools += "  - {name: " + stream + ", maxReplicas: 100, signals: [{source: " + stream +
             ", lagThreshold: 1}]}\n";
  }
  StartScaler(yaml + pools);
  // Every pool settles: live ones with their exact lag, dead ones UNAVAILABLE — and stay so.
  for (int pass = 0; pass < 3; ++pass) {
    std::this_thread::sleep_for(milliseconds(pass == 0 ? 2000 : 1000));
    int live_ok = 0, dead_unavailable = 0;
    for (int i = 0; i < 200; ++i) {
      Poll p = keda_->PollOnce({{"pool", "s" + std::to_string(i)}});
      if (i % 4 == 3) {
        EXPECT_EQ(p.status.error_code(), grpc::StatusCode::UNAVAILABLE) << "pool s" << i;
        dead_unavailable += p.status.error_code() == grpc::StatusCode::UNAVAILABLE;
      } else {
        ASSERT_TRUE(p.status.ok()) << "pool s" << i << ": " << p.status.error_message();
        EXPECT_EQ(p.value, i % 5) << "pool s" << i;
        live_ok++;
      }
    }
    EXPECT_EQ(live_ok, 150);
    EXPECT_EQ(dead_unavailable, 50);
  }
}

}  // namespace
}  // namespace poolscaler::testing
