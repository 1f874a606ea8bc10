#include "poolscaler/sources/backoff.h"

#include <vector>

#include <gtest/gtest.h>

namespace poolscaler::sources {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const TimePoint kStart = TimePoint() + seconds(1000);

TEST(BackoffTest, NoWaitBeforeAnyFailure) {
  Backoff backoff;
  EXPECT_EQ(backoff.Remaining(kStart), Duration::zero());
}

TEST(BackoffTest, FirstFailureWaitsInitial) {
  Backoff backoff;
  backoff.RecordFailure(kStart);
  EXPECT_EQ(backoff.Remaining(kStart), milliseconds(200));
  EXPECT_EQ(backoff.Remaining(kStart + milliseconds(150)), milliseconds(50));
  EXPECT_EQ(backoff.Remaining(kStart + milliseconds(200)), Duration::zero());
  EXPECT_EQ(backoff.Remaining(kStart + seconds(5)), Duration::zero());
}

TEST(BackoffTest, ConsecutiveFailuresDoubleUpToMax) {
  Backoff backoff;
  TimePoint now = kStart;
  std::vector<Duration> waits;
  for (int i = 0; i < 12; ++i) {
    backoff.RecordFailure(now);
    waits.push_back(backoff.Remaining(now));
    now += waits.back();
  }
  std::vector<Duration> expected = {
      milliseconds(200), milliseconds(400), milliseconds(800), seconds(1), seconds(1), seconds(1),
      seconds(1),        seconds(1),        seconds(1),        seconds(1), seconds(1), seconds(1)};
  EXPECT_EQ(waits, expected);
}

TEST(BackoffTest, SuccessResets) {
  Backoff backoff;
  backoff.RecordFailure(kStart);
  backoff.RecordFailure(kStart);
  backoff.RecordFailure(kStart);
  backoff.RecordSuccess();
  EXPECT_EQ(backoff.Remaining(kStart), Duration::zero());
  backoff.RecordFailure(kStart);
  EXPECT_EQ(backoff.Remaining(kStart), milliseconds(200));
}

TEST(BackoffTest, CustomLimits) {
  Backoff backoff(milliseconds(10), milliseconds(25));
  backoff.RecordFailure(kStart);
  EXPECT_EQ(backoff.Remaining(kStart), milliseconds(10));
  backoff.RecordFailure(kStart);
  EXPECT_EQ(backoff.Remaining(kStart), milliseconds(20));
  backoff.RecordFailure(kStart);
  EXPECT_EQ(backoff.Remaining(kStart), milliseconds(25));
}

}  // namespace
}  // namespace poolscaler::sources
