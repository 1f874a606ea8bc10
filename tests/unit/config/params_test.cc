// ParamReader: typed getters, error messages "<path><key>: <problem> (value "…")", secrets
// never quoted, and RejectUnknown naming every key nobody read.
#include "poolscaler/config/params.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace poolscaler::config {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Optional;

TEST(ParamReaderTest, StringReadsAndMissingIsNullopt) {
  KeyValues kv{{"stream", "orders"}};
  ParamReader r(kv, "");
  EXPECT_TRUE(r.Has("stream"));
  EXPECT_FALSE(r.Has("group"));
  EXPECT_THAT(r.String("stream"), Optional(std::string("orders")));
  EXPECT_EQ(r.String("group"), std::nullopt);
  EXPECT_TRUE(r.ok());
}

TEST(ParamReaderTest, RequiredStringMissingAndEmpty) {
  KeyValues kv{{"stream", ""}};
  ParamReader r(kv, "sources[0].");
  EXPECT_EQ(r.RequiredString("name"), std::nullopt);
  EXPECT_EQ(r.RequiredString("stream"), std::nullopt);
  EXPECT_THAT(r.errors(), ElementsAre("sources[0].name: is required",
                                      "sources[0].stream: must not be empty"));
  EXPECT_FALSE(r.ok());
}

TEST(ParamReaderTest, DoubleGetters) {
  KeyValues kv{{"a", "1.5"}, {"b", "x"}, {"c", "0"}, {"d", "-1"}, {"e", "0"}, {"f", "2"}};
  ParamReader r(kv, "");
  EXPECT_THAT(r.Double("a"), Optional(1.5));
  EXPECT_EQ(r.Double("b"), std::nullopt);
  EXPECT_EQ(r.PositiveDouble("c"), std::nullopt);
  EXPECT_EQ(r.NonNegativeDouble("d"), std::nullopt);
  EXPECT_THAT(r.NonNegativeDouble("e"), Optional(0.0));
  EXPECT_THAT(r.PositiveDouble("f"), Optional(2.0));
  EXPECT_THAT(r.errors(), ElementsAre("b: expected a number (value \"x\")",
                                      "c: must be greater than 0 (value \"0\")",
                                      "d: must not be negative (value \"-1\")"));
}

TEST(ParamReaderTest, IntChecksRange) {
  KeyValues kv{{"port", "6379"}, {"low", "0"}, {"high", "70000"}, {"bad", "1.5"}};
  ParamReader r(kv, "");
  EXPECT_THAT(r.Int("port", 1, 65535), Optional(int64_t{6379}));
  EXPECT_EQ(r.Int("low", 1, 65535), std::nullopt);
  EXPECT_EQ(r.Int("high", 1, 65535), std::nullopt);
  EXPECT_EQ(r.Int("bad", 1, 65535), std::nullopt);
  EXPECT_THAT(r.errors(), ElementsAre("low: must be between 1 and 65535 (value \"0\")",
                                      "high: must be between 1 and 65535 (value \"70000\")",
                                      "bad: expected a whole number (value \"1.5\")"));
}

TEST(ParamReaderTest, BoolAndDuration) {
  KeyValues kv{{"t", "True"}, {"f", "false"}, {"b", "yes"}, {"d", "250ms"}, {"bd", "5x"}};
  ParamReader r(kv, "");
  EXPECT_THAT(r.Bool("t"), Optional(true));
  EXPECT_THAT(r.Bool("f"), Optional(false));
  EXPECT_EQ(r.Bool("b"), std::nullopt);
  EXPECT_THAT(r.DurationValue("d"), Optional(Duration(std::chrono::milliseconds(250))));
  EXPECT_EQ(r.DurationValue("bd"), std::nullopt);
  ASSERT_EQ(r.errors().size(), 2u);
  EXPECT_EQ(r.errors()[0], "b: expected true or false (value \"yes\")");
  EXPECT_THAT(r.errors()[1], AllOf(HasSubstr("bd: unknown unit \"x\""), HasSubstr("\"5x\"")));
}

TEST(ParamReaderTest, SecretValueIsNeverQuoted) {
  KeyValues kv{{"passwordFromEnv", "hunter2"}};
  ParamReader r(kv, "");
  std::optional<Secret> s = r.SecretValue("passwordFromEnv");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->Reveal(), "hunter2");
  r.Fail("passwordFromEnv", "rejected");
  EXPECT_THAT(r.errors(), ElementsAre("passwordFromEnv: rejected"));
}

TEST(ParamReaderTest, FailQuotesValueUnlessSecret) {
  KeyValues kv{{"host", "redis"}, {"token", "abc123"}};
  ParamReader r(kv, "p.");
  r.Fail("host", "bad host");
  r.Fail("host", "bad host", /*secret=*/true);
  r.Fail("token", "bad token");
  r.Fail("missing", "needed");
  EXPECT_THAT(r.errors(), ElementsAre("p.host: bad host (value \"redis\")", "p.host: bad host",
                                      "p.token: bad token", "p.missing: needed"));
}

TEST(ParamReaderTest, FailEntryNamesThePath) {
  KeyValues kv;
  ParamReader top(kv, "");
  top.FailEntry("whole thing");
  ParamReader nested(kv, "sources[2].");
  nested.FailEntry("broken");
  EXPECT_THAT(top.errors(), ElementsAre("whole thing"));
  EXPECT_THAT(nested.errors(), ElementsAre("sources[2]: broken"));
}

TEST(ParamReaderTest, RejectUnknownListsEveryUntouchedKey) {
  KeyValues kv{{"stream", "s"}, {"foo", "bar"}, {"zzz", "1"}, {"scalerAddress", "x:9090"}};
  ParamReader r(kv, "");
  r.String("stream");
  r.Ignore({"scalerAddress"});
  EXPECT_THAT(r.UnusedKeys(), ElementsAre("foo", "zzz"));
  r.RejectUnknown();
  EXPECT_THAT(r.errors(), ElementsAre("foo: unknown key \"foo\" (value \"bar\")",
                                      "zzz: unknown key \"zzz\" (value \"1\")"));
  EXPECT_THAT(r.UnusedKeys(), IsEmpty());
}

TEST(ParamReaderTest, RejectUnknownAppendsContext) {
  KeyValues kv{{"foo", "bar"}};
  ParamReader r(kv, "");
  r.RejectUnknown("try these");
  EXPECT_THAT(r.errors(), ElementsAre("foo: unknown key \"foo\" (value \"bar\"); try these"));
}

TEST(ParamReaderTest, RejectUnknownHidesSecretLookingValues) {
  KeyValues kv{{"tokenFromEnv", "s3cret-a"}, {"password", "s3cret-b"}, {"apiKey", "s3cret-c"},
               {"clientSecret", "s3cret-d"}};
  ParamReader r(kv, "");
  r.RejectUnknown();
  ASSERT_EQ(r.errors().size(), 4u);
  for (const std::string& e : r.errors()) {
    EXPECT_THAT(e, HasSubstr("unknown key"));
    EXPECT_THAT(e, Not(HasSubstr("s3cret")));
    EXPECT_THAT(e, Not(HasSubstr("value")));
  }
}

TEST(ParamReaderTest, YamlLinesAndStructuredKeys) {
  KeyValues kv{{"stream", ""}, {"port", "x"}, {"extra", "1"}};
  ParamReader r(kv, "sources[1].");
  r.SetYamlInfo({{"stream", 9}, {"port", 7}, {"extra", 8}}, 5, {"stream"});
  EXPECT_EQ(r.Where("port"), "sources[1].port (line 7)");
  EXPECT_EQ(r.Where("nokey"), "sources[1].nokey (line 5)");  // missing: the entry's line
  EXPECT_EQ(r.RequiredString("stream"), std::nullopt);  // one error, not two
  EXPECT_EQ(r.Int("port", 1, 65535), std::nullopt);
  r.FailEntry("entry problem");
  r.RejectUnknown();
  EXPECT_THAT(r.errors(),
              ElementsAre("sources[1].stream (line 9): expected a single value, not a list or map",
                          "sources[1].port (line 7): expected a whole number (value \"x\")",
                          "sources[1] (line 5): entry problem",
                          "sources[1].extra (line 8): unknown key \"extra\" (value \"1\")"));
}

TEST(ParamReaderTest, LongValuesAreTruncatedInMessages) {
  std::string long_value(500, 'a');
  KeyValues kv{{"n", long_value}};
  ParamReader r(kv, "");
  r.Double("n");
  ASSERT_EQ(r.errors().size(), 1u);
  EXPECT_LT(r.errors()[0].size(), 200u);
  EXPECT_THAT(r.errors()[0], HasSubstr("…"));
}

}  // namespace
}  // namespace poolscaler::config
