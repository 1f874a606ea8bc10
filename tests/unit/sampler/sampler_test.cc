// Sampler scheduling: one sample per interval per source, never two at once for one source,
// removal stops sampling, a slow source does not produce catch-up bursts. The sources here are
// counting stand-ins: what is tested is the scheduler, not a broker.
#include "poolscaler/sampler/sampler.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "poolscaler/sampler/sample_store.h"

namespace poolscaler::sampler {
namespace {

class CountingSource : public sources::Source {
 public:
  explicit CountingSource(Duration took = {}) : took_(took) {
    spec_.name = "counting";
    spec_.timeout = std::chrono::seconds(1);
  }
  const config::SourceSpec& spec() const override { return spec_; }
  absl::StatusOr<sources::Reading> Sample(TimePoint) override {
    int now_in = ++in_flight_;
    max_in_flight_ = std::max(max_in_flight_.load(), now_in);
    if (took_ > Duration::zero()) std::this_thread::sleep_for(took_);
    --in_flight_;
    ++calls_;
    return sources::Reading{{{"length", static_cast<double>(calls_.load())}}, ""};
  }
  std::atomic<int> calls_{0};
  std::atomic<int> in_flight_{0};
  std::atomic<int> max_in_flight_{0};

 private:
  config::SourceSpec spec_;
  Duration took_;
};

TEST(SamplerTest, SamplesEachSourceOncePerInterval) {
  SampleStore store;
  Sampler sampler(store, RealClock::Instance(), 3);
  auto a = std::make_shared<CountingSource>();
  auto b = std::make_shared<CountingSource>();
  store.Register("a", "a", "", std::chrono::seconds(10));
  store.Register("b", "b", "", std::chrono::seconds(10));
  sampler.Add("a", a, std::chrono::milliseconds(100));
  sampler.Add("b", b, std::chrono::milliseconds(250));
  sampler.Start();
  std::this_thread::sleep_for(std::chrono::milliseconds(1050));
  sampler.Stop();
  // First sample at once, then one per interval: a ≈ 11, b ≈ 5.
  EXPECT_GE(a->calls_, 9);
  EXPECT_LE(a->calls_, 12);
  EXPECT_GE(b->calls_, 4);
  EXPECT_LE(b->calls_, 6);
  EXPECT_EQ(store.Get("a")->samples_total, static_cast<uint64_t>(a->calls_.load()));
}

TEST(SamplerTest, ASlowSourceIsNeverSampledTwiceAtOnceNorInBursts) {
  SampleStore store;
  Sampler sampler(store, RealClock::Instance(), 4);
  auto slow = std::make_shared<CountingSource>(std::chrono::milliseconds(120));
  store.Register("slow", "slow", "", std::chrono::seconds(10));
  sampler.Add("slow", slow, std::chrono::milliseconds(20));
  sampler.Start();
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  sampler.Stop();
  EXPECT_EQ(slow->max_in_flight_, 1);
  EXPECT_LE(slow->calls_, 9);  // ~1000/120, not 1000/20
}

TEST(SamplerTest, RemovedSourceStopsBeingSampled) {
  SampleStore store;
  Sampler sampler(store, RealClock::Instance(), 2);
  auto s = std::make_shared<CountingSource>();
  store.Register("s", "s", "", std::chrono::seconds(10));
  sampler.Add("s", s, std::chrono::milliseconds(20));
  sampler.Start();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  sampler.Remove("s");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  int after_remove = s->calls_;
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(s->calls_, after_remove);
  EXPECT_EQ(sampler.size(), 0u);
  sampler.Stop();
}

TEST(SamplerTest, AThousandSourcesOnAFewThreads) {
  SampleStore store;
  Sampler sampler(store, RealClock::Instance(), 4);
  std::vector<std::shared_ptr<CountingSource>> all;
  for (int i = 0; i < 1000; ++i) {
    auto s = std::make_shared<CountingSource>();
    std::string key = "s" + std::to_string(i);
    store.Register(key, key, "", std::chrono::seconds(10));
    sampler.Add(key, s, std::chrono::milliseconds(200));
    all.push_back(s);
  }
  sampler.Start();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  sampler.Stop();
  for (const auto& s : all) EXPECT_GE(s->calls_, 2);
  EXPECT_TRUE(store.AllAttempted());
}

}  // namespace
}  // namespace poolscaler::sampler
