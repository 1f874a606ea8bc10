// Secret: fingerprints are stable, distinct, short and do not contain the secret.
#include "poolscaler/common/secret.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace poolscaler {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

TEST(SecretTest, FingerprintIsStableAndShort) {
  Secret a("hunter2");
  EXPECT_EQ(a.Fingerprint(), Secret("hunter2").Fingerprint());
  EXPECT_THAT(a.Fingerprint(), MatchesRegex("sha256:[0-9a-f]{16}"));
  // sha256("hunter2") starts f52fbd32b2b3b86f.
  EXPECT_EQ(a.Fingerprint(), "sha256:f52fbd32b2b3b86f");
}

TEST(SecretTest, FingerprintHidesTheSecret) {
  for (const char* value : {"hunter2", "correct horse battery", "sha256:", "0123456789abcdef"}) {
    Secret s(value);
    EXPECT_THAT(s.Fingerprint().substr(7), Not(HasSubstr(value))) << value;
  }
}

TEST(SecretTest, DistinctSecretsDistinctFingerprints) {
  EXPECT_NE(Secret("a").Fingerprint(), Secret("b").Fingerprint());
  EXPECT_NE(Secret("password").Fingerprint(), Secret("password ").Fingerprint());
}

TEST(SecretTest, EmptySecret) {
  Secret empty;
  EXPECT_TRUE(empty.empty());
  EXPECT_EQ(empty.Fingerprint(), "");
  EXPECT_EQ(Secret("").Fingerprint(), "");
}

TEST(SecretTest, RevealAndEquality) {
  Secret s("x");
  EXPECT_FALSE(s.empty());
  EXPECT_EQ(s.Reveal(), "x");
  EXPECT_TRUE(s == Secret("x"));
  EXPECT_FALSE(s == Secret("y"));
}

}  // namespace
}  // namespace poolscaler
