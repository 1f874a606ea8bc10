#include "poolscaler/config/source_spec.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "source_params.h"

namespace poolscaler::config {
namespace {

// Escapes the separators used in keys, so distinct fields can never run together.
std::string KeyField(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '|' || c == '=') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

const RedisStreamsParams* Redis(const SourceSpec& spec) {
  if (spec.kind != kRedisStreams) return nullptr;
  return std::get_if<RedisStreamsParams>(&spec.params);
}

const NatsJetStreamParams* Nats(const SourceSpec& spec) {
  if (spec.kind != kNatsJetStream) return nullptr;
  return std::get_if<NatsJetStreamParams>(&spec.params);
}

const RabbitMqParams* Rabbit(const SourceSpec& spec) {
  if (spec.kind != kRabbitMq) return nullptr;
  return std::get_if<RabbitMqParams>(&spec.params);
}

const char* OperationName(RabbitMqParams::Operation op) {
  switch (op) {
    case RabbitMqParams::Operation::kMax:
      return "max";
    case RabbitMqParams::Operation::kAvg:
      return "avg";
    case RabbitMqParams::Operation::kSum:
      break;
  }
  return "sum";
}

std::string RedisKey(const std::string& kind, const RedisStreamsParams& r) {
  // The username is fingerprinted like the password: in raw mode it arrives through
  // usernameFromEnv, and the key can reach logs as part of a signal's name.
  return fmt::format("{}|host={}|port={}|db={}|stream={}|group={}|user={}|password={}",
                     KeyField(kind), KeyField(r.host), r.port, r.database, KeyField(r.stream),
                     KeyField(r.consumer_group), Secret(r.username).Fingerprint(),
                     r.password.Fingerprint());
}

std::string RedisDescribe(const std::string& kind, const RedisStreamsParams& r) {
  std::string out = fmt::format("{} {}", kind, FormatHostPort(r.host, r.port));
  if (r.database != 0) out += fmt::format(" db={}", r.database);
  out += fmt::format(" stream={}", r.stream);
  if (!r.consumer_group.empty()) out += fmt::format(" group={}", r.consumer_group);
  return out;
}

const PrometheusParams* Prom(const SourceSpec& spec) {
  if (spec.kind != kPrometheus) return nullptr;
  return std::get_if<PrometheusParams>(&spec.params);
}

const KubernetesResourcesParams* Kube(const SourceSpec& spec) {
  if (spec.kind != kKubernetesResources) return nullptr;
  return std::get_if<KubernetesResourcesParams>(&spec.params);
}

const KubernetesScaleParams* Scale(const SourceSpec& spec) {
  if (spec.kind != kKubernetesScale) return nullptr;
  return std::get_if<KubernetesScaleParams>(&spec.params);
}

std::string ConnectionKey(const KubeConnection& k) {
  return fmt::format("kubeconfig={}|server={}|token={}|ca={}", KeyField(k.kubeconfig),
                     KeyField(k.api_server), KeyField(k.token_file), KeyField(k.ca_file));
}

std::string PrometheusKey(const std::string& kind, const PrometheusParams& p) {
  return fmt::format(
      "{}|server={}|query={}|reduce={}|nulls={}|token={}|user={}|password={}|ca={}|cert={}|"
      "key={}|unsafe={}",
      KeyField(kind), KeyField(p.server_address), KeyField(p.query), ReduceName(p.reduce),
      p.ignore_null_values, p.bearer_token.Fingerprint(), Secret(p.username).Fingerprint(),
      p.password.Fingerprint(), KeyField(p.tls_ca_file), KeyField(p.tls_cert_file),
      KeyField(p.tls_key_file), p.unsafe_ssl);
}

std::string KubeKey(const std::string& kind, const KubernetesResourcesParams& k) {
  return fmt::format("{}|ns={}|selector={}|{}|cpu={}|memory={}|pods={}", KeyField(kind),
                     KeyField(k.namespace_name), KeyField(k.label_selector), ConnectionKey(k),
                     k.cpu_request_cores, k.memory_request_bytes, k.requests_from_pods);
}

std::vector<std::string> KubeMeasures(const KubernetesResourcesParams& k) {
  std::vector<std::string> out = {kMeasurePods, kMeasureCpu, kMeasureMemory, kMeasureCpuTotal,
                                  kMeasureMemoryTotal};
  if (k.cpu_request_cores > 0 || k.requests_from_pods) out.push_back(kMeasureCpuUtilization);
  if (k.memory_request_bytes > 0 || k.requests_from_pods) {
    out.push_back(kMeasureMemoryUtilization);
  }
  return out;
}

}  // namespace

std::string ScaleTargetRef::Describe() const {
  std::string lower;
  for (char c : kind)
    lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  return fmt::format("{} {}/{} ({})", lower, namespace_name, name, api_version);
}

const char* ReduceName(Reduce r) {
  switch (r) {
    case Reduce::kSum:
      return "sum";
    case Reduce::kMax:
      return "max";
    case Reduce::kMin:
      return "min";
    case Reduce::kAvg:
      return "avg";
  }
  return "sum";
}

bool IsUtilizationMeasure(const std::string& kind, const std::string& measure) {
  return kind == kKubernetesResources &&
         (measure == kMeasureCpu || measure == kMeasureMemory ||
          measure == kMeasureCpuUtilization || measure == kMeasureMemoryUtilization);
}

std::string NatsConnectionKey(const NatsJetStreamParams& n) {
  std::vector<std::string> servers;
  for (const std::string& s : n.servers) {
    std::string field;
    for (char c : KeyField(s)) {
      if (c == ',') field.push_back('\\');  // the list separator
      field.push_back(c);
    }
    servers.push_back(std::move(field));
  }
  std::sort(servers.begin(), servers.end());
  servers.erase(std::unique(servers.begin(), servers.end()), servers.end());
  return fmt::format(
      "servers={}|user={}|password={}|token={}|creds={}|nkey={}|ca={}|cert={}|key={}",
      fmt::join(servers, ","), Secret(n.username).Fingerprint(), n.password.Fingerprint(),
      n.token.Fingerprint(), KeyField(n.creds_file), KeyField(n.nkey_seed_file),
      KeyField(n.tls_ca_file), KeyField(n.tls_cert_file), KeyField(n.tls_key_file));
}

std::string RabbitMqParams::Endpoint() const {
  const char* scheme =
      protocol == Protocol::kHttp ? (tls ? "https" : "http") : (tls ? "amqps" : "amqp");
  return fmt::format("{}://{}{}", scheme, FormatHostPort(host, port), path_prefix);
}

std::string RabbitMqConnectionKey(const RabbitMqParams& p) {
  // An AMQP connection is opened on one vhost; HTTP requests name the vhost in the path.
  std::string vhost = p.protocol == RabbitMqParams::Protocol::kAmqp ? p.vhost : "";
  return fmt::format("endpoint={}|vhost={}|user={}|password={}|ca={}|cert={}|key={}",
                     KeyField(p.Endpoint()), KeyField(vhost), Secret(p.username).Fingerprint(),
                     p.password.Fingerprint(), KeyField(p.tls_ca_file), KeyField(p.tls_cert_file),
                     KeyField(p.tls_key_file));
}

std::string SourceSpec::Key() const {
  if (const RabbitMqParams* q = Rabbit(*this)) {
    // The mode and excludeUnacknowledged only pick the default measure: not part of the query.
    return fmt::format(
        "{}|{}|vhost={}|queue={}|regex={}|op={}|window={}", KeyField(kind),
        RabbitMqConnectionKey(*q), KeyField(q->vhost), KeyField(q->queue), q->use_regex,
        OperationName(q->operation),
        std::chrono::duration_cast<std::chrono::milliseconds>(q->rate_window).count());
  }
  if (const RedisStreamsParams* r = Redis(*this)) return RedisKey(kind, *r);
  if (const NatsJetStreamParams* n = Nats(*this)) {
    // The account is not part of the identity: the credentials decide the account.
    return fmt::format("{}|{}|domain={}|stream={}|consumer={}", KeyField(kind),
                       NatsConnectionKey(*n), KeyField(n->domain), KeyField(n->stream),
                       KeyField(n->consumer));
  }
  if (const PrometheusParams* p = Prom(*this)) return PrometheusKey(kind, *p);
  if (const KubernetesResourcesParams* k = Kube(*this)) return KubeKey(kind, *k);
  if (const KubernetesScaleParams* k = Scale(*this)) {
    return fmt::format("{}|api={}|kind={}|ns={}|name={}|{}", KeyField(kind),
                       KeyField(k->target.api_version), KeyField(k->target.kind),
                       KeyField(k->target.namespace_name), KeyField(k->target.name),
                       ConnectionKey(*k));
  }
  return KeyField(kind);
}

std::string SourceSpec::Describe() const {
  if (const RabbitMqParams* q = Rabbit(*this)) {
    std::string out =
        fmt::format("{} {} vhost={} queue={}", kind, q->Endpoint(), q->vhost, q->queue);
    if (q->use_regex) out += fmt::format(" (regex, {})", OperationName(q->operation));
    return out;
  }
  if (const RedisStreamsParams* r = Redis(*this)) return RedisDescribe(kind, *r);
  if (const NatsJetStreamParams* n = Nats(*this)) {
    std::string out = fmt::format("{} {}", kind, fmt::join(n->servers, ","));
    if (!n->domain.empty()) out += fmt::format(" domain={}", n->domain);
    if (!n->account.empty()) out += fmt::format(" account={}", n->account);
    out += fmt::format(" stream={}", n->stream);
    if (!n->consumer.empty()) out += fmt::format(" consumer={}", n->consumer);
    return out;
  }
  if (const PrometheusParams* p = Prom(*this)) {
    return fmt::format("{} {} query={} reduce={}", kind, p->server_address, p->query,
                       ReduceName(p->reduce));
  }
  if (const KubernetesResourcesParams* k = Kube(*this)) {
    std::string out = fmt::format("{} namespace={}", kind, k->namespace_name);
    if (!k->label_selector.empty()) out += fmt::format(" selector={}", k->label_selector);
    out += k->kubeconfig.empty() ? " in-cluster" : fmt::format(" kubeconfig={}", k->kubeconfig);
    return out;
  }
  if (const KubernetesScaleParams* k = Scale(*this)) {
    return fmt::format(
        "{} {}{}", kind, k->target.Describe(),
        k->kubeconfig.empty() ? " in-cluster" : fmt::format(" kubeconfig={}", k->kubeconfig));
  }
  return kind;
}

std::string SourceSpec::DefaultMeasure() const {
  if (const RabbitMqParams* q = Rabbit(*this)) {
    if (q->mode == RabbitMqParams::Mode::kMessageRate) return kMeasurePublishRate;
    // QueueLength: ready + unacked over HTTP; AMQP's queue.declare only knows ready.
    if (q->protocol == RabbitMqParams::Protocol::kAmqp || q->exclude_unacked) return kMeasureReady;
    return kMeasureOutstanding;
  }
  if (const RedisStreamsParams* r = Redis(*this)) {
    return r->consumer_group.empty() ? kMeasureLength : kMeasureOutstanding;
  }
  if (const NatsJetStreamParams* n = Nats(*this)) {
    return n->consumer.empty() ? kMeasureLength : kMeasureOutstanding;
  }
  if (Prom(*this) != nullptr) return kMeasureValue;
  if (const KubernetesResourcesParams* k = Kube(*this)) {
    return k->cpu_request_cores > 0 || k->requests_from_pods ? kMeasureCpuUtilization : kMeasureCpu;
  }
  if (Scale(*this) != nullptr) return kMeasureSpecReplicas;
  return "";
}

std::vector<std::string> SourceSpec::Measures() const {
  if (const RabbitMqParams* q = Rabbit(*this)) {
    if (q->protocol == RabbitMqParams::Protocol::kAmqp) return {kMeasureReady, kMeasureConsumers};
    return {kMeasureReady,     kMeasureUnacked,      kMeasureOutstanding,
            kMeasureConsumers, kMeasurePublishRate,  kMeasureDeliverRate,
            kMeasureAckRate,   kMeasureArrivedTotal, kMeasureCompletedTotal};
  }
  if (const RedisStreamsParams* r = Redis(*this)) {
    if (r->consumer_group.empty()) return {kMeasureLength};
    return {kMeasureLength,      kMeasureUndelivered,  kMeasurePending,
            kMeasureOutstanding, kMeasureArrivedTotal, kMeasureCompletedTotal};
  }
  if (const NatsJetStreamParams* n = Nats(*this)) {
    if (n->consumer.empty()) return {kMeasureLength};
    return {kMeasurePending,      kMeasureAckPending,    kMeasureOutstanding,
            kMeasureRedelivered,  kMeasureDeliveredSeq,  kMeasureAckFloorSeq,
            kMeasureArrivedTotal, kMeasureCompletedTotal};
  }
  if (Prom(*this) != nullptr) return {kMeasureValue};
  if (const KubernetesResourcesParams* k = Kube(*this)) return KubeMeasures(*k);
  if (Scale(*this) != nullptr) return {kMeasureSpecReplicas, kMeasureStatusReplicas};
  return {};
}

bool SourceSpec::HasMeasure(const std::string& measure) const {
  std::vector<std::string> all = Measures();
  return std::find(all.begin(), all.end(), measure) != all.end();
}

}  // namespace poolscaler::config
