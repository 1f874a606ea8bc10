#include "poolscaler/telemetry/metrics.h"

#include <prometheus/text_serializer.h>

#include <sstream>

#include "poolscaler/common/status.h"

namespace poolscaler::telemetry {

const char* RpcName(Rpc rpc) {
  switch (rpc) {
    case Rpc::kIsActive: return "IsActive";
    case Rpc::kStreamIsActive: return "StreamIsActive";
    case Rpc::kGetMetricSpec: return "GetMetricSpec";
    case Rpc::kGetMetrics: return "GetMetrics";
    case Rpc::kStreamMetricSpec: return "StreamMetricSpec";
  }
  return "unknown";
}

namespace {

prometheus::Histogram::BucketBoundaries RpcBuckets() {
  return {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1, 1};
}

}  // namespace

Metrics::Metrics(const std::string& version)
    : registry_(std::make_shared<prometheus::Registry>()),
      rpc_requests_(prometheus::BuildCounter()
                        .Name("poolscaler_grpc_requests_total")
                        .Help("ExternalScaler RPCs handled, by method and gRPC status code.")
                        .Register(*registry_)),
      rpc_duration_(prometheus::BuildHistogram()
                        .Name("poolscaler_grpc_request_duration_seconds")
                        .Help("Time to answer an ExternalScaler unary RPC.")
                        .Register(*registry_)),
      reloads_(prometheus::BuildCounter()
                   .Name("poolscaler_config_reloads_total")
                   .Help("Config file loads after start-up, by result.")
                   .Register(*registry_)),
      reload_ok_(reloads_.Add({{"result", "success"}})),
      reload_failed_(reloads_.Add({{"result", "failure"}})),
      last_reload_ok_(prometheus::BuildGauge()
                          .Name("poolscaler_config_last_reload_successful")
                          .Help("1 if the last config load succeeded; 0 if the last good config "
                                "is still in use because the file is invalid.")
                          .Register(*registry_)
                          .Add({})),
      last_reload_time_(prometheus::BuildGauge()
                            .Name("poolscaler_config_last_reload_success_timestamp_seconds")
                            .Help("Unix time of the last successful config load.")
                            .Register(*registry_)
                            .Add({})) {
  prometheus::BuildGauge()
      .Name("poolscaler_build_info")
      .Help("Always 1; the version label says which build is running.")
      .Register(*registry_)
      .Add({{"version", version}})
      .Set(1);
  last_reload_ok_.Set(1);
  const Rpc all[] = {Rpc::kIsActive, Rpc::kStreamIsActive, Rpc::kGetMetricSpec, Rpc::kGetMetrics,
                     Rpc::kStreamMetricSpec};
  for (Rpc rpc : all) {
    rpc_requests_.Add({{"method", RpcName(rpc)}, {"code", "OK"}});
    if (rpc != Rpc::kStreamIsActive && rpc != Rpc::kStreamMetricSpec) {
      rpc_duration_by_method_[static_cast<size_t>(rpc)] =
          &rpc_duration_.Add({{"method", RpcName(rpc)}}, RpcBuckets());
    }
  }
}

void Metrics::RecordRpc(Rpc rpc, absl::StatusCode code, double seconds) {
  // Family::Add returns the existing series for known labels; the label names are fixed and
  // valid, so it cannot throw here.
  rpc_requests_.Add({{"method", RpcName(rpc)}, {"code", StatusCodeName(code)}}).Increment();
  if (rpc != Rpc::kStreamIsActive && rpc != Rpc::kStreamMetricSpec) {
    rpc_duration_by_method_[static_cast<size_t>(rpc)]->Observe(seconds);
  }
}

void Metrics::RecordReload(bool ok, double unix_seconds) {
  (ok ? reload_ok_ : reload_failed_).Increment();
  last_reload_ok_.Set(ok ? 1 : 0);
  if (ok) last_reload_time_.Set(unix_seconds);
}

void Metrics::AddCollector(std::shared_ptr<prometheus::Collectable> collector) {
  std::lock_guard lock(mu_);
  collectors_.push_back(std::move(collector));
}

std::string Metrics::Render() const {
  std::vector<prometheus::MetricFamily> families = registry_->Collect();
  {
    std::lock_guard lock(mu_);
    for (const auto& c : collectors_) {
      std::vector<prometheus::MetricFamily> more = c->Collect();
      families.insert(families.end(), std::make_move_iterator(more.begin()),
                      std::make_move_iterator(more.end()));
    }
  }
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

}  // namespace poolscaler::telemetry
