#include "probe.h"

#include <grpcpp/grpcpp.h>

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "externalscaler.grpc.pb.h"

namespace poolscaler::cli {
namespace {

void SetDeadline(grpc::ClientContext* ctx, int timeout_ms) {
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(timeout_ms));
}

int Fail(const ProbeOptions& o, const char* rpc, const grpc::Status& st) {
  if (o.json) {
    nlohmann::json j = {{"ok", false}, {"rpc", rpc}, {"code", static_cast<int>(st.error_code())},
                        {"error", st.error_message()}};
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("%s failed (code %d): %s\n", rpc, static_cast<int>(st.error_code()),
                st.error_message().c_str());
  }
  return 1;
}

}  // namespace

int Probe(const ProbeOptions& o) {
  auto channel = grpc::CreateChannel(o.address, grpc::InsecureChannelCredentials());
  auto stub = externalscaler::ExternalScaler::NewStub(channel);
  externalscaler::ScaledObjectRef ref;
  ref.set_name("probe");
  ref.set_namespace_("default");
  for (const auto& [k, v] : o.metadata) (*ref.mutable_scalermetadata())[k] = v;

  externalscaler::GetMetricSpecResponse spec;
  {
    grpc::ClientContext ctx;
    SetDeadline(&ctx, o.timeout_ms);
    grpc::Status st = stub->GetMetricSpec(&ctx, ref, &spec);
    if (!st.ok()) return Fail(o, "GetMetricSpec", st);
  }
  if (spec.metricspecs_size() == 0) {
    return Fail(o, "GetMetricSpec", grpc::Status(grpc::StatusCode::INTERNAL, "no metric spec"));
  }
  const auto& ms = spec.metricspecs(0);
  double target = ms.targetsizefloat() > 0 ? ms.targetsizefloat()
                                           : static_cast<double>(ms.targetsize());
  externalscaler::GetMetricsResponse metrics;
  {
    grpc::ClientContext ctx;
    SetDeadline(&ctx, o.timeout_ms);
    externalscaler::GetMetricsRequest req;
    *req.mutable_scaledobjectref() = ref;
    req.set_metricname(ms.metricname());
    grpc::Status st = stub->GetMetrics(&ctx, req, &metrics);
    if (!st.ok()) return Fail(o, "GetMetrics", st);
  }
  double value = 0;
  if (metrics.metricvalues_size() > 0) {
    const auto& mv = metrics.metricvalues(0);
    value = mv.metricvaluefloat() > 0 ? mv.metricvaluefloat() : static_cast<double>(mv.metricvalue());
  }
  externalscaler::IsActiveResponse active;
  {
    grpc::ClientContext ctx;
    SetDeadline(&ctx, o.timeout_ms);
    grpc::Status st = stub->IsActive(&ctx, ref, &active);
    if (!st.ok()) return Fail(o, "IsActive", st);
  }
  // What the HPA does with it (AverageValue), and KEDA's 0 when inactive.
  long long hpa = active.result() && target > 0 ? static_cast<long long>(std::ceil(value / target)) : 0;
  if (o.json) {
    nlohmann::json j = {{"ok", true},          {"metricName", ms.metricname()},
                        {"target", target},    {"value", value},
                        {"active", active.result()}, {"hpaReplicas", hpa}};
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("metric=%s target=%g value=%g active=%s hpa_replicas=%lld\n",
                ms.metricname().c_str(), target, value, active.result() ? "true" : "false", hpa);
  }
  return 0;
}

}  // namespace poolscaler::cli
