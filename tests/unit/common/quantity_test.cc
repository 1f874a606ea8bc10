// Kubernetes quantities: the grammar's odd corners, exact values, rounding, and rejected input.
#include "poolscaler/common/quantity.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>

namespace poolscaler {
namespace {

using ::testing::HasSubstr;

struct Case {
  const char* text;
  const char* decimal;  // exact value
  double as_double;
};

// Values the metrics API and users write, and the grammar's corners.
constexpr Case kCases[] = {
    {"250m", "0.25", 0.25},
    {"1.5", "1.5", 1.5},
    {"512Mi", "536870912", 536870912},
    {"1G", "1000000000", 1e9},
    {"12345n", "0.000012345", 12345e-9},
    {"100Ki", "102400", 102400},
    {"1e3", "1000", 1000},
    {"1E3", "1000", 1000},
    {"1E", "1000000000000000000", 1e18},  // E alone is exa, not an exponent
    {"2e-3", "0.002", 0.002},
    {"2e+3", "2000", 2000},
    {"0", "0", 0},
    {"0m", "0", 0},
    {"-0", "0", 0},
    {"000.000", "0", 0},
    {".5", "0.5", 0.5},
    {"5.", "5", 5},
    {"+3k", "3000", 3000},
    {"-250m", "-0.25", -0.25},
    {"1.5Gi", "1610612736", 1610612736},
    {"0.5Ki", "512", 512},
    {"0.1Ki", "102.4", 102.4},
    {"3u", "0.000003", 3e-6},
    {"1Ei", "1152921504606846976", 1152921504606846976.0},
    {"1P", "1000000000000000", 1e15},
    {"7T", "7000000000000", 7e12},
    {"1Ti", "1099511627776", 1099511627776.0},
    {"1Pi", "1125899906842624", 1125899906842624.0},
    {"00012", "12", 12},
    {"123456789012345678", "123456789012345678", 123456789012345678.0},
    {"100000000000000000000000", "100000000000000000000000", 1e23},  // trailing zeros fold
    {"1e-60", "0.000000000000000000000000000000000000000000000000000000000001", 1e-60},
    {"15392n", "0.000015392", 15392e-9},
    {"8388608Ki", "8589934592", 8589934592.0},
};

TEST(QuantityTest, ParsesExactly) {
  for (const Case& c : kCases) {
    absl::StatusOr<Quantity> q = Quantity::Parse("cpu", c.text);
    ASSERT_TRUE(q.ok()) << c.text << ": " << q.status();
    EXPECT_EQ(q->ToDecimalString(), c.decimal) << c.text;
    EXPECT_EQ(q->ToDouble(), c.as_double) << c.text;
  }
}

TEST(QuantityTest, ScaledValueRoundsUpLikeKubernetes) {
  auto scaled = [](const char* text, int scale) {
    return *Quantity::Parse("q", text)->ScaledValue(scale);
  };
  EXPECT_EQ(scaled("12345n", -9), 12345);
  EXPECT_EQ(scaled("12345n", -3), 1);      // 0.012345m → 1m (rounded up)
  EXPECT_EQ(scaled("250m", -3), 250);
  EXPECT_EQ(scaled("250m", 0), 1);
  EXPECT_EQ(scaled("1.5", -3), 1500);
  EXPECT_EQ(scaled("512Mi", 0), 536870912);
  EXPECT_EQ(scaled("0.1Ki", 0), 103);       // 102.4 → 103
  EXPECT_EQ(scaled("-250m", 0), 0);         // toward +inf
  EXPECT_EQ(scaled("-1.5", 0), -1);
  EXPECT_EQ(scaled("0", 9), 0);
  EXPECT_EQ(scaled("1e-60", 0), 1);
  EXPECT_EQ(scaled("9223372036854775807", 0), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(scaled("-9223372036854775808", 0), std::numeric_limits<int64_t>::min());
}

TEST(QuantityTest, ScaledValueOverflowIsOutOfRange) {
  absl::StatusOr<int64_t> v = Quantity::Parse("q", "10E")->ScaledValue(0);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(Quantity::Parse("q", "9223372036854775808")->ScaledValue(0).status().code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(Quantity::Parse("q", "1Ei")->ScaledValue(-9).status().code(),
            absl::StatusCode::kOutOfRange);
}

TEST(QuantityTest, FromScaled) {
  EXPECT_EQ(Quantity::FromScaled(250, -3).ToDecimalString(), "0.25");
  EXPECT_EQ(Quantity::FromScaled(-5, 3).ToDecimalString(), "-5000");
  EXPECT_EQ(*Quantity::FromScaled(std::numeric_limits<int64_t>::min(), 0).ScaledValue(0),
            std::numeric_limits<int64_t>::min());
}

TEST(QuantityTest, RejectsWithMessageNamingFieldAndValue) {
  struct Bad {
    const char* text;
    const char* why;
  };
  constexpr Bad kBad[] = {
      {"", "expected a Kubernetes quantity"},
      {"m", "expected a Kubernetes quantity"},
      {".", "expected a Kubernetes quantity"},
      {"+", "expected a Kubernetes quantity"},
      {"--1", "expected a Kubernetes quantity"},
      {"1.2.3", "unknown suffix \".3\""},
      {"1 m", "unknown suffix \" m\""},
      {" 1", "expected a Kubernetes quantity"},
      {"1mi", "unknown suffix \"mi\""},
      {"1KI", "unknown suffix \"KI\""},
      {"1K", "unknown suffix \"K\""},  // kilo is lower-case k
      {"1Mb", "unknown suffix \"Mb\""},
      {"1e", "no digits"},
      {"1e+", "no digits"},
      {"1e3m", "unknown suffix \"e3m\""},
      {"1e61", "exponent beyond"},
      {"1e9999999999", "exponent beyond"},
      {"12345678901234567890123456789012345678901", "more than 39 significant digits"},
      {"200000000000000000000000000000000000001", "too large"},  // 2e38 >= 2^127
      {"99999999999999999999999Ei", "too large"},
      {"0x10", "unknown suffix \"x10\""},
      {"inf", "expected a Kubernetes quantity"},
      {"NaN", "expected a Kubernetes quantity"},
      {"1,5", "unknown suffix \",5\""},
      {"12345678901234567890123456789012345678901234567890123456789012345", "expected"},
  };
  for (const Bad& b : kBad) {
    absl::StatusOr<Quantity> q = Quantity::Parse("resources.cpu", b.text);
    ASSERT_FALSE(q.ok()) << b.text;
    EXPECT_EQ(q.status().code(), absl::StatusCode::kInvalidArgument);
    std::string message(q.status().message());
    EXPECT_THAT(message, HasSubstr("resources.cpu: ")) << b.text;
    EXPECT_THAT(message, HasSubstr(b.why)) << b.text;
  }
  EXPECT_THAT(std::string(Quantity::Parse("f", "1mi").status().message()),
              HasSubstr("(value \"1mi\")"));
}

// Found by the quantity fuzzer: "101Ei" parsed, but its exact decimal text (21 significant
// digits) did not parse back while the limit was 20 digits.
TEST(QuantityTest, LargeBinaryValuesReadBackFromTheirDecimalText) {
  for (const char* text : {"101Ei", "99999999999999999999Ei", "170141183460469231731687303715884105727"}) {
    absl::StatusOr<Quantity> q = Quantity::Parse("q", text);
    ASSERT_TRUE(q.ok()) << text << ": " << q.status();
    absl::StatusOr<Quantity> again = Quantity::Parse("q", q->ToDecimalString());
    ASSERT_TRUE(again.ok()) << text << " -> " << q->ToDecimalString() << ": " << again.status();
    EXPECT_EQ(again->ToDecimalString(), q->ToDecimalString());
  }
  EXPECT_EQ(Quantity::Parse("q", "101Ei")->ToDecimalString(), "116445071965291544576");
}

// Kubernetes' canonical (DecimalSI) text: apimachinery's AsCanonicalBytes keeps an integer
// mantissa and lowers the exponent to a multiple of 3; values finer than 1n round away from 0.
TEST(QuantityTest, CanonicalStringIsKubernetesDecimalSI) {
  struct Canonical {
    const char* text;
    const char* canonical;
  };
  constexpr Canonical kCanonical[] = {
      {"1.5", "1500m"},
      {"12", "12"},
      {"3000", "3k"},
      {"3k", "3k"},
      {"1500", "1500"},
      {"1.5k", "1500"},
      {"0", "0"},
      {"-0", "0"},
      {"0.1", "100m"},
      {"0.5", "500m"},
      {"250m", "250m"},
      {"-250m", "-250m"},
      {"12345n", "12345n"},
      {"0.000001", "1u"},
      {"2.5e-7", "250n"},
      {"1e-10", "1n"},            // rounded up to Kubernetes' nano precision
      {"-1e-10", "-1n"},          // away from zero, as Kubernetes does for negatives
      {"1.0000000001", "1000000001n"},
      {"100000", "100k"},
      {"1234567", "1234567"},
      {"5e6", "5M"},
      {"1G", "1G"},
      {"1.5Gi", "1610612736"},
      {"1Ki", "1024"},
      {"7T", "7T"},
      {"1P", "1P"},
      {"1E", "1E"},
      {"1e20", "100E"},
      {"1e21", "1000E"},          // above E the mantissa grows (Kubernetes prints no suffix)
      {"1e-60", "1n"},
      {"99999999999999999999Ei", "115292150460684697598847078495393153024"},
  };
  for (const Canonical& c : kCanonical) {
    absl::StatusOr<Quantity> q = Quantity::Parse("q", c.text);
    ASSERT_TRUE(q.ok()) << c.text << ": " << q.status();
    EXPECT_EQ(q->ToCanonicalString(), c.canonical) << c.text;
  }
}

TEST(QuantityTest, CanonicalStringReadsBackToTheSameValue) {
  for (const char* text : {"1500m", "3k", "12345n", "1610612736", "1000E", "-250m", "1n"}) {
    absl::StatusOr<Quantity> q = Quantity::Parse("q", text);
    ASSERT_TRUE(q.ok()) << text;
    absl::StatusOr<Quantity> again = Quantity::Parse("q", q->ToCanonicalString());
    ASSERT_TRUE(again.ok()) << text;
    EXPECT_EQ(again->ToDecimalString(), q->ToDecimalString()) << text;
  }
}

TEST(QuantityTest, FormatQuantityOfDoubles) {
  EXPECT_EQ(*FormatQuantity(1.5), "1500m");
  EXPECT_EQ(*FormatQuantity(12), "12");
  EXPECT_EQ(*FormatQuantity(3000), "3k");
  EXPECT_EQ(*FormatQuantity(0), "0");
  EXPECT_EQ(*FormatQuantity(-0.0), "0");
  // The double's shortest text, not 0.1000000000000000055…
  EXPECT_EQ(*FormatQuantity(0.1), "100m");
  EXPECT_EQ(*FormatQuantity(0.30000000000000004), "300000001n");
  EXPECT_EQ(*FormatQuantity(1.0 / 3), "333333334n");
  EXPECT_EQ(*FormatQuantity(-2.5), "-2500m");
  EXPECT_EQ(*FormatQuantity(9007199254740992.0), "9007199254740992");
  EXPECT_EQ(*FormatQuantity(1e20), "100E");
  EXPECT_EQ(*FormatQuantity(1.5e-7), "150n");
  EXPECT_EQ(*FormatQuantity(1e-300), "1n");
  EXPECT_EQ(*FormatQuantity(-1e-300), "-1n");
  EXPECT_EQ(FormatQuantity(std::numeric_limits<double>::quiet_NaN()).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FormatQuantity(std::numeric_limits<double>::infinity()).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FormatQuantity(1e61).status().code(), absl::StatusCode::kOutOfRange);
}

TEST(QuantityTest, ParseQuantityGivesDouble) {
  EXPECT_EQ(*ParseQuantity("f", "750m"), 0.75);
  EXPECT_FALSE(ParseQuantity("f", "x").ok());
}

}  // namespace
}  // namespace poolscaler
