// SourceRegistry with the product's source factory and a Sampler that is never started (no
// broker is contacted): unique names, ApplyConfig's all-or-nothing rule, reloads that change
// timing or address, raw triggers keeping a source alive, and RetireIdle.
#include "poolscaler/sampler/registry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "poolscaler/config/config.h"
#include "support/manual_clock.h"

namespace poolscaler::sampler {
namespace {

using std::chrono::seconds;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// The product's factory, failing for one source name (as a factory fails for a bad spec).
class FailingFor final : public sources::SourceFactory {
 public:
  explicit FailingFor(std::string name) : name_(std::move(name)) {}
  absl::StatusOr<std::unique_ptr<sources::Source>> Create(const config::SourceSpec& s) override {
    if (s.name == name_) return absl::InvalidArgumentError("cannot create this one");
    return real_->Create(s);
  }

 private:
  std::string name_;
  std::unique_ptr<sources::SourceFactory> real_ = sources::MakeDefaultFactory();
};

std::string RedisSource(const std::string& name, const std::string& stream,
                        const std::string& interval = "1s", int port = 6399) {
  return "  - {name: " + name +
         ", type: redis-streams, address: \"127.0.0.1:" + std::to_string(port) +
         "\", stream: " + stream + ", consumerGroup: g, sampleInterval: " + interval + "}\n";
}

std::vector<config::SourceSpec> Sources(const std::string& yaml) {
  absl::StatusOr<config::Config> c = config::ParseConfig("sources:\n" + yaml);
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? c->sources : std::vector<config::SourceSpec>{};
}

class RegistryTest : public ::testing::Test {
 protected:
  const TimePoint t0_ = TimePoint{} + seconds(1000);
  testing::ManualClock clock_;
  FailingFor factory_{"broken"};
  SampleStore store_;
  Sampler sampler_{store_, clock_, 1};
  SourceRegistry registry_{factory_, sampler_, store_};
};

TEST_F(RegistryTest, ApplyConfigIsAllOrNothing) {
  auto first = registry_.ApplyConfig(Sources(RedisSource("orders", "orders")));
  ASSERT_TRUE(first.ok()) << first.status();
  const std::string orders = first->at("orders");
  // A reload that changes orders' timing and adds one source that cannot be created: refused
  // with the source named, and nothing changed (not even orders' timing).
  auto second = registry_.ApplyConfig(Sources(RedisSource("orders", "orders", "3s") +
                                              RedisSource("extra", "extra") +
                                              RedisSource("broken", "broken")));
  ASSERT_FALSE(second.ok());
  EXPECT_THAT(second.status().message(), HasSubstr("source broken: cannot create this one"));
  EXPECT_EQ(registry_.size(), 1u);
  EXPECT_EQ(registry_.Find(orders)->sample_interval, seconds(1));
  EXPECT_EQ(sampler_.size(), 1u);
}

TEST_F(RegistryTest, AReloadReplacesTimingInPlaceAndAddressesByKey) {
  auto first = registry_.ApplyConfig(Sources(RedisSource("orders", "orders")));
  ASSERT_TRUE(first.ok());
  const std::string key = first->at("orders");
  auto timing = registry_.ApplyConfig(Sources(RedisSource("orders", "orders", "2s")));
  ASSERT_TRUE(timing.ok());
  EXPECT_EQ(timing->at("orders"), key);  // same query, same key: replaced in place
  EXPECT_EQ(registry_.Find(key)->sample_interval, seconds(2));
  auto moved = registry_.ApplyConfig(Sources(RedisSource("orders", "orders", "2s", 6400)));
  ASSERT_TRUE(moved.ok());
  EXPECT_NE(moved->at("orders"), key);  // another server is another source
  EXPECT_FALSE(registry_.Find(key).has_value());
  ASSERT_TRUE(registry_.Find(moved->at("orders")).has_value());
  EXPECT_EQ(registry_.Find(moved->at("orders"))->name, "orders");  // its labels stay "orders"
  EXPECT_EQ(registry_.size(), 1u);
  EXPECT_EQ(sampler_.size(), 1u);
}

TEST_F(RegistryTest, NamesStayUniqueAcrossDifferentQueries) {
  auto applied = registry_.ApplyConfig(Sources(RedisSource("orders", "orders")));
  ASSERT_TRUE(applied.ok());
  // A raw trigger's source with the same display name but another query.
  config::SourceSpec other = Sources(RedisSource("orders", "payments"))[0];
  absl::StatusOr<std::string> key = registry_.EnsureRaw(other, t0_);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_NE(*key, applied->at("orders"));
  EXPECT_THAT(registry_.Find(*key)->name, StartsWith("orders~"));
  EXPECT_EQ(registry_.Find(applied->at("orders"))->name, "orders");
}

TEST_F(RegistryTest, ARawTriggerKeepsARemovedConfigSourceUntilIdle) {
  auto applied = registry_.ApplyConfig(Sources(RedisSource("orders", "orders")));
  ASSERT_TRUE(applied.ok());
  const std::string key = applied->at("orders");
  // A raw trigger asks for the same query: one source, shared.
  ASSERT_EQ(*registry_.EnsureRaw(*registry_.Find(key), t0_), key);
  EXPECT_EQ(registry_.size(), 1u);
  // While the config owns it, idleness does not retire it.
  EXPECT_THAT(registry_.RetireIdle(t0_ + seconds(600), seconds(60)), ::testing::IsEmpty());
  // The config drops it; the raw trigger keeps it alive until it has been idle for raw_idle.
  ASSERT_TRUE(registry_.ApplyConfig({}).ok());
  EXPECT_TRUE(registry_.Find(key).has_value());
  registry_.Touch(key, t0_ + seconds(600));
  EXPECT_THAT(registry_.RetireIdle(t0_ + seconds(660), seconds(60)), ::testing::IsEmpty());
  EXPECT_THAT(registry_.RetireIdle(t0_ + seconds(661), seconds(60)),
              ::testing::ElementsAre("orders"));
  EXPECT_EQ(registry_.size(), 0u);
  EXPECT_EQ(sampler_.size(), 0u);
}

TEST_F(RegistryTest, AConfigSourceNoRawTriggerUsesGoesAtOnce) {
  ASSERT_TRUE(registry_.ApplyConfig(Sources(RedisSource("orders", "orders"))).ok());
  ASSERT_TRUE(registry_.ApplyConfig({}).ok());
  EXPECT_EQ(registry_.size(), 0u);
}

}  // namespace
}  // namespace poolscaler::sampler
