#pragma once
// Internal to the config module: the keys of a source that YAML `sources[]` entries and raw-mode
// trigger metadata share, read through a ParamReader so both report errors the same way.
#include <array>
#include <optional>
#include <string>
#include <vector>

#include "poolscaler/config/config.h"
#include "poolscaler/config/params.h"

namespace poolscaler::config {

// The most a *Seconds key accepts (one year): keeps seconds → Duration free of overflow.
inline constexpr double kMaxSeconds = 365.0 * 24 * 3600;

// "host:port", or "[host]:port" when the host is an IPv6 literal.
std::string FormatHostPort(const std::string& host, int port);

// Reads `address` ("host:port", "[::1]:6379") or `host` + `port` (default 6379), `stream`
// (required), `consumerGroup` and `databaseIndex` into `out`. Credentials are left to the
// caller: YAML and metadata take them from different keys.
void ReadRedisQuery(ParamReader& r, RedisStreamsParams* out);

// Reads the NATS query and connection keys into `out`: the servers (`natsServer`, or for YAML
// `servers`, given as `server_list` when it is a YAML list), `stream` (required), `consumer`,
// `jsDomain` (or `domain`), `account`, `credsFile`, `nkeySeedFile`, `tlsCaFile`, `tlsCertFile`,
// `tlsKeyFile`. KEDA's monitoring-endpoint keys (`natsServerMonitoringEndpoint`, `useHttps`) get
// an error explaining that poolscaler uses the client port. Secrets are left to the caller.
void ReadNatsQuery(ParamReader& r, const std::vector<std::string>* server_list,
                   NatsJetStreamParams* out);
// Checks the credentials read into `p` (at most one method; user needs password; a client
// certificate needs its key), reporting against the keys in `keys` {user, password, token}.
void CheckNatsCredentials(ParamReader& r, const NatsJetStreamParams& p,
                          const std::array<const char*, 3>& keys);

// Reads `sampleInterval` (> 0), `staleAfter` (>= the interval) and `timeout` (> 0, <= the
// interval) into `spec`. Unset keys take `defaults`: staleAfter is defaults.stale_after when set
// and at least the interval, else 3 × the interval; timeout is min(defaults.timeout, interval).
void ReadTiming(ParamReader& r, const Defaults& defaults, SourceSpec* spec);

// A non-negative number of seconds, at most kMaxSeconds.
std::optional<Duration> ReadSeconds(ParamReader& r, std::string_view key);

}  // namespace poolscaler::config
