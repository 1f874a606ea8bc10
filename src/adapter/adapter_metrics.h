#pragma once
// AdapterMetrics: the external metrics API's own Prometheus families, in a registry the runtime
// adds to the process's /metrics. Labels are bounded: `code` is an HTTP status the server
// answers with, `resource` one of "discovery", "health", the served metric names or "other".
// Refused client certificates are also logged, at most once per 10 s. The class is thread-safe.
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/registry.h>

#include <atomic>
#include <limits>
#include <memory>
#include <string>

namespace poolscaler::adapter {

class AdapterMetrics {
 public:
  AdapterMetrics();

  void Request(int http_code, const std::string& resource);
  void TlsReloaded(bool ok);
  // A TLS handshake refused because the client certificate did not verify.
  void ClientRejected(const std::string& why);

  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Counter>& reloads_;
  prometheus::Counter& rejected_;
  std::atomic<int64_t> last_rejection_log_ms_{std::numeric_limits<int64_t>::min() / 2};
  std::atomic<uint64_t> rejected_unlogged_{0};
};

}  // namespace poolscaler::adapter
