// NKey seeds → public keys (the real proof is NatsAuthTest.NkeySeedFileIsSampled: nats-server
// accepts the derived key and nats.c's signature). Here: shape, whitespace and every rejection.
#include "poolscaler/sources/nkey.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace poolscaler::sources {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(NkeyTest, SeedGivesAUserPublicKey) {
  std::array<uint8_t, 32> raw{};
  for (size_t i = 0; i < raw.size(); ++i) raw[i] = static_cast<uint8_t>(i * 7 + 1);
  Secret seed = NkeyEncodeUserSeed(raw);
  EXPECT_EQ(seed.Reveal().size(), 58u);
  EXPECT_TRUE(seed.Reveal().starts_with("SU"));
  auto key = NkeyUserPublicKey(seed);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->size(), 56u);
  EXPECT_TRUE(key->starts_with("U"));
  // Whitespace around the seed (a file with a newline) is fine; the key is deterministic.
  EXPECT_EQ(*NkeyUserPublicKey(Secret("  " + seed.Reveal() + "\n")), *key);
  raw[0] ^= 1;
  EXPECT_NE(*NkeyUserPublicKey(NkeyEncodeUserSeed(raw)), *key);
}

TEST(NkeyTest, PublicKeysOfEachTypeStartWithTheirLetter) {
  std::array<uint8_t, 32> raw{};
  raw[3] = 9;
  EXPECT_TRUE(NkeyPublicKeyFromRaw(NkeyType::kOperator, raw)->starts_with("O"));
  EXPECT_TRUE(NkeyPublicKeyFromRaw(NkeyType::kAccount, raw)->starts_with("A"));
  EXPECT_EQ(*NkeyPublicKeyFromRaw(NkeyType::kUser, raw),
            *NkeyUserPublicKey(NkeyEncodeUserSeed(raw)));
}

TEST(NkeyTest, BadSeedsAreRejectedWithoutQuotingThem) {
  std::array<uint8_t, 32> raw{};
  std::string good = NkeyEncodeUserSeed(raw).Reveal();
  std::string flipped = good;
  flipped[10] = flipped[10] == 'A' ? 'B' : 'A';
  for (const std::string& bad : {std::string("hello"), std::string("SUshort"),
                                 std::string("SU") + std::string(56, '1'), flipped,
                                 "SA" + good.substr(2)}) {
    auto key = NkeyUserPublicKey(Secret(bad));
    EXPECT_EQ(key.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(std::string(key.status().message()), Not(HasSubstr(bad)));
  }
  EXPECT_THAT(std::string(NkeyUserPublicKey(Secret(flipped)).status().message()),
              HasSubstr("checksum"));
}

}  // namespace
}  // namespace poolscaler::sources
