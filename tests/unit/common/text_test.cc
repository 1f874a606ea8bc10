// Quote: JSON-style escapes and truncation for error messages.
#include "poolscaler/common/text.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace poolscaler {
namespace {

using ::testing::EndsWith;
using ::testing::StartsWith;

TEST(QuoteTest, Plain) {
  EXPECT_EQ(Quote("orders"), "\"orders\"");
  EXPECT_EQ(Quote(""), "\"\"");
}

TEST(QuoteTest, Escapes) {
  EXPECT_EQ(Quote("a\"b"), "\"a\\\"b\"");
  EXPECT_EQ(Quote("a\\b"), "\"a\\\\b\"");
  EXPECT_EQ(Quote("a\nb\tc\rd"), "\"a\\nb\\tc\\rd\"");
  EXPECT_EQ(Quote(std::string("a\0b", 3)), "\"a\\u0000b\"");
  EXPECT_EQ(Quote("\x1b[31m"), "\"\\u001b[31m\"");
  EXPECT_EQ(Quote("é"), "\"é\"");  // UTF-8 passes through
}

TEST(QuoteTest, TruncatesAt80Bytes) {
  EXPECT_EQ(Quote(std::string(80, 'a')), "\"" + std::string(80, 'a') + "\"");
  std::string q = Quote(std::string(1000, 'a'));
  EXPECT_EQ(q, "\"" + std::string(80, 'a') + "…\"");
}

// Regression: truncation could cut a multi-byte UTF-8 character in half.
TEST(QuoteTest, TruncationKeepsUtf8Whole) {
  std::string value = std::string(79, 'a') + "é" + std::string(10, 'b');  // é spans bytes 80-81
  EXPECT_EQ(Quote(value), "\"" + std::string(79, 'a') + "…\"");
  std::string euro = std::string(78, 'a') + "€€";  // € is 3 bytes: bytes 79-81, 82-84
  EXPECT_EQ(Quote(euro), "\"" + std::string(78, 'a') + "…\"");
  std::string whole = std::string(77, 'a') + "€" + "zz";  // € ends exactly at byte 80
  EXPECT_EQ(Quote(whole), "\"" + std::string(77, 'a') + "€…\"");
}

}  // namespace
}  // namespace poolscaler
