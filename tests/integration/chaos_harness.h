#pragma once
// The chaos tests' common part: a whole poolscaler (the Runtime `serve` runs) with one pool
// "jobs" on one source, and a KEDA-like client polling it every 100 ms on its own thread while
// the test breaks the broker. What must hold for every broker:
//   - poolscaler never crashes and every RPC returns promptly (no handler waits on a broker);
//   - it never answers a value other than the truth: while it cannot know, it says UNAVAILABLE;
//   - once the broker answers again, fresh values are served within 2 s.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "poolscaler/runtime/runtime.h"
#include "support/eventually.h"
#include "support/keda_client.h"
#include "support/temp_dir.h"

namespace poolscaler::testing {

class ChaosHarness {
 public:
  using Clock = std::chrono::steady_clock;

  // What the poller saw.
  struct Tally {
    int ok = 0, unavailable = 0, wrong = 0, other = 0;
    double slowest_ms = 0;
    Clock::time_point last_ok{};
  };

  // Starts poolscaler with `source` (one YAML flow map, named "jobs") feeding pool "jobs"
  // (lagThreshold 1, so the metric is the source's value); `defaults` sets sampling: every
  // 100 ms, stale after 500 ms, each call bounded by 100 ms unless a slower broker needs more.
  void StartScaler(const std::string& source,
                   const std::string& defaults = "{sampleInterval: 100ms, staleAfter: 500ms, "
                                                 "timeout: 100ms}") {
    StartScalerWithConfig(
        "defaults: " + defaults + "\n" +
        "sources:\n  - " + source + "\n" +
        "pools:\n  - {name: jobs, maxReplicas: 100, signals: [{source: jobs, lagThreshold: 1}]}\n");
  }

  void StartScalerWithConfig(const std::string& yaml) {
    runtime::Options o;
    o.config_path = dir_.Write("poolscaler.yaml", yaml);
    o.grpc_listen = "127.0.0.1:0";
    o.http_listen = "127.0.0.1:0";
    scaler_ = std::make_unique<runtime::Runtime>(o);
    absl::Status st = scaler_->Start();
    ASSERT_TRUE(st.ok()) << st;
    keda_ = std::make_unique<KedaClient>("127.0.0.1:" + std::to_string(scaler_->grpc_port()));
  }

  void StopScaler() {
    keda_.reset();
    scaler_.reset();
  }

  // Waits (<= `wait`) until pool "jobs" answers `truth`.
  bool WaitForTruth(double truth, std::chrono::milliseconds wait = std::chrono::seconds(20)) {
    return Eventually([&] {
      Poll p = keda_->PollOnce({{"pool", "jobs"}});
      return p.status.ok() && p.value == truth;
    }, wait);
  }

  // Polls pool "jobs" every 100 ms on a thread while `chaos` runs on this one; `chaos` gets a
  // function returning the time of the latest poll that got the truth.
  Tally PollDuring(double truth, const std::function<void(std::function<Clock::time_point()>)>& chaos) {
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
            if (p.value == truth) {
              t.ok++;
              t.last_ok = Clock::now();
            } else {
              t.wrong++;
              ADD_FAILURE() << "served " << p.value << " while the truth is " << truth;
            }
          } else if (p.status.error_code() == grpc::StatusCode::UNAVAILABLE) {
            t.unavailable++;
          } else {
            t.other++;
            ADD_FAILURE() << p.failed_rpc << ": " << p.status.error_message();
          }
        }
        std::this_thread::sleep_until(t0 + std::chrono::milliseconds(100));
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

  // After the broker answers again at `back`: a poll with the truth must come within 2 s.
  // Returns how long it took (seconds), or -1.
  static double ExpectFreshWithin2s(const std::function<Clock::time_point()>& last_ok,
                                    Clock::time_point back, const std::string& what) {
    bool fresh = Eventually([&] { return last_ok() > back; }, std::chrono::seconds(2),
                            std::chrono::milliseconds(20));
    EXPECT_TRUE(fresh) << "no fresh value within 2 s after " << what;
    return fresh ? std::chrono::duration<double>(last_ok() - back).count() : -1;
  }

  // The verdict every chaos run shares.
  static void ExpectHeld(const Tally& t) {
    EXPECT_EQ(t.wrong, 0);
    EXPECT_EQ(t.other, 0);
    EXPECT_GT(t.unavailable, 0) << "the outages were never noticed";
    EXPECT_GT(t.ok, 10);
    EXPECT_LT(t.slowest_ms, 1000) << "a poll waited on the broker";
  }

  TempDir dir_;
  std::unique_ptr<runtime::Runtime> scaler_;
  std::unique_ptr<KedaClient> keda_;
};

}  // namespace poolscaler::testing
