// Drain-time mode end to end: a real redis-server stream with a producer and a consumer, a whole
// poolscaler, and the KEDA-like client. The pool asks for ceil((arrival rate + backlog /
// targetDrainSeconds) / perReplicaRate) replicas, from the rates poolscaler derives from
// successive XINFO GROUPS readings (entries-read + lag, entries-read − pending), and falls back
// to the lag rule when Redis cannot give the counters.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <thread>

#include "support/scaler_fixture.h"

namespace poolscaler::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Generous for sanitizer builds on a loaded machine.
constexpr milliseconds kWait{20000};

constexpr char kConfig[] = R"(
sources:
  - {name: jobs, type: redis-streams, address: $REDIS, stream: jobs, consumerGroup: workers,
     sampleInterval: 200ms}
pools:
  - name: drain
    maxReplicas: 1000
    targetDrainSeconds: 20
    perReplicaRate: 2
    rateHalfLifeSeconds: 1
    behavior:
      scaleUp: {tolerance: 0, policies: [{type: Percent, value: 100000, periodSeconds: 1}]}
      scaleDown: {tolerance: 0, stabilizationWindowSeconds: 0}
    signals: [{source: jobs, lagThreshold: 5}]
)";

class DrainKedaTest : public ScalerFixture {
 protected:
  // The pool "drain" in one /pools read (its decision and signals from one evaluation).
  nlohmann::json Pool() const {
    nlohmann::json pools = nlohmann::json::parse(HttpGet("/pools"), nullptr, false);
    if (!pools.is_array()) return {};
    for (const nlohmann::json& p : pools) {
      if (p.value("name", "") == "drain" && p["signals"].is_array() && !p["signals"].empty()) {
        return p;
      }
    }
    return {};
  }
  // The pool's first signal in /pools.
  nlohmann::json Signal() const {
    nlohmann::json p = Pool();
    return p.is_object() ? p["signals"][0] : nlohmann::json{};
  }
  static double Number(const nlohmann::json& j, const char* key) {
    return j.is_object() && j.contains(key) && j[key].is_number() ? j[key].get<double>() : -1;
  }
};

TEST_F(DrainKedaTest, ReplicasFollowArrivalRateAndBacklogThenFallBackWithoutCounters) {
  CreateGroup("jobs", "workers");
  StartScaler(kConfig);
  const std::map<std::string, std::string> meta = {{"pool", "drain"}};
  Poll poll;
  ASSERT_TRUE(Eventually([&] {
    poll = keda_->PollOnce(meta);
    return poll.status.ok() && poll.value == 0 && !poll.active;
  }, kWait)) << poll.status.error_message();

  // A producer adds 4 entries every 100 ms and a consumer takes and acknowledges them all:
  // about 40 jobs/s arrive and the backlog stays near 0, so the pool needs about 40 / 2 = 20.
  std::atomic<bool> stop{false};
  std::atomic<int> produced{0};
  Clock::time_point started = Clock::now();
  std::thread worker([&] {
    while (!stop) {
      AddEntries("jobs", 4);
      produced += 4;
      Ack("jobs", "workers", ReadGroup("jobs", "workers", 100));
      std::this_thread::sleep_for(milliseconds(100));
    }
  });
  // After 4 s (4 rate half-lives) the estimate has settled; check for the next few seconds.
  std::this_thread::sleep_for(std::chrono::seconds(4));
  double worst = 0;
  int checks = 0, agreed = 0;
  for (int i = 0; i < 10; ++i, ++checks) {
    double rate = produced / std::chrono::duration<double>(Clock::now() - started).count();
    // KEDA's answer between two /pools reads: when both show the same decision, the answer is it.
    nlohmann::json before = Pool();
    poll = keda_->PollOnce(meta);
    nlohmann::json pool = Pool();
    ASSERT_TRUE(poll.status.ok()) << poll.status.error_message();
    ASSERT_TRUE(pool.is_object() && before.is_object()) << HttpGet("/pools");
    if (before["desiredReplicas"] == pool["desiredReplicas"]) {
      EXPECT_EQ(poll.value, Number(pool, "desiredReplicas")) << pool.dump();
      ++agreed;
    }
    const nlohmann::json& s = pool["signals"][0];
    ASSERT_TRUE(s.contains("drain")) << s.dump();
    EXPECT_EQ(s["drain"]["rule"], "drain-time") << s.dump();
    double arrivals = Number(s["drain"], "arrivalsPerSecond");
    double completions = Number(s["drain"], "completionsPerSecond");
    EXPECT_EQ(Number(s["drain"], "perReplicaRate"), 2);
    // The pool's target is the formula applied to the signal of the same evaluation.
    double backlog = Number(s, "value");
    EXPECT_EQ(Number(pool, "desiredReplicas"), std::ceil((arrivals + backlog / 20) / 2 - 1e-9))
        << pool.dump();
    // And the estimate tracks the real rate.
    worst = std::max({worst, std::fabs(arrivals / rate - 1), std::fabs(completions / rate - 1)});
    EXPECT_NEAR(arrivals, rate, 0.3 * rate) << s.dump();
    EXPECT_NEAR(completions, rate, 0.3 * rate) << s.dump();
    EXPECT_TRUE(poll.active);
    std::this_thread::sleep_for(milliseconds(300));
  }
  // The decision moves at most a little between reads 300 ms apart: most checks compare.
  EXPECT_GE(agreed, 5);
  stop = true;
  worker.join();
  std::printf(
      "[figures] drain-time: %d jobs in %.1f s; arrival/completion estimate within %.0f %% "
      "of the real rate over %d checks; KEDA got ceil((arrivals + backlog/20) / 2) in the %d "
      "checks with one decision around the poll\n",
      produced.load(), std::chrono::duration<double>(Clock::now() - started).count(), 100 * worst,
      checks, agreed);

  // Arrivals stop: the estimate decays and the pool goes back to 0.
  ASSERT_TRUE(Eventually([&] {
    poll = keda_->PollOnce(meta);
    return poll.status.ok() && poll.value == 0 && !poll.active;
  }, kWait)) << poll.status.error_message() << " value=" << poll.value;

  // XDEL of an entry past the group's last-delivered id: Redis's lag turns nil, so there are no
  // counters and the lag rule applies: 12 entries (one deleted) / lagThreshold 5 = 3.
  AddEntries("jobs", 10);
  std::string victim = redis_->Command({"XADD", "jobs", "*", "n", "x"}).str;
  AddEntries("jobs", 2);
  redis_->Command({"XDEL", "jobs", victim});
  ASSERT_TRUE(Eventually([&] {
    poll = keda_->PollOnce(meta);
    return poll.status.ok() && poll.value == 3;
  }, kWait)) << poll.status.error_message() << " value=" << poll.value;
  nlohmann::json s = Signal();
  EXPECT_EQ(s["drain"]["rule"], "lag (rates not known yet)") << s.dump();
  EXPECT_EQ(Number(s, "value"), 12);
}

}  // namespace
}  // namespace poolscaler::testing
