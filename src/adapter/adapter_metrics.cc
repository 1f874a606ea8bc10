#include "adapter_metrics.h"

#include <fmt/format.h>

#include <chrono>

#include "poolscaler/adapter/metrics_api.h"
#include "poolscaler/common/log.h"

namespace poolscaler::adapter {

AdapterMetrics::AdapterMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      requests_(prometheus::BuildCounter()
                    .Name("poolscaler_external_metrics_requests_total")
                    .Help("External metrics API requests answered, by HTTP status code and "
                          "resource (discovery, health, the metric name, or other).")
                    .Register(*registry_)),
      reloads_(prometheus::BuildCounter()
                   .Name("poolscaler_external_metrics_tls_reloads_total")
                   .Help("Changed TLS files of the external metrics API re-read, by result "
                         "(failure: the last good files stay in use).")
                   .Register(*registry_)),
      rejected_(prometheus::BuildCounter()
                    .Name("poolscaler_external_metrics_client_certificates_rejected_total")
                    .Help("TLS handshakes refused because the client certificate did not verify "
                          "against the requestheader client CA.")
                    .Register(*registry_)
                    .Add({})) {
  // The series a healthy adapter has, present from start-up so rate() works at once.
  for (const char* resource : {"discovery", "health", kPoolDesired, kSourceLag}) {
    requests_.Add({{"code", "200"}, {"resource", resource}});
  }
  reloads_.Add({{"result", "success"}});
  reloads_.Add({{"result", "failure"}});
}

void AdapterMetrics::Request(int http_code, const std::string& resource) {
  requests_.Add({{"code", std::to_string(http_code)}, {"resource", resource}}).Increment();
}

void AdapterMetrics::TlsReloaded(bool ok) {
  reloads_.Add({{"result", ok ? "success" : "failure"}}).Increment();
}

void AdapterMetrics::ClientRejected(const std::string& why) {
  rejected_.Increment();
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::steady_clock::now().time_since_epoch())
                             .count();
  int64_t last = last_rejection_log_ms_.load();
  if (now_ms - last < 10'000 || !last_rejection_log_ms_.compare_exchange_strong(last, now_ms)) {
    ++rejected_unlogged_;
    return;
  }
  log::Warn(
      "external metrics API: client certificate refused",
      {{"reason", why}, {"refused_unlogged", fmt::format("{}", rejected_unlogged_.exchange(0))}});
}

}  // namespace poolscaler::adapter
