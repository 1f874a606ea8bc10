// SourceSpec identity (Key), description and measures for redis-streams.
#include "poolscaler/config/source_spec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace poolscaler::config {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

SourceSpec Redis(std::string group = "workers") {
  SourceSpec spec;
  spec.name = "orders";
  spec.kind = kRedisStreams;
  RedisStreamsParams p;
  p.host = "127.0.0.1";
  p.port = 6379;
  p.stream = "orders";
  p.consumer_group = std::move(group);
  p.username = "app-user";
  p.password = Secret("hunter2-pw");
  spec.params = p;
  return spec;
}

RedisStreamsParams& P(SourceSpec& spec) { return std::get<RedisStreamsParams>(spec.params); }

TEST(SourceSpecTest, KeyNamesConnectionAndQueryButNotSecrets) {
  SourceSpec spec = Redis();
  std::string key = spec.Key();
  EXPECT_THAT(key, HasSubstr("redis-streams"));
  EXPECT_THAT(key, HasSubstr("host=127.0.0.1"));
  EXPECT_THAT(key, HasSubstr("port=6379"));
  EXPECT_THAT(key, HasSubstr("db=0"));
  EXPECT_THAT(key, HasSubstr("stream=orders"));
  EXPECT_THAT(key, HasSubstr("group=workers"));
  EXPECT_THAT(key, HasSubstr(P(spec).password.Fingerprint()));
  EXPECT_THAT(key, HasSubstr(Secret("app-user").Fingerprint()));
  EXPECT_THAT(key, Not(HasSubstr("hunter2")));
  EXPECT_THAT(key, Not(HasSubstr("app-user")));
}

TEST(SourceSpecTest, KeyChangesWithEveryIdentityField) {
  const std::string base = Redis().Key();
  std::vector<void (*)(RedisStreamsParams&)> changes = {
      [](RedisStreamsParams& p) { p.host = "10.0.0.1"; },
      [](RedisStreamsParams& p) { p.port = 6380; },
      [](RedisStreamsParams& p) { p.database = 1; },
      [](RedisStreamsParams& p) { p.stream = "other"; },
      [](RedisStreamsParams& p) { p.consumer_group = "other"; },
      [](RedisStreamsParams& p) { p.username = "other"; },
      [](RedisStreamsParams& p) { p.password = Secret("other"); },
  };
  for (size_t i = 0; i < changes.size(); ++i) {
    SourceSpec spec = Redis();
    changes[i](P(spec));
    EXPECT_NE(spec.Key(), base) << "change " << i;
  }
}

TEST(SourceSpecTest, KeyIgnoresNameAndTiming) {
  SourceSpec a = Redis();
  SourceSpec b = Redis();
  b.name = "another-name";
  b.sample_interval = std::chrono::seconds(1);
  b.stale_after = std::chrono::seconds(3);
  b.timeout = std::chrono::milliseconds(500);
  EXPECT_EQ(a.Key(), b.Key());
}

TEST(SourceSpecTest, KeyFieldsCannotRunTogether) {
  SourceSpec a = Redis();
  P(a).stream = "a|group=b";
  P(a).consumer_group = "";
  SourceSpec b = Redis();
  P(b).stream = "a";
  P(b).consumer_group = "b";
  EXPECT_NE(a.Key(), b.Key());
}

TEST(SourceSpecTest, DescribeIsSecretFree) {
  SourceSpec spec = Redis();
  EXPECT_EQ(spec.Describe(), "redis-streams 127.0.0.1:6379 stream=orders group=workers");
  P(spec).database = 3;
  P(spec).host = "::1";
  P(spec).consumer_group = "";
  EXPECT_EQ(spec.Describe(), "redis-streams [::1]:6379 db=3 stream=orders");
  EXPECT_THAT(spec.Describe(), Not(HasSubstr("hunter2")));
}

TEST(SourceSpecTest, MeasuresDependOnConsumerGroup) {
  SourceSpec grouped = Redis("workers");
  EXPECT_EQ(grouped.DefaultMeasure(), kMeasureOutstanding);
  for (const char* m : {kMeasureLength, kMeasureUndelivered, kMeasurePending, kMeasureOutstanding}) {
    EXPECT_TRUE(grouped.HasMeasure(m)) << m;
  }
  EXPECT_FALSE(grouped.HasMeasure("lag"));

  SourceSpec plain = Redis("");
  EXPECT_EQ(plain.DefaultMeasure(), kMeasureLength);
  EXPECT_TRUE(plain.HasMeasure(kMeasureLength));
  EXPECT_FALSE(plain.HasMeasure(kMeasureUndelivered));
  EXPECT_FALSE(plain.HasMeasure(kMeasurePending));
  EXPECT_FALSE(plain.HasMeasure(kMeasureOutstanding));
}

TEST(SourceSpecTest, UnknownKindHasNoMeasures) {
  SourceSpec spec;
  spec.kind = "nats-jetstream";
  EXPECT_EQ(spec.DefaultMeasure(), "");
  EXPECT_FALSE(spec.HasMeasure(kMeasureLength));
  EXPECT_EQ(spec.Describe(), "nats-jetstream");
}

}  // namespace
}  // namespace poolscaler::config
