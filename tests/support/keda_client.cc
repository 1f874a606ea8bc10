#include "support/keda_client.h"

#include <chrono>
#include <cmath>

namespace poolscaler::testing {

long long Poll::HpaReplicas() const {
  if (!status.ok() || !active || target <= 0) return 0;
  return static_cast<long long>(std::ceil(value / target));
}

KedaClient::KedaClient(const std::string& address)
    : channel_(grpc::CreateChannel(address, grpc::InsecureChannelCredentials())),
      stub_(externalscaler::ExternalScaler::NewStub(channel_)) {}

externalscaler::ScaledObjectRef KedaClient::Ref(const std::map<std::string, std::string>& metadata,
                                                const std::string& name, const std::string& ns) {
  externalscaler::ScaledObjectRef ref;
  ref.set_name(name);
  ref.set_namespace_(ns);
  for (const auto& [k, v] : metadata) (*ref.mutable_scalermetadata())[k] = v;
  return ref;
}

namespace {
void Deadline(grpc::ClientContext* ctx) {
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
}
}  // namespace

grpc::Status KedaClient::GetMetricSpec(const externalscaler::ScaledObjectRef& ref,
                                       externalscaler::GetMetricSpecResponse* out) {
  grpc::ClientContext ctx;
  Deadline(&ctx);
  return stub_->GetMetricSpec(&ctx, ref, out);
}

grpc::Status KedaClient::GetMetrics(const externalscaler::ScaledObjectRef& ref,
                                    const std::string& metric,
                                    externalscaler::GetMetricsResponse* out) {
  grpc::ClientContext ctx;
  Deadline(&ctx);
  externalscaler::GetMetricsRequest req;
  *req.mutable_scaledobjectref() = ref;
  req.set_metricname(metric);
  return stub_->GetMetrics(&ctx, req, out);
}

grpc::Status KedaClient::IsActive(const externalscaler::ScaledObjectRef& ref, bool* active) {
  grpc::ClientContext ctx;
  Deadline(&ctx);
  externalscaler::IsActiveResponse resp;
  grpc::Status st = stub_->IsActive(&ctx, ref, &resp);
  *active = resp.result();
  return st;
}

Poll KedaClient::PollOnce(const std::map<std::string, std::string>& metadata,
                          const std::string& name, const std::string& ns) {
  Poll p;
  externalscaler::ScaledObjectRef ref = Ref(metadata, name, ns);
  externalscaler::GetMetricSpecResponse spec;
  p.status = GetMetricSpec(ref, &spec);
  if (!p.status.ok() || spec.metricspecs_size() != 1) {
    p.failed_rpc = "GetMetricSpec";
    if (p.status.ok()) p.status = grpc::Status(grpc::StatusCode::INTERNAL, "expected 1 metric spec");
    return p;
  }
  p.metric_name = spec.metricspecs(0).metricname();
  // KEDA uses the float target when it is > 0.
  p.target = spec.metricspecs(0).targetsizefloat() > 0
                 ? spec.metricspecs(0).targetsizefloat()
                 : static_cast<double>(spec.metricspecs(0).targetsize());
  externalscaler::GetMetricsResponse metrics;
  // KEDA passes the metric name the HPA knows, which it may lowercase.
  p.status = GetMetrics(ref, p.metric_name, &metrics);
  if (!p.status.ok() || metrics.metricvalues_size() != 1) {
    p.failed_rpc = "GetMetrics";
    if (p.status.ok()) p.status = grpc::Status(grpc::StatusCode::INTERNAL, "expected 1 metric value");
    return p;
  }
  const auto& mv = metrics.metricvalues(0);
  p.value = mv.metricvaluefloat() > 0 ? mv.metricvaluefloat() : static_cast<double>(mv.metricvalue());
  p.status = IsActive(ref, &p.active);
  if (!p.status.ok()) p.failed_rpc = "IsActive";
  return p;
}

}  // namespace poolscaler::testing
