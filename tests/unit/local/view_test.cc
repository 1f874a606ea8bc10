// The live view's text: sparklines, progress, the terminal frame and the --plain lines.
#include "poolscaler/local/view.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace poolscaler::local {
namespace {

using std::chrono::seconds;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(SparklineTest, ScalesToTheLargestValue) {
  EXPECT_EQ(Sparkline({1, 2, 4, 8}, 4), "▁▂▄█");
  EXPECT_EQ(Sparkline({0, 8, 0}, 3), " █ ");  // zero is blank, not the lowest block
}

TEST(SparklineTest, AnExplicitScaleKeepsSmallValuesSmall) {
  EXPECT_EQ(Sparkline({1, 1}, 2, 80), "▁▁");
  EXPECT_EQ(Sparkline({1, 1}, 2), "██");
}

TEST(SparklineTest, KeepsTheLastValuesAndPadsOnTheLeft) {
  EXPECT_EQ(Sparkline({8, 4}, 5), "   █▄");
  EXPECT_EQ(Sparkline({8, 1, 2, 4}, 2), "▄█");  // the window's own maximum: 4
  EXPECT_EQ(Sparkline({}, 3), "   ");
  EXPECT_EQ(Sparkline({0, 0}, 2), "  ");
}

TEST(ViewTextTest, ProgressClockAndColumns) {
  EXPECT_EQ(ProgressBar(0.5, 4), "██░░");
  EXPECT_EQ(ProgressBar(2, 2), "██");
  EXPECT_EQ(ProgressBar(-1, 2), "░░");
  EXPECT_EQ(Clock(seconds(75)), "01:15");
  EXPECT_EQ(Clock(std::chrono::milliseconds(999)), "00:00");
  EXPECT_EQ(PadColumns("█a", 4), "█a  ");  // one column for a 3-byte character
  EXPECT_EQ(PadColumns("abcdef", 3), "abcdef");
}

ViewState Sample() {
  ViewState v;
  v.elapsed = seconds(45);
  v.total = seconds(180);
  v.phase = "burst";
  v.phase_left = seconds(12);
  v.jobs_per_second = 24;
  PoolView gpu;
  gpu.name = "parse-gpu";
  gpu.lag = 17;
  gpu.desired = 2;
  gpu.running = 2;
  gpu.terminating = 1;
  gpu.max_replicas = 4;
  gpu.active = true;
  gpu.limits = "max,budget:gpu";
  gpu.lag_history = {0, 4, 8, 17};
  gpu.lag_peak = 17;
  PoolView runs;
  runs.name = "test-runs";
  runs.max_replicas = 5;
  runs.error = "GetMetrics: source test-runs: failing for 2s";
  v.pools = {gpu, runs};
  v.recent_events = {"00:44  parse-gpu: 1 → 2 (HPA: pool-parse-gpu 2 / target 1)"};
  return v;
}

TEST(ViewTextTest, TheFrameShowsProgressEveryPoolAndRecentEvents) {
  std::string frame = RenderFrame(Sample());
  EXPECT_THAT(frame, HasSubstr("00:45 / 03:00  █████░░░░░░░░░░░░░░░  25 %  load: burst (24 jobs/s "
                               "per broker, 12 s left)"));
  EXPECT_THAT(frame, HasSubstr("pool "));
  EXPECT_THAT(frame, ::testing::ContainsRegex(
                         "parse-gpu +17 +2  2 \\(\\+1 stopping\\) +yes +max,budget:gpu"));
  EXPECT_THAT(frame, HasSubstr("██░░"));  // 2 of 4 workers
  EXPECT_THAT(frame, HasSubstr(" ▂▄█"));  // the lag sparkline, its newest value last
  EXPECT_THAT(frame, HasSubstr("GetMetrics: source test-r…"));  // an error in the limits column
  EXPECT_THAT(frame, HasSubstr("  00:44  parse-gpu: 1 → 2"));
}

TEST(ViewTextTest, PlainLinesForLogs) {
  std::string plain = RenderPlain(Sample());
  EXPECT_THAT(plain, HasSubstr("[00:45 / 03:00  "));
  EXPECT_THAT(plain, ::testing::ContainsRegex("  parse-gpu +lag +17  desired  2  running 2 \\(\\+1 "
                                              "stopping\\) +active yes  limits max,budget:gpu"));
  EXPECT_THAT(plain, HasSubstr("▂▄█|\n"));
  EXPECT_THAT(plain, HasSubstr("test-runs      lag error"));
  EXPECT_THAT(plain, HasSubstr("limits error: GetMetrics: source test-runs: fa…"));
  EXPECT_THAT(plain, Not(HasSubstr("recent")));  // events are printed as they happen instead
}

TEST(ViewTextTest, WithoutALoadShapeThereIsNoPhase) {
  ViewState v = Sample();
  v.phase.clear();
  EXPECT_THAT(RenderFrame(v), Not(HasSubstr("load:")));
}

}  // namespace
}  // namespace poolscaler::local
