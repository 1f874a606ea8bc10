// The load shape (phases, pacing), the document router and the job body of poolscaler-load.
#include "poolscaler/jobs/load_shape.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "poolscaler/jobs/queues.h"
#include "unit/config/status_matchers.h"

namespace poolscaler::jobs {
namespace {

using ::poolscaler::testing::IsInvalidArgument;
using ::poolscaler::testing::IsOk;
using std::chrono::seconds;
using ::testing::AllOf;
using ::testing::HasSubstr;

TEST(LoadShapeTest, ParsesPhasesWithRates) {
  absl::StatusOr<LoadShape> s =
      ParseLoadShape("--shape", "idle:5s,burst:30s@25,steady:1m@6.5,idle:60");
  ASSERT_THAT(s, IsOk());
  ASSERT_EQ(s->phases.size(), 4u);
  EXPECT_EQ(s->phases[0].name, "idle");
  EXPECT_EQ(s->phases[0].jobs_per_second, 0);
  EXPECT_EQ(s->phases[1].length, seconds(30));
  EXPECT_EQ(s->phases[1].jobs_per_second, 25);
  EXPECT_EQ(s->phases[2].length, seconds(60));
  EXPECT_EQ(s->phases[2].jobs_per_second, 6.5);
  EXPECT_EQ(s->phases[3].length, seconds(60));  // a bare number is seconds
  EXPECT_EQ(s->Total(), seconds(155));
  EXPECT_EQ(s->LastJobAt(), seconds(95));
}

TEST(LoadShapeTest, PhaseAtAnOffset) {
  LoadShape s = *ParseLoadShape("--shape", "idle:5s,burst:10s@20,idle:5s");
  EXPECT_EQ(s.PhaseIndexAt(seconds(0)), 0u);
  EXPECT_EQ(s.PhaseIndexAt(seconds(5)), 1u);  // a phase starts at its first instant
  EXPECT_EQ(s.PhaseIndexAt(seconds(14)), 1u);
  EXPECT_EQ(s.PhaseIndexAt(seconds(15)), 2u);
  EXPECT_EQ(s.PhaseIndexAt(seconds(20)), 3u);  // past the end
  EXPECT_EQ(s.PhaseLeftAt(seconds(7)), seconds(8));
  EXPECT_EQ(s.PhaseLeftAt(seconds(30)), seconds(0));
}

TEST(LoadShapeTest, JobsDueAreTheIntegralOfTheRate) {
  LoadShape s = *ParseLoadShape("--shape", "idle:5s,burst:10s@20,steady:10s@2.5,idle:5s");
  EXPECT_DOUBLE_EQ(s.JobsDueBy(seconds(0)), 0);
  EXPECT_DOUBLE_EQ(s.JobsDueBy(seconds(5)), 0);
  EXPECT_DOUBLE_EQ(s.JobsDueBy(std::chrono::milliseconds(5500)), 10);
  EXPECT_DOUBLE_EQ(s.JobsDueBy(seconds(15)), 200);
  EXPECT_DOUBLE_EQ(s.JobsDueBy(seconds(25)), 225);
  EXPECT_DOUBLE_EQ(s.JobsDueBy(seconds(99)), 225);  // nothing after the end
}

TEST(LoadShapeTest, AShapeWithoutJobsIsOverAtOnce) {
  EXPECT_EQ(ParseLoadShape("--shape", "idle:10s")->LastJobAt(), seconds(0));
}

TEST(LoadShapeTest, ErrorsNameThePhaseAndTheText) {
  EXPECT_THAT(ParseLoadShape("--shape", ""), IsInvalidArgument(HasSubstr("--shape: empty")));
  EXPECT_THAT(ParseLoadShape("--shape", "burst"),
              IsInvalidArgument(AllOf(HasSubstr("phase 1 \"burst\""), HasSubstr("no ':'"))));
  EXPECT_THAT(ParseLoadShape("--shape", "idle:5s,bu rst:5s"),
              IsInvalidArgument(AllOf(HasSubstr("phase 2"), HasSubstr("letters, digits"))));
  EXPECT_THAT(ParseLoadShape("--shape", "burst:0s@5"),
              IsInvalidArgument(HasSubstr("the duration must be above 0")));
  EXPECT_THAT(ParseLoadShape("--shape", "burst:5x@5"),
              IsInvalidArgument(AllOf(HasSubstr("phase 1 duration"), HasSubstr("\"5x\""))));
  EXPECT_THAT(ParseLoadShape("--shape", "burst:5s@fast"),
              IsInvalidArgument(AllOf(HasSubstr("phase 1 rate"), HasSubstr("\"fast\""))));
  EXPECT_THAT(ParseLoadShape("--shape", "burst:5s@-1"),
              IsInvalidArgument(HasSubstr("the rate must be between 0 and")));
  EXPECT_THAT(ParseLoadShape("--shape", "idle:5s,"), IsInvalidArgument(HasSubstr("phase 2 \"\"")));
}

TEST(TierTest, TheRouterSplitsBySize) {
  EXPECT_EQ(TierForSize(1), Tier::kSmall);
  EXPECT_EQ(TierForSize(1024), Tier::kSmall);
  EXPECT_EQ(TierForSize(1025), Tier::kLarge);
  EXPECT_EQ(TierForSize(16 * 1024), Tier::kLarge);
  EXPECT_EQ(TierForSize(16 * 1024 + 1), Tier::kGpu);
  EXPECT_STREQ(TierName(Tier::kGpu), "gpu");
}

TEST(TierTest, SizesGiveAboutSeventyTwentyTwoEightPercent) {
  std::mt19937_64 rng(1);
  std::map<Tier, int> n;
  const int kDraws = 20000;
  for (int i = 0; i < kDraws; ++i) {
    int64_t kb = DrawSizeKb(rng);
    ASSERT_GE(kb, 1);
    ASSERT_LE(kb, 512 * 1024);
    n[TierForSize(kb)]++;
  }
  EXPECT_NEAR(n[Tier::kSmall] / double(kDraws), 0.70, 0.02);
  EXPECT_NEAR(n[Tier::kLarge] / double(kDraws), 0.22, 0.02);
  EXPECT_NEAR(n[Tier::kGpu] / double(kDraws), 0.08, 0.02);
}

TEST(JobBodyTest, RoundTrips) {
  auto parsed = ParseJobBody(JobBody("nats-000042", 1234));
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(parsed->first, "nats-000042");
  EXPECT_EQ(parsed->second, 1234);
}

TEST(JobBodyTest, RejectsWhatItDidNotWrite) {
  EXPECT_THAT(ParseJobBody(""), IsInvalidArgument(HasSubstr("expected \"<id> <size_kb>\"")));
  EXPECT_THAT(ParseJobBody("job"), IsInvalidArgument(HasSubstr("job body \"job\"")));
  EXPECT_THAT(ParseJobBody(" 12"), IsInvalidArgument(HasSubstr("expected")));
  EXPECT_THAT(ParseJobBody("a 1.5"), IsInvalidArgument(HasSubstr("size_kb")));
}

TEST(RedactUrlTest, HidesCredentialsOnly) {
  EXPECT_EQ(RedactUrl("amqp://user:pw@127.0.0.1:5672/%2F"), "amqp://***@127.0.0.1:5672/%2F");
  EXPECT_EQ(RedactUrl("nats://127.0.0.1:4222"), "nats://127.0.0.1:4222");
  EXPECT_EQ(RedactUrl("http://h:1/a@b"), "http://h:1/a@b");  // an '@' in the path is not userinfo
}

}  // namespace
}  // namespace poolscaler::jobs
