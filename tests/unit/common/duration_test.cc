// ParseDuration / FormatDuration: units, chaining, bare seconds, rejects, round trips.
#include "poolscaler/common/duration.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace poolscaler {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

Duration Parse(std::string_view text) {
  absl::StatusOr<Duration> d = ParseDuration("f", text);
  EXPECT_TRUE(d.ok()) << text << ": " << d.status();
  return d.value_or(Duration::zero());
}

std::string Error(std::string_view text) {
  absl::StatusOr<Duration> d = ParseDuration("sampleInterval", text);
  EXPECT_FALSE(d.ok()) << text;
  EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument) << text;
  return std::string(d.status().message());
}

TEST(ParseDurationTest, Units) {
  EXPECT_EQ(Parse("250ms"), 250ms);
  EXPECT_EQ(Parse("5s"), 5s);
  EXPECT_EQ(Parse("1m30s"), 90s);
  EXPECT_EQ(Parse("2h"), 2h);
  EXPECT_EQ(Parse("1.5s"), 1500ms);
  EXPECT_EQ(Parse("10us"), 10us);
  EXPECT_EQ(Parse("10µs"), 10us);
  EXPECT_EQ(Parse("7ns"), 7ns);
  EXPECT_EQ(Parse("1h2m3s4ms"), 1h + 2min + 3s + 4ms);
  EXPECT_EQ(Parse("0s"), 0s);
  EXPECT_EQ(Parse(".5s"), 500ms);
}

TEST(ParseDurationTest, BareNumberIsSeconds) {
  EXPECT_EQ(Parse("5"), 5s);
  EXPECT_EQ(Parse("0.25"), 250ms);
  EXPECT_EQ(Parse("0"), 0s);
}

TEST(ParseDurationTest, Rejects) {
  EXPECT_THAT(Error("5x"), AllOf(HasSubstr("sampleInterval: unknown unit \"x\""),
                                 HasSubstr("(value \"5x\")")));
  EXPECT_THAT(Error(""), AllOf(HasSubstr("sampleInterval: expected a duration"),
                               HasSubstr("(value \"\")")));
  EXPECT_THAT(Error("-1s"), HasSubstr("(value \"-1s\")"));
  EXPECT_THAT(Error("abc"), HasSubstr("expected a duration"));
  EXPECT_THAT(Error("1m5"), HasSubstr("expected a duration"));  // bare number only alone
  EXPECT_THAT(Error("1..5s"), HasSubstr("expected a duration"));
  EXPECT_THAT(Error("."), HasSubstr("expected a duration"));
  EXPECT_THAT(Error("5 s"), HasSubstr("unknown unit"));
  EXPECT_THAT(Error(" 5s"), HasSubstr("expected a duration"));
  EXPECT_THAT(Error("s"), HasSubstr("expected a duration"));
  EXPECT_THAT(Error("1e3s"), HasSubstr("unknown unit"));
}

TEST(ParseDurationTest, TooLarge) {
  EXPECT_THAT(Error("100000000000h"), HasSubstr("duration too large"));
}

// Regression: a number too long for a double made std::stod throw out of ParseDuration.
TEST(ParseDurationTest, HugeNumberIsAnErrorNotAnException) {
  std::string huge(400, '9');
  EXPECT_THAT(Error(huge + "s"), HasSubstr("duration too large"));
  EXPECT_THAT(Error(huge), HasSubstr("duration too large"));
}

TEST(FormatDurationTest, Forms) {
  EXPECT_EQ(FormatDuration(0s), "0s");
  EXPECT_EQ(FormatDuration(250ms), "250ms");
  EXPECT_EQ(FormatDuration(5s), "5s");
  EXPECT_EQ(FormatDuration(90s), "1m30s");
  EXPECT_EQ(FormatDuration(2h), "2h");
  EXPECT_EQ(FormatDuration(1h + 1s), "1h1s");
  EXPECT_EQ(FormatDuration(1500ms), "1500ms");
  EXPECT_EQ(FormatDuration(10us), "10us");
  EXPECT_EQ(FormatDuration(7ns), "7ns");
  EXPECT_EQ(FormatDuration(-5s), "-5s");
}

TEST(FormatDurationTest, RoundTrips) {
  for (Duration d : {Duration(0s), Duration(1ns), Duration(250ms), Duration(1500ms), Duration(5s),
                     Duration(90s), Duration(2h), Duration(3h + 7min + 9s), Duration(10us),
                     Duration(24h * 365)}) {
    EXPECT_EQ(Parse(FormatDuration(d)), d) << FormatDuration(d);
  }
  for (const char* text : {"250ms", "5s", "1m30s", "2h", "1h1m1s"}) {
    EXPECT_EQ(FormatDuration(Parse(text)), text);
  }
}

}  // namespace
}  // namespace poolscaler
