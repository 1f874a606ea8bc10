#pragma once
// What a source is, as data: kind, connection, query and timing. Built from a YAML `sources[]`
// entry or from raw-mode trigger metadata; the sources module turns it into a live Source.
#include <string>
#include <variant>
#include <vector>

#include "poolscaler/common/secret.h"
#include "poolscaler/common/time.h"

namespace poolscaler::config {

inline constexpr char kRedisStreams[] = "redis-streams";
inline constexpr char kNatsJetStream[] = "nats-jetstream";
inline constexpr char kPrometheus[] = "prometheus";
inline constexpr char kKubernetesResources[] = "kubernetes-resources";
inline constexpr char kRabbitMq[] = "rabbitmq";
// Internal: a pool's workload (`scaleTargetRef`), read through its scale subresource. Made by
// the config reader for pools that name one, never written in `sources:`.
inline constexpr char kKubernetesScale[] = "kubernetes-scale";

// Measures a redis-streams source reports (SignalSpec::measure picks one).
inline constexpr char kMeasureLength[] = "length";  // XLEN
inline constexpr char kMeasureUndelivered[] =
    "undelivered";                                    // entries after the group's last-delivered id
inline constexpr char kMeasurePending[] = "pending";  // delivered, not acknowledged (PEL)
inline constexpr char kMeasureOutstanding[] = "outstanding";  // undelivered + pending

// Measures a nats-jetstream source reports. NOTE: for NATS, kMeasurePending ("pending") is the
// consumer's num_pending — messages NOT YET DELIVERED, as NATS names it — whereas for Redis it is
// the PEL (delivered, not acknowledged). kMeasureOutstanding is pending + ack_pending for NATS.
// Without a consumer only kMeasureLength (stream messages) is reported.
inline constexpr char kMeasureAckPending[] = "ack_pending";      // delivered, not acknowledged
inline constexpr char kMeasureRedelivered[] = "redelivered";     // num_redelivered
inline constexpr char kMeasureDeliveredSeq[] = "delivered_seq";  // last delivered stream seq
inline constexpr char kMeasureAckFloorSeq[] = "ack_floor_seq";   // ack floor stream seq

// The one measure a prometheus source reports: the query's result (reduced to one number).
inline constexpr char kMeasureValue[] = "value";

// Measures a kubernetes-resources source reports. Per-pod measures average over the pods that
// have metrics; the *_utilization ones (percent of the pods' requests) exist only when the
// requests are known (cpuRequest/memoryRequest, or requestsFromPods).
inline constexpr char kMeasurePods[] = "pods";                             // pods with metrics
inline constexpr char kMeasureCpu[] = "cpu";                               // cores per pod
inline constexpr char kMeasureMemory[] = "memory";                         // bytes per pod
inline constexpr char kMeasureCpuTotal[] = "cpu_total";                    // cores, all pods
inline constexpr char kMeasureMemoryTotal[] = "memory_total";              // bytes, all pods
inline constexpr char kMeasureCpuUtilization[] = "cpu_utilization";        // % of requests
inline constexpr char kMeasureMemoryUtilization[] = "memory_utilization";  // % of requests

// Monotonic counters for drain-time mode (policy/drain.h): work that arrived and work that was
// completed since the consumer/group/queue began, so rates come from successive readings.
// redis-streams with a group: entries-read + lag (= entries-added) and entries-read − pending,
// when Redis reports both (7.0+; a nil lag after XDEL leaves them out of that reading);
// nats-jetstream with a consumer: num_pending + delivered consumer sequence and delivered
// consumer sequence − num_ack_pending (redeliveries count as work again in both);
// rabbitmq over HTTP: message_stats publish and ack (+ deliver_no_ack + get_no_ack), summed over
// the matched queues.
inline constexpr char kMeasureArrivedTotal[] = "arrived_total";
inline constexpr char kMeasureCompletedTotal[] = "completed_total";

// Whether `measure` of a `kind` source is a per-pod resource measure: a signal on it is an
// HPA-style utilization signal (ceil(pods × usage / target)), not a lag.
bool IsUtilizationMeasure(const std::string& kind, const std::string& measure);
// Measures a rabbitmq source reports. Over AMQP only kMeasureReady and kMeasureConsumers (what a
// passive queue.declare returns); over the management API all of them, with kMeasureOutstanding
// = ready + unacked. The rates are messages per second averaged over the source's rate window
// (from the management API's cumulative counters, so a burst raises the average once and decays
// once instead of flapping).
inline constexpr char kMeasureReady[] = "ready";      // messages_ready
inline constexpr char kMeasureUnacked[] = "unacked";  // messages_unacknowledged
inline constexpr char kMeasureConsumers[] = "consumers";
inline constexpr char kMeasurePublishRate[] = "publish_rate";  // messages/s published
inline constexpr char kMeasureDeliverRate[] = "deliver_rate";  // messages/s delivered + got
inline constexpr char kMeasureAckRate[] = "ack_rate";          // messages/s acknowledged

struct RabbitMqParams {
  enum class Protocol { kAmqp, kHttp };
  enum class Mode { kQueueLength, kMessageRate };  // KEDA's `mode`: picks the default measure
  enum class Operation { kSum, kMax, kAvg };       // over the queues a regex matches
  Protocol protocol = Protocol::kAmqp;
  bool tls = false;         // amqps:// or https://
  std::string host;         // host name or IP (no credentials)
  int port = 0;             // 5672 / 5671 / 15672 / 15671 unless given
  std::string path_prefix;  // HTTP only: URL path before the vhost ("" or "/mgmt")
  std::string vhost = "/";  // vhostName, else the URL's last path segment, else "/"
  std::string queue;        // queueName: a name, or a regex with use_regex
  bool use_regex = false;   // HTTP only
  Operation operation = Operation::kSum;
  Mode mode = Mode::kQueueLength;
  bool exclude_unacked = false;  // KEDA's excludeUnacknowledged: QueueLength counts ready only
  Duration rate_window = std::chrono::seconds(60);  // averaging window for the *_rate measures
  std::string username;  // from the URL's userinfo or the credential keys (fingerprinted)
  Secret password;
  std::string tls_ca_file;
  std::string tls_cert_file;  // with tls_key_file
  std::string tls_key_file;

  // "amqp://host:port" / "https://host:port/prefix", never with credentials.
  std::string Endpoint() const;
};

// Identity of a rabbitmq connection (AMQP: one shared connection per key): scheme, host, port,
// vhost (AMQP only: a connection belongs to a vhost), credential fingerprints and TLS files.
std::string RabbitMqConnectionKey(const RabbitMqParams& params);

struct RedisStreamsParams {
  std::string host;  // host name or IP
  int port = 6379;
  std::string stream;
  std::string consumer_group;  // empty: no group, the source measures XLEN
  int database = 0;            // SELECT index
  std::string username;        // ACL user (empty: default user)
  Secret password;             // empty: no AUTH
};

struct NatsJetStreamParams {
  std::vector<std::string>
      servers;  // "nats://host:port" / "tls://host:port", as given (scheme added)
  std::string stream;
  std::string consumer;  // empty: no consumer, the source measures stream messages
  std::string domain;    // JetStream domain (jsOptions.Domain); empty: none
  std::string account;   // informational only: the credentials pick the account
  std::string username;  // with password
  Secret password;
  Secret token;
  std::string creds_file;      // user JWT + seed (.creds), read by nats.c at connect
  std::string nkey_seed_file;  // user NKey seed, read at connect
  std::string tls_ca_file;
  std::string tls_cert_file;  // with tls_key_file
  std::string tls_key_file;
};

// How a prometheus vector with several series becomes one number.
enum class Reduce { kSum, kMax, kMin, kAvg };
const char* ReduceName(Reduce r);  // "sum", "max", "min", "avg"

struct PrometheusParams {
  std::string server_address;  // http(s)://host:port[/path prefix], no credentials, no query
  std::string query;           // PromQL, instant query
  Reduce reduce = Reduce::kSum;
  bool ignore_null_values = false;  // empty result: 0 (KEDA's ignoreNullValues) instead of error
  Secret bearer_token;
  std::string username;  // basic auth, with password
  Secret password;
  std::string tls_ca_file;
  std::string tls_cert_file;  // with tls_key_file
  std::string tls_key_file;
  bool unsafe_ssl = false;  // skip certificate verification
};

inline constexpr char kServiceAccountTokenFile[] =
    "/var/run/secrets/kubernetes.io/serviceaccount/token";
inline constexpr char kServiceAccountCaFile[] =
    "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt";

// Where the Kubernetes API server is and how to log in: a kubeconfig file (its current
// context), or in-cluster: api_server (default https://$KUBERNETES_SERVICE_HOST:
// $KUBERNETES_SERVICE_PORT), the token read from token_file at every request (tokens rotate)
// and ca_file.
struct KubeConnection {
  std::string kubeconfig;
  std::string api_server;
  std::string token_file = kServiceAccountTokenFile;
  std::string ca_file = kServiceAccountCaFile;
};

struct KubernetesResourcesParams : KubeConnection {
  std::string namespace_name;
  std::string label_selector;       // as in kubectl -l; empty: every pod of the namespace
  double cpu_request_cores = 0;     // per pod; 0: unknown
  double memory_request_bytes = 0;  // per pod; 0: unknown
  bool requests_from_pods = false;  // read requests from the pods API (needs list pods)
};

// Measures of a kubernetes-scale source: the workload's scale subresource.
inline constexpr char kMeasureSpecReplicas[] = "spec_replicas";      // spec.replicas
inline constexpr char kMeasureStatusReplicas[] = "status_replicas";  // status.replicas

// A workload with a scale subresource (autoscaling/v1 Scale), as the HPA's scaleTargetRef names
// it: Deployment, StatefulSet, ReplicaSet, or any custom resource that serves /scale.
struct ScaleTargetRef {
  std::string api_version = "apps/v1";  // "group/version", or "v1" for the core group
  std::string kind = "Deployment";
  std::string name;
  std::string namespace_name;
  // "deployment shop/parse-gpu (apps/v1)"
  std::string Describe() const;
};

struct KubernetesScaleParams : KubeConnection {
  ScaleTargetRef target;
};

// Identity of a NATS connection: sorted server URLs, the username's and secrets' fingerprints,
// and the credential and TLS file paths. Never holds a secret in clear.
std::string NatsConnectionKey(const NatsJetStreamParams& params);

struct SourceSpec {
  std::string name;  // config name; raw-mode sources get a generated, secret-free name
  std::string kind;  // kRedisStreams, kNatsJetStream, kRabbitMq, kPrometheus,
                     // kKubernetesResources, kKubernetesScale
  Duration sample_interval = std::chrono::seconds(5);
  Duration stale_after = std::chrono::seconds(15);  // 3 × sample_interval unless set
  Duration timeout = std::chrono::seconds(2);       // per broker call, <= sample_interval
  std::variant<RedisStreamsParams, NatsJetStreamParams, RabbitMqParams, PrometheusParams,
               KubernetesResourcesParams, KubernetesScaleParams>
      params;

  // Identity for coalescing: kind + connection + query (+ secret fingerprints). Two specs with
  // the same key are the same source, whatever their name or timing.
  std::string Key() const;
  // A one-line, secret-free description for logs and /pools ("redis-streams 127.0.0.1:6379
  // stream=orders group=workers").
  std::string Describe() const;
  // The measure used when a signal names none: outstanding with a group/consumer, length
  // without.
  std::string DefaultMeasure() const;
  // Every measure this source reports (depends on kind and on whether a group/consumer is set).
  std::vector<std::string> Measures() const;
  // Whether `measure` is one this source reports.
  bool HasMeasure(const std::string& measure) const;
};

}  // namespace poolscaler::config
