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

// Reads where a Prometheus is and how to reach it: `serverAddress` (http(s) URL, required),
// `tlsCaFile`, `tlsCertFile` + `tlsKeyFile`.
void ReadPrometheusConnection(ParamReader& r, PrometheusParams* out);
// Reads the prometheus query keys: the connection keys above, `query` (required),
// `reduce` (sum|max|min|avg), `ignoreNullValues`.
// Credentials are left to the caller (YAML and metadata name them differently).
void ReadPrometheusQuery(ParamReader& r, PrometheusParams* out);
// Checks basic-auth pairs and that a bearer token and basic auth are not both given, reporting
// against the keys {user, password, token}.
void CheckPrometheusCredentials(ParamReader& r, const PrometheusParams& p,
                                const std::array<const char*, 3>& keys);
// Reads `kubeconfig` or (in-cluster) `apiServer`, `tokenFile`, `caFile` into `out`.
void ReadKubeConnection(ParamReader& r, KubeConnection* out);
// Reads the kubernetes-resources keys: `namespace` (required), `labelSelector`, `kubeconfig`
// or (in-cluster) `apiServer`, `tokenFile`, `caFile`; `cpuRequest`/`memoryRequest` (Kubernetes
// quantities, per pod) or `requestsFromPods`.
void ReadKubernetesResources(ParamReader& r, KubernetesResourcesParams* out);
// Parses a rabbitmq `host` URL (scheme://[user[:password]@]host[:port][/prefix]/vhost) into the
// protocol, TLS, host, port, path prefix, vhost and credentials of `out`. On failure sets
// `problem` (never quoting the URL, which may hold credentials) and returns false.
bool ParseRabbitMqUrl(std::string_view url, RabbitMqParams* out, std::string* problem);
// Reads the rabbitmq query keys into `out` after parsing `url` (the value of `url_key`; nullopt
// when missing): protocol, vhostName, queueName (required), mode, useRegex, operation,
// excludeUnacknowledged, rateWindow, tlsCaFile, tlsCertFile, tlsKeyFile.
void ReadRabbitMqQuery(ParamReader& r, const std::optional<Secret>& url, const char* url_key,
                       RabbitMqParams* out);
// Sets `out`'s credentials from the keys named by `keys` {user, password} unless the URL gave
// them (both ways at once is an error, as is a user without a password or the reverse).
void CheckRabbitMqCredentials(ParamReader& r, bool url_has_credentials, const std::string& username,
                              const Secret& password, const char* url_key,
                              const std::array<const char*, 2>& keys, RabbitMqParams* out);

// Reads `sampleInterval` (> 0), `staleAfter` (>= the interval) and `timeout` (> 0, <= the
// interval) into `spec`. Unset keys take `defaults`: staleAfter is defaults.stale_after when set
// and at least the interval, else 3 × the interval; timeout is min(defaults.timeout, interval).
void ReadTiming(ParamReader& r, const Defaults& defaults, SourceSpec* spec);

// A non-negative number of seconds, at most kMaxSeconds.
std::optional<Duration> ReadSeconds(ParamReader& r, std::string_view key);

}  // namespace poolscaler::config
