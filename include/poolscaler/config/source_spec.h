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

// Measures a redis-streams source reports (SignalSpec::measure picks one).
inline constexpr char kMeasureLength[] = "length";            // XLEN
inline constexpr char kMeasureUndelivered[] = "undelivered";  // entries after the group's last-delivered id
inline constexpr char kMeasurePending[] = "pending";          // delivered, not acknowledged (PEL)
inline constexpr char kMeasureOutstanding[] = "outstanding";  // undelivered + pending

// Measures a nats-jetstream source reports. NOTE: for NATS, kMeasurePending ("pending") is the
// consumer's num_pending — messages NOT YET DELIVERED, as NATS names it — whereas for Redis it is
// the PEL (delivered, not acknowledged). kMeasureOutstanding is pending + ack_pending for NATS.
// Without a consumer only kMeasureLength (stream messages) is reported.
inline constexpr char kMeasureAckPending[] = "ack_pending";      // delivered, not acknowledged
inline constexpr char kMeasureRedelivered[] = "redelivered";     // num_redelivered
inline constexpr char kMeasureDeliveredSeq[] = "delivered_seq";  // last delivered stream seq
inline constexpr char kMeasureAckFloorSeq[] = "ack_floor_seq";   // ack floor stream seq

struct RedisStreamsParams {
  std::string host;             // host name or IP
  int port = 6379;
  std::string stream;
  std::string consumer_group;   // empty: no group, the source measures XLEN
  int database = 0;             // SELECT index
  std::string username;         // ACL user (empty: default user)
  Secret password;              // empty: no AUTH
};

struct NatsJetStreamParams {
  std::vector<std::string> servers;  // "nats://host:port" / "tls://host:port", as given (scheme added)
  std::string stream;
  std::string consumer;              // empty: no consumer, the source measures stream messages
  std::string domain;                // JetStream domain (jsOptions.Domain); empty: none
  std::string account;               // informational only: the credentials pick the account
  std::string username;              // with password
  Secret password;
  Secret token;
  std::string creds_file;            // user JWT + seed (.creds), read by nats.c at connect
  std::string nkey_seed_file;        // user NKey seed, read at connect
  std::string tls_ca_file;
  std::string tls_cert_file;         // with tls_key_file
  std::string tls_key_file;
};

// Identity of a NATS connection: sorted server URLs, the username's and secrets' fingerprints,
// and the credential and TLS file paths. Never holds a secret in clear.
std::string NatsConnectionKey(const NatsJetStreamParams& params);

struct SourceSpec {
  std::string name;  // config name; raw-mode sources get a generated, secret-free name
  std::string kind;  // kRedisStreams, kNatsJetStream
  Duration sample_interval = std::chrono::seconds(5);
  Duration stale_after = std::chrono::seconds(15);  // 3 × sample_interval unless set
  Duration timeout = std::chrono::seconds(2);       // per broker call, <= sample_interval
  std::variant<RedisStreamsParams, NatsJetStreamParams> params;

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
