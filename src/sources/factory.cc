#include <fmt/format.h>

#include "absl/status/status.h"
#include "poolscaler/common/text.h"
#include "poolscaler/sources/http_sources.h"
#include "poolscaler/sources/nats_jetstream.h"
#include "poolscaler/sources/rabbitmq.h"
#include "poolscaler/sources/redis_streams.h"
#include "poolscaler/sources/source.h"

namespace poolscaler::sources {
namespace {

// Dispatches on SourceSpec::kind to the factory of each supported backend. Thread-safe because
// every backend factory is.
class DefaultFactory final : public SourceFactory {
 public:
  absl::StatusOr<std::unique_ptr<Source>> Create(const config::SourceSpec& spec) override {
    if (spec.kind == config::kRedisStreams) return redis_streams_.Create(spec);
    if (spec.kind == config::kNatsJetStream) return nats_jetstream_.Create(spec);
    if (spec.kind == config::kPrometheus) return prometheus_.Create(spec);
    if (spec.kind == config::kKubernetesResources) return kubernetes_resources_.Create(spec);
    if (spec.kind == config::kRabbitMq) return rabbitmq_.Create(spec);
    if (spec.kind == config::kKubernetesScale) return kubernetes_scale_.Create(spec);
    return absl::InvalidArgumentError(
        fmt::format("source {}: unknown kind {}", Quote(spec.name), Quote(spec.kind)));
  }

 private:
  RedisStreamsFactory redis_streams_;
  NatsJetStreamFactory nats_jetstream_;
  PrometheusFactory prometheus_;
  KubernetesResourcesFactory kubernetes_resources_;
  RabbitMqFactory rabbitmq_;
  KubernetesScaleFactory kubernetes_scale_;
};

}  // namespace

std::unique_ptr<SourceFactory> MakeDefaultFactory() { return std::make_unique<DefaultFactory>(); }

}  // namespace poolscaler::sources
