#include "poolscaler/server/grpc_server.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <exception>

#include "externalscaler.grpc.pb.h"
#include "poolscaler/common/address.h"
#include "poolscaler/common/log.h"
#include "pool_stream.h"

namespace poolscaler::server {
namespace {

grpc::Status ToGrpc(const absl::Status& st) {
  return grpc::Status(static_cast<grpc::StatusCode>(st.code()), std::string(st.message()));
}

Metadata MetadataOf(const externalscaler::ScaledObjectRef& ref) {
  return Metadata(ref.scalermetadata().begin(), ref.scalermetadata().end());
}

// Runs `fn` (which fills the response and returns a status), turning any exception into
// INTERNAL so none crosses into gRPC, and records the RPC.
template <typename Fn>
grpc::ServerUnaryReactor* Unary(grpc::CallbackServerContext* ctx, telemetry::Metrics& metrics,
                                telemetry::Rpc rpc, const externalscaler::ScaledObjectRef& ref,
                                Fn fn) {
  TimePoint start = SteadyClock::now();
  absl::Status st;
  try {
    st = fn();
  } catch (const std::exception& e) {
    st = absl::InternalError(std::string("internal error: ") + e.what());
  }
  if (!st.ok() && st.code() != absl::StatusCode::kUnavailable) {
    log::Info("rpc rejected", {{"method", telemetry::RpcName(rpc)},
                               {"scaledObject", ref.namespace_() + "/" + ref.name()},
                               {"error", std::string(st.message())}});
  }
  metrics.RecordRpc(rpc, st.code(), ToSeconds(SteadyClock::now() - start));
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  reactor->Finish(ToGrpc(st));
  return reactor;
}

void FillSpec(const MetricSpecAnswer& a, externalscaler::GetMetricSpecResponse* resp) {
  auto* spec = resp->add_metricspecs();
  spec->set_metricname(a.metric_name);
  // KEDA prefers the float field when it is > 0 and falls back to the integer one.
  spec->set_targetsizefloat(a.target);
  spec->set_targetsize(a.target < 1 ? 1 : static_cast<int64_t>(std::llround(a.target)));
}

}  // namespace

class ExternalScalerService final : public externalscaler::ExternalScaler::CallbackService {
 public:
  ExternalScalerService(ScalerCore& core, telemetry::Metrics& metrics)
      : core_(core), metrics_(metrics) {}

  grpc::ServerUnaryReactor* IsActive(grpc::CallbackServerContext* ctx,
                                     const externalscaler::ScaledObjectRef* ref,
                                     externalscaler::IsActiveResponse* resp) override {
    return Unary(ctx, metrics_, telemetry::Rpc::kIsActive, *ref, [&]() -> absl::Status {
      absl::StatusOr<bool> active = core_.IsActive(MetadataOf(*ref));
      if (!active.ok()) return active.status();
      resp->set_result(*active);
      return absl::OkStatus();
    });
  }

  grpc::ServerUnaryReactor* GetMetricSpec(grpc::CallbackServerContext* ctx,
                                          const externalscaler::ScaledObjectRef* ref,
                                          externalscaler::GetMetricSpecResponse* resp) override {
    return Unary(ctx, metrics_, telemetry::Rpc::kGetMetricSpec, *ref, [&]() -> absl::Status {
      absl::StatusOr<MetricSpecAnswer> a = core_.MetricSpec(MetadataOf(*ref));
      if (!a.ok()) return a.status();
      FillSpec(*a, resp);
      return absl::OkStatus();
    });
  }

  grpc::ServerUnaryReactor* GetMetrics(grpc::CallbackServerContext* ctx,
                                       const externalscaler::GetMetricsRequest* req,
                                       externalscaler::GetMetricsResponse* resp) override {
    const auto& ref = req->scaledobjectref();
    return Unary(ctx, metrics_, telemetry::Rpc::kGetMetrics, ref, [&]() -> absl::Status {
      absl::StatusOr<double> v = core_.MetricValue(MetadataOf(ref), req->metricname());
      if (!v.ok()) return v.status();
      auto* value = resp->add_metricvalues();
      value->set_metricname(req->metricname());
      value->set_metricvalue(static_cast<int64_t>(std::llround(*v)));
      value->set_metricvaluefloat(*v);
      return absl::OkStatus();
    });
  }

  grpc::ServerWriteReactor<externalscaler::IsActiveResponse>* StreamIsActive(
      grpc::CallbackServerContext* ctx, const externalscaler::ScaledObjectRef* ref) override {
    (void)ctx;
    using Stream = PoolStream<externalscaler::IsActiveResponse>;
    absl::StatusOr<Target> target = core_.Resolve(MetadataOf(*ref));
    if (!target.ok()) return Failed<externalscaler::IsActiveResponse>(target.status(),
                                                                     telemetry::Rpc::kStreamIsActive);
    Stream::Step step = [](const pools::PoolState& st) -> Stream::Action {
      if (st.final) return ToGrpc(st.status);  // pool removed, or the server is stopping
      if (!st.status.ok() || !st.has_decision) return Stream::Skip{};  // unknown: say nothing
      externalscaler::IsActiveResponse msg;
      msg.set_result(st.decision.active);
      return msg;  // repeats are dropped by the stream: only changes reach KEDA
    };
    return Stream::Open(core_.table(), target->pool_id, std::move(step),
                        core_.table().Get(target->pool_id), metrics_,
                        telemetry::Rpc::kStreamIsActive);
  }

  grpc::ServerWriteReactor<externalscaler::GetMetricSpecResponse>* StreamMetricSpec(
      grpc::CallbackServerContext* ctx, const externalscaler::ScaledObjectRef* ref) override {
    (void)ctx;
    using Stream = PoolStream<externalscaler::GetMetricSpecResponse>;
    Metadata metadata = MetadataOf(*ref);
    absl::StatusOr<Target> target = core_.Resolve(metadata);
    if (!target.ok()) return Failed<externalscaler::GetMetricSpecResponse>(
        target.status(), telemetry::Rpc::kStreamMetricSpec);
    ScalerCore* core = &core_;
    Stream::Step step = [core, metadata](const pools::PoolState& st) -> Stream::Action {
      if (st.final) return ToGrpc(st.status);
      absl::StatusOr<MetricSpecAnswer> a = core->MetricSpec(metadata);
      if (!a.ok()) return ToGrpc(a.status());
      externalscaler::GetMetricSpecResponse msg;
      FillSpec(*a, &msg);
      return msg;  // sent only when it differs from the last one sent
    };
    return Stream::Open(core_.table(), target->pool_id, std::move(step),
                        core_.table().Get(target->pool_id), metrics_,
                        telemetry::Rpc::kStreamMetricSpec);
  }

 private:
  // A stream reactor that ends at once with `st`.
  template <typename Response>
  grpc::ServerWriteReactor<Response>* Failed(const absl::Status& st, telemetry::Rpc rpc) {
    class Done final : public grpc::ServerWriteReactor<Response> {
     public:
      explicit Done(const grpc::Status& s) { this->Finish(s); }
      void OnDone() override { delete this; }
    };
    metrics_.RecordRpc(rpc, st.code(), 0);
    return new Done(ToGrpc(st));
  }

  ScalerCore& core_;
  telemetry::Metrics& metrics_;
};

GrpcServer::GrpcServer(ScalerCore& core, telemetry::Metrics& metrics)
    : core_(core), metrics_(metrics) {}

GrpcServer::~GrpcServer() { Shutdown(std::chrono::seconds(0)); }

absl::Status GrpcServer::Start(const std::string& listen, const TlsFiles& tls) {
  absl::StatusOr<HostPort> addr = ParseHostPort("--grpc-listen", listen, /*allow_zero=*/true);
  if (!addr.ok()) return addr.status();
  if (absl::Status st = CheckTlsFiles(tls); !st.ok()) return st;
  service_ = std::make_unique<ExternalScalerService>(core_, metrics_);
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(addr->ToString(), MakeServerCredentials(tls), &port_);
  builder.RegisterService(service_.get());
  server_ = builder.BuildAndStart();
  if (!server_ || port_ == 0) {
    server_.reset();
    return absl::UnavailableError("cannot listen on " + listen + " for gRPC (address in use?)");
  }
  SetServing(true);
  return absl::OkStatus();
}

void GrpcServer::SetServing(bool serving) {
  if (!server_) return;
  grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
  if (!health) return;
  health->SetServingStatus(serving);
  health->SetServingStatus("externalscaler.ExternalScaler", serving);
}

void GrpcServer::Shutdown(Duration grace) {
  if (!server_) return;
  SetServing(false);
  server_->Shutdown(std::chrono::system_clock::now() + grace);
  server_->Wait();
  server_.reset();
}

}  // namespace poolscaler::server
