#include "poolscaler/sources/redis_lag.h"

#include <limits>

#include <gtest/gtest.h>

namespace poolscaler::sources {
namespace {

constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

TEST(ParseStreamIdTest, MsAndSeq) {
  EXPECT_EQ(ParseStreamId("1526919030474-55"), (StreamId{1526919030474, 55}));
  EXPECT_EQ(ParseStreamId("0-0"), (StreamId{0, 0}));
  EXPECT_EQ(ParseStreamId("0-1"), (StreamId{0, 1}));
}

TEST(ParseStreamIdTest, MsAloneMeansSeqZero) {
  EXPECT_EQ(ParseStreamId("1526919030474"), (StreamId{1526919030474, 0}));
  EXPECT_EQ(ParseStreamId("0"), (StreamId{0, 0}));
}

TEST(ParseStreamIdTest, LargestValues) {
  EXPECT_EQ(ParseStreamId("18446744073709551615-18446744073709551615"), (StreamId{kMax, kMax}));
}

TEST(ParseStreamIdTest, OverflowIsRejected) {
  EXPECT_EQ(ParseStreamId("18446744073709551616-0"), std::nullopt);
  EXPECT_EQ(ParseStreamId("0-18446744073709551616"), std::nullopt);
}

TEST(ParseStreamIdTest, MissingPartsAreRejected) {
  EXPECT_EQ(ParseStreamId(""), std::nullopt);
  EXPECT_EQ(ParseStreamId("-"), std::nullopt);
  EXPECT_EQ(ParseStreamId("1-"), std::nullopt);
  EXPECT_EQ(ParseStreamId("-1"), std::nullopt);
}

TEST(ParseStreamIdTest, ExtraCharactersAreRejected) {
  EXPECT_EQ(ParseStreamId("1-2-3"), std::nullopt);
  EXPECT_EQ(ParseStreamId("1--2"), std::nullopt);
  EXPECT_EQ(ParseStreamId(" 1-2"), std::nullopt);
  EXPECT_EQ(ParseStreamId("1-2 "), std::nullopt);
  EXPECT_EQ(ParseStreamId("+1-2"), std::nullopt);
  EXPECT_EQ(ParseStreamId("1-+2"), std::nullopt);
  EXPECT_EQ(ParseStreamId("1.5-2"), std::nullopt);
  EXPECT_EQ(ParseStreamId("0x10-0"), std::nullopt);
}

TEST(ParseStreamIdTest, SpecialIdsAreNotIds) {
  // XRANGE/XREADGROUP specials are not entry ids.
  EXPECT_EQ(ParseStreamId("$"), std::nullopt);
  EXPECT_EQ(ParseStreamId(">"), std::nullopt);
  EXPECT_EQ(ParseStreamId("*"), std::nullopt);
  EXPECT_EQ(ParseStreamId("1-*"), std::nullopt);
  EXPECT_EQ(ParseStreamId("(1-0"), std::nullopt);
}

TEST(ParseStreamIdTest, EmbeddedNulIsRejected) {
  EXPECT_EQ(ParseStreamId(std::string_view("1-2\0", 4)), std::nullopt);
}

TEST(FormatStreamIdTest, RoundTrips) {
  EXPECT_EQ(FormatStreamId(StreamId{1526919030474, 55}), "1526919030474-55");
  EXPECT_EQ(FormatStreamId(StreamId{}), "0-0");
  EXPECT_EQ(FormatStreamId(StreamId{kMax, kMax}), "18446744073709551615-18446744073709551615");
  EXPECT_EQ(ParseStreamId(FormatStreamId(StreamId{7, 3})), (StreamId{7, 3}));
}

TEST(StreamIdTest, OrdersByMsThenSeq) {
  EXPECT_LT((StreamId{1, 9}), (StreamId{2, 0}));
  EXPECT_LT((StreamId{2, 0}), (StreamId{2, 1}));
  EXPECT_EQ((StreamId{2, 1}), (StreamId{2, 1}));
}

GroupInfo Info(int64_t length, std::optional<int64_t> lag) {
  GroupInfo info;
  info.length = length;
  info.lag = lag;
  return info;
}

TEST(UndeliveredFromLagTest, LagBelowLengthIsUsedAsIs) {
  EXPECT_EQ(UndeliveredFromLag(Info(10, 3)), 3);
}

TEST(UndeliveredFromLagTest, LagEqualToLength) {
  EXPECT_EQ(UndeliveredFromLag(Info(10, 10)), 10);
}

TEST(UndeliveredFromLagTest, ZeroLag) {
  EXPECT_EQ(UndeliveredFromLag(Info(10, 0)), 0);
  EXPECT_EQ(UndeliveredFromLag(Info(0, 0)), 0);
}

// XTRIM removed entries the group never read: Redis's lag still counts them.
TEST(UndeliveredFromLagTest, LagAboveLengthIsCappedAtLength) {
  EXPECT_EQ(UndeliveredFromLag(Info(1, 4)), 1);
  EXPECT_EQ(UndeliveredFromLag(Info(0, 4)), 0);
}

// XDEL of an entry past the group's last-delivered id: Redis reports lag nil.
TEST(UndeliveredFromLagTest, MissingLagNeedsAScan) {
  EXPECT_EQ(UndeliveredFromLag(Info(10, std::nullopt)), std::nullopt);
  EXPECT_EQ(UndeliveredFromLag(Info(0, std::nullopt)), std::nullopt);
}

TEST(UndeliveredFromLagTest, NegativeLagIsTreatedAsMissing) {
  EXPECT_EQ(UndeliveredFromLag(Info(10, -1)), std::nullopt);
}

TEST(UndeliveredFromLagTest, NegativeLengthCountsAsZero) {
  EXPECT_EQ(UndeliveredFromLag(Info(-1, 5)), 0);
}

TEST(UndeliveredFromLagTest, PendingAndLastDeliveredDoNotChangeTheAnswer) {
  GroupInfo info = Info(10, 3);
  info.pending = 7;
  info.last_delivered = StreamId{5, 0};
  EXPECT_EQ(UndeliveredFromLag(info), 3);
}

TEST(UndeliveredFromLagTest, HugeValues) {
  constexpr int64_t kBig = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(UndeliveredFromLag(Info(kBig, kBig)), kBig);
  EXPECT_EQ(UndeliveredFromLag(Info(5, kBig)), 5);
}

// Drain-time counters: arrivals = entries-read + lag (entries-added), completions =
// entries-read − pending.
TEST(CountersOfTest, ArrivalsAndCompletions) {
  GroupInfo info = Info(10, 4);
  info.entries_read = 6;
  info.pending = 2;
  info.last_delivered = StreamId{6, 0};
  std::optional<GroupCounters> c = CountersOf(info);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->arrived, 10);
  EXPECT_EQ(c->completed, 4);
}

TEST(CountersOfTest, UnknownWithoutLagOrEntriesRead) {
  GroupInfo info = Info(10, std::nullopt);
  info.entries_read = 6;
  info.last_delivered = StreamId{6, 0};
  EXPECT_FALSE(CountersOf(info));  // XDEL past the group: lag nil
  info = Info(10, 4);
  info.last_delivered = StreamId{6, 0};
  EXPECT_FALSE(CountersOf(info));  // delivered something, entries-read unknown
}

TEST(CountersOfTest, AGroupThatDeliveredNothingHasReadNothing) {
  GroupInfo info = Info(5, 5);  // created at 0: Redis reports entries-read nil
  std::optional<GroupCounters> c = CountersOf(info);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->arrived, 5);
  EXPECT_EQ(c->completed, 0);
}

TEST(CountersOfTest, NeverNegativeOrOverflowing) {
  constexpr int64_t kBig = std::numeric_limits<int64_t>::max();
  GroupInfo info = Info(1, kBig);
  info.entries_read = 2;
  info.last_delivered = StreamId{1, 0};
  EXPECT_FALSE(CountersOf(info));
  info = Info(1, 0);
  info.entries_read = 1;
  info.pending = 3;  // more pending than read (the PEL outlived a trim): completions floor at 0
  info.last_delivered = StreamId{1, 0};
  EXPECT_EQ(CountersOf(info)->completed, 0);
}

}  // namespace
}  // namespace poolscaler::sources
