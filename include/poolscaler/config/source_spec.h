#pragma once
// What a source is, as data: kind, connection, query and timing. Built from a YAML `sources[]`
// entry or from raw-mode trigger metadata; the sources module turns it into a live Source.
#include <string>
#include <variant>

#include "poolscaler/common/secret.h"
#include "poolscaler/common/time.h"

namespace poolscaler::config {

inline constexpr char kRedisStreams[] = "redis-streams";

// Measures a redis-streams source reports (SignalSpec::measure picks one).
inline constexpr char kMeasureLength[] = "length";            // XLEN
inline constexpr char kMeasureUndelivered[] = "undelivered";  // entries after the group's last-delivered id
inline constexpr char kMeasurePending[] = "pending";          // delivered, not acknowledged (PEL)
inline constexpr char kMeasureOutstanding[] = "outstanding";  // undelivered + pending

struct RedisStreamsParams {
  std::string host;             // host name or IP
  int port = 6379;
  std::string stream;
  std::string consumer_group;   // empty: no group, the source measures XLEN
  int database = 0;             // SELECT index
  std::string username;         // ACL user (empty: default user)
  Secret password;              // empty: no AUTH
};

struct SourceSpec {
  std::string name;  // config name; raw-mode sources get a generated, secret-free name
  std::string kind;  // kRedisStreams, ...
  Duration sample_interval = std::chrono::seconds(5);
  Duration stale_after = std::chrono::seconds(15);  // 3 × sample_interval unless set
  Duration timeout = std::chrono::seconds(2);       // per broker call, <= sample_interval
  std::variant<RedisStreamsParams> params;

  // Identity for coalescing: kind + connection + query (+ secret fingerprints). Two specs with
  // the same key are the same source, whatever their name or timing.
  std::string Key() const;
  // A one-line, secret-free description for logs and /pools ("redis-streams 127.0.0.1:6379
  // stream=orders group=workers").
  std::string Describe() const;
  // The measure used when a signal names none: outstanding with a group, length without.
  std::string DefaultMeasure() const;
  // Whether `measure` is one this kind of source reports.
  bool HasMeasure(const std::string& measure) const;
};

}  // namespace poolscaler::config
