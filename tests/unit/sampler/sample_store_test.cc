// SampleStore: what a reader gets at a given time — the last good value while it is fresh, then
// UNAVAILABLE with the reason; never a value it does not have.
#include "poolscaler/sampler/sample_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

namespace poolscaler::sampler {
namespace {

using ::testing::HasSubstr;

TimePoint At(double s) { return TimePoint{} + FromSeconds(100 + s); }

sources::Reading Lag(double v) { return {{{"outstanding", v}}, ""}; }

class SampleStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { store_.Register("k", "orders", "redis-streams x", FromSeconds(3)); }
  SampleStore store_;
};

TEST_F(SampleStoreTest, NoSampleYetIsUnavailable) {
  auto v = store_.Value("k", "outstanding", At(0));
  EXPECT_EQ(v.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(v.status().message(), HasSubstr("no sample yet"));
  EXPECT_FALSE(store_.AllAttempted());
}

TEST_F(SampleStoreTest, FreshValueIsServed) {
  store_.Record("k", Lag(7), At(0), FromSeconds(0.01));
  EXPECT_EQ(*store_.Value("k", "outstanding", At(2.9)), 7);
  EXPECT_EQ(*store_.Value("k", "outstanding", At(3)), 7);  // exactly staleAfter: still fresh
  EXPECT_TRUE(store_.AllAttempted());
}

TEST_F(SampleStoreTest, StaleValueIsUnavailable) {
  store_.Record("k", Lag(7), At(0), FromSeconds(0.01));
  auto v = store_.Value("k", "outstanding", At(3.5));
  EXPECT_EQ(v.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(v.status().message(), HasSubstr("stale"));
  EXPECT_THAT(v.status().message(), HasSubstr("orders"));
}

TEST_F(SampleStoreTest, FailureAfterAGoodReadingServesItUntilStaleAfter) {
  store_.Record("k", Lag(7), At(0), FromSeconds(0.01));
  store_.Record("k", absl::UnavailableError("connection refused"), At(1), FromSeconds(0.01));
  EXPECT_EQ(*store_.Value("k", "outstanding", At(2)), 7);
  auto v = store_.Value("k", "outstanding", At(4));
  EXPECT_EQ(v.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(v.status().message(), HasSubstr("failing for 3s: connection refused"));
}

TEST_F(SampleStoreTest, FailureWithoutAnyReadingIsUnavailableAtOnce) {
  store_.Record("k", absl::NotFoundError("consumer group \"g\" not found"), At(0), {});
  auto v = store_.Value("k", "outstanding", At(0));
  EXPECT_EQ(v.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(v.status().message(), HasSubstr("consumer group"));
  EXPECT_TRUE(store_.AllAttempted());  // a reported first error counts for readiness
}

TEST_F(SampleStoreTest, MissingMeasureIsUnavailable) {
  store_.Record("k", Lag(7), At(0), {});
  auto v = store_.Value("k", "pending", At(0));
  EXPECT_EQ(v.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(v.status().message(), HasSubstr("pending"));
}

TEST_F(SampleStoreTest, UnknownKeyIsUnavailable) {
  EXPECT_EQ(store_.Value("other", "outstanding", At(0)).status().code(),
            absl::StatusCode::kUnavailable);
}

TEST_F(SampleStoreTest, CountsErrorsByCodeAndDurationBuckets) {
  store_.Record("k", Lag(1), At(0), FromSeconds(0.003));
  store_.Record("k", absl::UnavailableError("x"), At(1), FromSeconds(7));
  store_.Record("k", absl::UnavailableError("x"), At(2), FromSeconds(0.0005));
  store_.Record("k", absl::UnauthenticatedError("x"), At(3), FromSeconds(0.0005));
  SourceRecord r = *store_.Get("k");
  EXPECT_EQ(r.samples_total, 4u);
  EXPECT_EQ(r.errors_by_code["UNAVAILABLE"], 2u);
  EXPECT_EQ(r.errors_by_code["UNAUTHENTICATED"], 1u);
  EXPECT_EQ(r.duration_counts[0], 2u);    // <= 1ms
  EXPECT_EQ(r.duration_counts[2], 1u);    // <= 5ms
  EXPECT_EQ(r.duration_counts.back(), 1u);  // > 5s
  EXPECT_NEAR(r.duration_sum_seconds, 7.004, 1e-9);
}

TEST_F(SampleStoreTest, RecordForAnUnregisteredKeyIsDropped) {
  store_.Unregister("k");
  store_.Record("k", Lag(1), At(0), {});
  EXPECT_FALSE(store_.Get("k").has_value());
}

TEST_F(SampleStoreTest, WaitForChangeWakesOnRecord) {
  uint64_t seen = store_.generation();
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    store_.Record("k", Lag(1), At(0), {});
  });
  uint64_t now = store_.WaitForChange(seen, SteadyClock::now() + std::chrono::seconds(5));
  writer.join();
  EXPECT_GT(now, seen);
}

}  // namespace
}  // namespace poolscaler::sampler
