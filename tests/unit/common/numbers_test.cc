// ParseDouble / ParseInt / ParseBool: strict whole-string parsing with named errors.
#include "poolscaler/common/numbers.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>

namespace poolscaler {
namespace {

using ::testing::HasSubstr;

template <typename T>
std::string Error(const absl::StatusOr<T>& v) {
  EXPECT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(v.status().message());
}

TEST(ParseDoubleTest, Accepts) {
  EXPECT_EQ(*ParseDouble("f", "1.5"), 1.5);
  EXPECT_EQ(*ParseDouble("f", "-2"), -2);
  EXPECT_EQ(*ParseDouble("f", "+3"), 3);
  EXPECT_EQ(*ParseDouble("f", "1e3"), 1000);
  EXPECT_EQ(*ParseDouble("f", "2.5E-1"), 0.25);
  EXPECT_EQ(*ParseDouble("f", ".5"), 0.5);
  EXPECT_EQ(*ParseDouble("f", "0"), 0);
}

TEST(ParseDoubleTest, Rejects) {
  EXPECT_EQ(Error(ParseDouble("lagThreshold", "abc")),
            "lagThreshold: expected a number (value \"abc\")");
  EXPECT_EQ(Error(ParseDouble("f", "")), "f: expected a number (value \"\")");
  EXPECT_THAT(Error(ParseDouble("f", " 1")), HasSubstr("expected a number"));
  EXPECT_THAT(Error(ParseDouble("f", "1 ")), HasSubstr("expected a number"));
  EXPECT_THAT(Error(ParseDouble("f", "inf")), HasSubstr("expected a number"));
  EXPECT_THAT(Error(ParseDouble("f", "nan")), HasSubstr("expected a number"));
  EXPECT_THAT(Error(ParseDouble("f", "0x10")), HasSubstr("expected a number"));
  EXPECT_THAT(Error(ParseDouble("f", "1e400")), HasSubstr("expected a finite number"));
  EXPECT_THAT(Error(ParseDouble("f", "1.2.3")), HasSubstr("expected a finite number"));
  EXPECT_THAT(Error(ParseDouble("f", "1e")), HasSubstr("expected a finite number"));
  EXPECT_THAT(Error(ParseDouble("f", "-")), HasSubstr("expected a finite number"));
  EXPECT_THAT(Error(ParseDouble("f", std::string(65, '1'))), HasSubstr("expected a number"));
}

TEST(ParseIntTest, Accepts) {
  EXPECT_EQ(*ParseInt("f", "0"), 0);
  EXPECT_EQ(*ParseInt("f", "42"), 42);
  EXPECT_EQ(*ParseInt("f", "-7"), -7);
  EXPECT_EQ(*ParseInt("f", "+7"), 7);
  EXPECT_EQ(*ParseInt("f", "9223372036854775807"), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(*ParseInt("f", "-9223372036854775808"), std::numeric_limits<int64_t>::min());
}

TEST(ParseIntTest, Rejects) {
  EXPECT_EQ(Error(ParseInt("port", "x")), "port: expected a whole number (value \"x\")");
  for (const char* bad : {"", "1.5", " 1", "1 ", "+", "-", "++1", "1e3", "0x10",
                          "9223372036854775808"}) {
    EXPECT_THAT(Error(ParseInt("f", bad)), HasSubstr("expected a whole number")) << bad;
  }
}

// Regression: "+-5" parsed as -5 because only the '+' was skipped.
TEST(ParseIntTest, PlusMinusIsRejected) {
  EXPECT_THAT(Error(ParseInt("f", "+-5")), HasSubstr("expected a whole number"));
}

TEST(ParseBoolTest, AcceptsAnyCase) {
  EXPECT_TRUE(*ParseBool("f", "true"));
  EXPECT_TRUE(*ParseBool("f", "TRUE"));
  EXPECT_TRUE(*ParseBool("f", "True"));
  EXPECT_FALSE(*ParseBool("f", "false"));
  EXPECT_FALSE(*ParseBool("f", "FaLsE"));
}

TEST(ParseBoolTest, Rejects) {
  EXPECT_EQ(Error(ParseBool("enableTLS", "yes")), "enableTLS: expected true or false (value \"yes\")");
  for (const char* bad : {"", "1", "0", "on", " true", "truee"}) {
    EXPECT_THAT(Error(ParseBool("f", bad)), HasSubstr("expected true or false")) << bad;
  }
}

}  // namespace
}  // namespace poolscaler

namespace poolscaler {
namespace {

TEST(ParseNonNegativeQuantityTest, AcceptsKubernetesQuantities) {
  EXPECT_DOUBLE_EQ(*ParseNonNegativeQuantity("cpu", "4"), 4);
  EXPECT_DOUBLE_EQ(*ParseNonNegativeQuantity("cpu", "0.5"), 0.5);
  EXPECT_DOUBLE_EQ(*ParseNonNegativeQuantity("cpu", "500m"), 0.5);
  EXPECT_DOUBLE_EQ(*ParseNonNegativeQuantity("memory", "16Gi"), 16.0 * 1024 * 1024 * 1024);
  EXPECT_DOUBLE_EQ(*ParseNonNegativeQuantity("memory", "2G"), 2e9);
  EXPECT_DOUBLE_EQ(*ParseNonNegativeQuantity("memory", "512Mi"), 512.0 * 1024 * 1024);
  EXPECT_DOUBLE_EQ(*ParseNonNegativeQuantity("memory", "1e3"), 1000);
  EXPECT_DOUBLE_EQ(*ParseNonNegativeQuantity("memory", "1E"), 1e18);
  EXPECT_DOUBLE_EQ(*ParseNonNegativeQuantity("gpu", "0"), 0);
}

TEST(ParseNonNegativeQuantityTest, RejectsWithFieldAndValue) {
  EXPECT_EQ(ParseNonNegativeQuantity("cost.memory", "16GB").status().message(),
            "cost.memory: expected a quantity such as 4, 500m, 16Gi (value \"16GB\")");
  EXPECT_EQ(ParseNonNegativeQuantity("cost.cpu", "-1").status().message(),
            "cost.cpu: expected a finite quantity of at least 0 (value \"-1\")");
  EXPECT_FALSE(ParseNonNegativeQuantity("x", "").ok());
  EXPECT_FALSE(ParseNonNegativeQuantity("x", "Gi").ok());
  EXPECT_FALSE(ParseNonNegativeQuantity("x", "1e308E").ok());
}

}  // namespace
}  // namespace poolscaler
