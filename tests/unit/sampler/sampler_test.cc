// Sampler scheduling: one sample per interval per source, never two at once for one source,
// removal stops sampling, a slow source does not produce catch-up bursts. The sources here are
// counting stand-ins and time is a ManualClock the test moves: what is tested is the scheduler's
// arithmetic, exactly, not a broker nor the machine's speed.
//
// The sampler's threads sleep on a real condition variable for (due - now) of the manual clock,
// then look at the clock again; so each Advance() is seen within one interval of real time, and
// the tests wait for the counts they expect (Eventually) instead of sleeping for them.
#include "poolscaler/sampler/sampler.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "poolscaler/sampler/sample_store.h"
#include "support/eventually.h"
#include "support/manual_clock.h"

namespace poolscaler::sampler {
namespace {

using std::chrono::milliseconds;
using testing::Eventually;
using testing::ManualClock;

class CountingSource : public sources::Source {
 public:
  // `took`: how far a sample moves the manual clock (a slow broker, in simulated time), only on
  // the first `slow_calls` samples. `real`: real time a sample blocks (to overlap with others).
  CountingSource(ManualClock& clock, Duration took = {}, int slow_calls = 0, Duration real = {})
      : clock_(clock), took_(took), slow_calls_(slow_calls), real_(real) {
    spec_.name = "counting";
    spec_.timeout = std::chrono::seconds(1);
  }
  const config::SourceSpec& spec() const override { return spec_; }
  absl::StatusOr<sources::Reading> Sample(TimePoint) override {
    int now_in = ++in_flight_;
    max_in_flight_ = std::max(max_in_flight_.load(), now_in);
    {
      std::lock_guard lock(mu_);
      starts_.push_back(clock_.Now());
    }
    if (calls_ < slow_calls_) clock_.Advance(took_);
    if (real_ > Duration::zero()) std::this_thread::sleep_for(real_);
    --in_flight_;
    ++calls_;
    return sources::Reading{{{"length", static_cast<double>(calls_.load())}}, ""};
  }
  std::vector<TimePoint> starts() const {
    std::lock_guard lock(mu_);
    return starts_;
  }
  std::atomic<int> calls_{0};
  std::atomic<int> in_flight_{0};
  std::atomic<int> max_in_flight_{0};

 private:
  ManualClock& clock_;
  config::SourceSpec spec_;
  Duration took_;
  int slow_calls_;
  Duration real_;
  mutable std::mutex mu_;
  std::vector<TimePoint> starts_;
};

// Waits (real time, generously) until `source` has been sampled `n` times.
bool CallsReach(const CountingSource& source, int n) {
  return Eventually([&] { return source.calls_ >= n; }, std::chrono::seconds(10), milliseconds(2));
}

TEST(SamplerTest, SamplesEachSourceOncePerInterval) {
  ManualClock clock;
  const TimePoint t0 = clock.Now();
  SampleStore store;
  Sampler sampler(store, clock, 3);
  auto a = std::make_shared<CountingSource>(clock);
  auto b = std::make_shared<CountingSource>(clock);
  store.Register("a", "a", "", std::chrono::seconds(10));
  store.Register("b", "b", "", std::chrono::seconds(10));
  sampler.Add("a", a, milliseconds(100));
  sampler.Add("b", b, milliseconds(250));
  sampler.Start();
  // First sample at once, then one per interval: after t, a has 1 + t/100ms, b 1 + t/250ms.
  // The clock moves in 50 ms steps (both intervals are multiples) and each step waits for what
  // is due, so every sample starts on its slot.
  for (int step = 0; step <= 20; ++step) {
    if (step > 0) clock.Advance(milliseconds(50));
    const int want_a = 1 + step * 50 / 100, want_b = 1 + step * 50 / 250;
    ASSERT_TRUE(CallsReach(*a, want_a)) << "step " << step << ": a has " << a->calls_;
    ASSERT_TRUE(CallsReach(*b, want_b)) << "step " << step << ": b has " << b->calls_;
    EXPECT_EQ(a->calls_, want_a) << "step " << step;
    EXPECT_EQ(b->calls_, want_b) << "step " << step;
  }
  sampler.Stop();
  EXPECT_EQ(a->calls_, 11);
  EXPECT_EQ(b->calls_, 5);
  // Each sample started on its slot, not later nor earlier.
  std::vector<TimePoint> starts = a->starts();
  for (size_t i = 0; i < starts.size(); ++i) EXPECT_EQ(starts[i], t0 + i * milliseconds(100));
  EXPECT_EQ(store.Get("a")->samples_total, static_cast<uint64_t>(a->calls_.load()));
}

TEST(SamplerTest, ASlowSampleIsFollowedByOneSampleNotABurst) {
  ManualClock clock;
  const TimePoint t0 = clock.Now();
  SampleStore store;
  Sampler sampler(store, clock, 4);
  // The first sample takes 1 s of a 100 ms interval: 9 slots are missed.
  auto slow = std::make_shared<CountingSource>(clock, std::chrono::seconds(1), 1);
  store.Register("slow", "slow", "", std::chrono::seconds(10));
  sampler.Add("slow", slow, milliseconds(100));
  sampler.Start();
  ASSERT_TRUE(CallsReach(*slow, 2));
  // The clock stands still now: a scheduler that made up the missed slots would sample again.
  std::this_thread::sleep_for(milliseconds(200));
  EXPECT_EQ(slow->calls_, 2);
  clock.Advance(milliseconds(100));
  ASSERT_TRUE(CallsReach(*slow, 3));
  sampler.Stop();
  EXPECT_EQ(slow->calls_, 3);
  EXPECT_EQ(slow->max_in_flight_, 1);
  // At once; right after the slow one ended (1 s), not at the missed slots; one interval later.
  std::vector<TimePoint> starts = slow->starts();
  ASSERT_EQ(starts.size(), 3u);
  EXPECT_EQ(starts[0], t0);
  EXPECT_EQ(starts[1], t0 + std::chrono::seconds(1));
  EXPECT_EQ(starts[2], t0 + std::chrono::seconds(1) + milliseconds(100));
}

TEST(SamplerTest, ASourceIsNeverSampledTwiceAtOnce) {
  ManualClock clock;
  SampleStore store;
  Sampler sampler(store, clock, 4);
  // Each sample blocks 30 ms of real time while the test moves the clock far past its interval.
  auto s = std::make_shared<CountingSource>(clock, Duration{}, 0, milliseconds(30));
  store.Register("s", "s", "", std::chrono::seconds(10));
  sampler.Add("s", s, milliseconds(20));
  sampler.Start();
  for (int i = 1; i <= 10; ++i) {
    clock.Advance(milliseconds(100));
    ASSERT_TRUE(CallsReach(*s, i));
  }
  sampler.Stop();
  EXPECT_EQ(s->max_in_flight_, 1);
}

TEST(SamplerTest, RemovedSourceStopsBeingSampled) {
  ManualClock clock;
  SampleStore store;
  Sampler sampler(store, clock, 2);
  auto s = std::make_shared<CountingSource>(clock);
  store.Register("s", "s", "", std::chrono::seconds(10));
  sampler.Add("s", s, milliseconds(20));
  sampler.Start();
  ASSERT_TRUE(CallsReach(*s, 1));  // at once
  clock.Advance(milliseconds(20));
  ASSERT_TRUE(CallsReach(*s, 2));
  sampler.Remove("s");
  EXPECT_EQ(sampler.size(), 0u);
  const int after_remove = s->calls_;
  // Ten intervals pass: nothing is sampled (given real time to go wrong, if it would).
  for (int i = 0; i < 10; ++i) clock.Advance(milliseconds(20));
  std::this_thread::sleep_for(milliseconds(100));
  EXPECT_EQ(s->calls_, after_remove);
  sampler.Stop();
}

TEST(SamplerTest, AThousandSourcesOnAFewThreads) {
  ManualClock clock;
  SampleStore store;
  Sampler sampler(store, clock, 4);
  std::vector<std::shared_ptr<CountingSource>> all;
  for (int i = 0; i < 1000; ++i) {
    auto s = std::make_shared<CountingSource>(clock);
    std::string key = "s" + std::to_string(i);
    store.Register(key, key, "", std::chrono::seconds(10));
    sampler.Add(key, s, milliseconds(200));
    all.push_back(s);
  }
  sampler.Start();
  for (const auto& s : all) ASSERT_TRUE(CallsReach(*s, 1));
  EXPECT_TRUE(store.AllAttempted());
  clock.Advance(milliseconds(200));
  for (const auto& s : all) ASSERT_TRUE(CallsReach(*s, 2));
  sampler.Stop();
  for (const auto& s : all) EXPECT_EQ(s->calls_, 2);
}

}  // namespace
}  // namespace poolscaler::sampler
