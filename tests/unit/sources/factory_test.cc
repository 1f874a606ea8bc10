#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "poolscaler/sources/source.h"

namespace poolscaler::sources {
namespace {

using ::testing::HasSubstr;

config::SourceSpec RedisSpec() {
  config::SourceSpec spec;
  spec.name = "orders";
  spec.kind = config::kRedisStreams;
  config::RedisStreamsParams params;
  params.host = "127.0.0.1";
  params.stream = "orders";
  spec.params = params;
  return spec;
}

TEST(DefaultFactoryTest, UnknownKindIsInvalidArgument) {
  auto factory = MakeDefaultFactory();
  config::SourceSpec spec = RedisSpec();
  spec.kind = "carrier-pigeon";
  auto source = factory->Create(spec);
  ASSERT_FALSE(source.ok());
  EXPECT_EQ(source.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(source.status().message()), HasSubstr("unknown kind \"carrier-pigeon\""));
}

TEST(DefaultFactoryTest, CreatesRedisStreamsWithoutConnecting) {
  auto factory = MakeDefaultFactory();
  config::SourceSpec spec = RedisSpec();
  spec.params = [] {
    config::RedisStreamsParams params;
    params.host = "127.0.0.1";
    params.port = 1;  // nothing listens there; Create must not care
    params.stream = "orders";
    return params;
  }();
  auto source = factory->Create(spec);
  ASSERT_TRUE(source.ok()) << source.status();
  EXPECT_EQ((*source)->spec().name, "orders");
}

TEST(DefaultFactoryTest, IncompleteRedisSpecIsInvalidArgument) {
  auto factory = MakeDefaultFactory();
  config::SourceSpec no_stream = RedisSpec();
  std::get<config::RedisStreamsParams>(no_stream.params).stream.clear();
  EXPECT_EQ(factory->Create(no_stream).status().code(), absl::StatusCode::kInvalidArgument);
  config::SourceSpec bad_port = RedisSpec();
  std::get<config::RedisStreamsParams>(bad_port.params).port = 70000;
  EXPECT_EQ(factory->Create(bad_port).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(DefaultFactoryTest, CreatesNatsJetStreamWithoutConnecting) {
  auto factory = MakeDefaultFactory();
  config::SourceSpec spec;
  spec.name = "jobs";
  spec.kind = config::kNatsJetStream;
  config::NatsJetStreamParams params;
  params.servers = {"nats://127.0.0.1:1"};  // nothing listens there; Create must not care
  params.stream = "JOBS";
  spec.params = params;
  auto source = factory->Create(spec);
  ASSERT_TRUE(source.ok()) << source.status();
  EXPECT_EQ((*source)->spec().name, "jobs");

  std::get<config::NatsJetStreamParams>(spec.params).servers.clear();
  EXPECT_EQ(factory->Create(spec).status().code(), absl::StatusCode::kInvalidArgument);
  // A redis spec under the nats kind is refused, not misread.
  config::SourceSpec mixed = RedisSpec();
  mixed.kind = config::kNatsJetStream;
  EXPECT_EQ(factory->Create(mixed).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(DefaultFactoryTest, CreatesPrometheusAndKubernetesResourcesWithoutConnecting) {
  auto factory = MakeDefaultFactory();
  config::SourceSpec prom;
  prom.name = "runs";
  prom.kind = config::kPrometheus;
  config::PrometheusParams p;
  p.server_address = "http://127.0.0.1:1";
  p.query = "up";
  prom.params = p;
  auto source = factory->Create(prom);
  ASSERT_TRUE(source.ok()) << source.status();

  config::SourceSpec kube;
  kube.name = "usage";
  kube.kind = config::kKubernetesResources;
  config::KubernetesResourcesParams k;
  k.namespace_name = "web";
  k.kubeconfig = "/nonexistent/kubeconfig";  // read at the first sample, not here
  kube.params = k;
  source = factory->Create(kube);
  ASSERT_TRUE(source.ok()) << source.status();
  absl::Status first = (*source)->Sample(SteadyClock::now() + std::chrono::seconds(1)).status();
  EXPECT_EQ(first.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(first.message()), HasSubstr("cannot read kubeconfig"));

  kube.params = p;  // kind and params disagree
  EXPECT_EQ(factory->Create(kube).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(DefaultFactoryTest, CreatesRabbitMqWithoutConnecting) {
  auto factory = MakeDefaultFactory();
  config::SourceSpec spec;
  spec.name = "runs";
  spec.kind = config::kRabbitMq;
  config::RabbitMqParams params;
  params.host = "127.0.0.1";
  params.port = 1;  // nothing listens there; Create must not care
  params.queue = "runs";
  spec.params = params;
  for (auto protocol : {config::RabbitMqParams::Protocol::kAmqp,
                        config::RabbitMqParams::Protocol::kHttp}) {
    std::get<config::RabbitMqParams>(spec.params).protocol = protocol;
    auto source = factory->Create(spec);
    ASSERT_TRUE(source.ok()) << source.status();
    EXPECT_EQ((*source)->spec().name, "runs");
  }
  // Regex and MessageRate need the management API; a bad regex is refused.
  auto& p = std::get<config::RabbitMqParams>(spec.params);
  p.protocol = config::RabbitMqParams::Protocol::kAmqp;
  p.use_regex = true;
  EXPECT_EQ(factory->Create(spec).status().code(), absl::StatusCode::kInvalidArgument);
  p.protocol = config::RabbitMqParams::Protocol::kHttp;
  p.queue = "runs-(";
  EXPECT_THAT(std::string(factory->Create(spec).status().message()), HasSubstr("not a valid regex"));
  p.queue.clear();
  EXPECT_EQ(factory->Create(spec).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace poolscaler::sources
