#include "poolscaler/local/scaler_client.h"

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>

#include "externalscaler.grpc.pb.h"

namespace poolscaler::local {
namespace {

externalscaler::ScaledObjectRef Ref(const ScaledObjectKey& key) {
  externalscaler::ScaledObjectRef ref;
  ref.set_name(key.name);
  ref.set_namespace_(key.ns);
  for (const auto& [k, v] : key.metadata) (*ref.mutable_scalermetadata())[k] = v;
  return ref;
}

void SetDeadline(grpc::ClientContext& ctx, Duration timeout) {
  ctx.set_deadline(std::chrono::system_clock::now() +
                   std::chrono::duration_cast<std::chrono::system_clock::duration>(timeout));
}

absl::Status ToStatus(const grpc::Status& st) {
  return absl::Status(static_cast<absl::StatusCode>(st.error_code()), st.error_message());
}

}  // namespace

ScalerClient::ScalerClient(const std::string& address)
    : channel_(grpc::CreateChannel(address, grpc::InsecureChannelCredentials())) {}

PollResult ScalerClient::Poll(const ScaledObjectKey& key, Duration timeout) const {
  auto stub = externalscaler::ExternalScaler::NewStub(channel_);
  const externalscaler::ScaledObjectRef ref = Ref(key);
  auto fail = [](PollResult& p, const char* rpc, absl::Status st) {
    p.failed_rpc = rpc;
    p.status = std::move(st);
  };
  // GetMetricSpec; `retry` is set when KEDA would ask again (a failed call or no spec at all;
  // more than one spec is KEDA's to accept and ours to refuse, without a second try).
  auto spec = [&](PollResult& p, bool& retry) {
    externalscaler::GetMetricSpecResponse response;
    grpc::ClientContext ctx;
    SetDeadline(ctx, timeout);
    grpc::Status st = stub->GetMetricSpec(&ctx, ref, &response);
    retry = !st.ok() || response.metricspecs_size() == 0;
    if (!st.ok()) return fail(p, "GetMetricSpec", ToStatus(st));
    if (response.metricspecs_size() != 1) {
      return fail(p, "GetMetricSpec",
                  absl::InternalError(
                      fmt::format("expected 1 metric spec, got {}", response.metricspecs_size())));
    }
    const externalscaler::MetricSpec& ms = response.metricspecs(0);
    p.metric_name = ms.metricname();
    // KEDA ignores float fields <= 0 and falls back to the int ones.
    p.target =
        ms.targetsizefloat() > 0 ? ms.targetsizefloat() : static_cast<double>(ms.targetsize());
  };
  // GetMetrics with the announced name, then IsActive (external_scaler.go GetMetricsAndActivity).
  auto metrics_and_activity = [&](PollResult& p) {
    externalscaler::GetMetricsResponse metrics;
    {
      grpc::ClientContext ctx;
      SetDeadline(ctx, timeout);
      externalscaler::GetMetricsRequest req;
      *req.mutable_scaledobjectref() = ref;
      req.set_metricname(p.metric_name);
      grpc::Status st = stub->GetMetrics(&ctx, req, &metrics);
      if (!st.ok()) return fail(p, "GetMetrics", ToStatus(st));
    }
    if (metrics.metricvalues_size() != 1) {
      return fail(p, "GetMetrics",
                  absl::InternalError(
                      fmt::format("expected 1 metric value, got {}", metrics.metricvalues_size())));
    }
    const externalscaler::MetricValue& mv = metrics.metricvalues(0);
    p.value =
        mv.metricvaluefloat() > 0 ? mv.metricvaluefloat() : static_cast<double>(mv.metricvalue());
    grpc::ClientContext ctx;
    SetDeadline(ctx, timeout);
    externalscaler::IsActiveResponse active;
    grpc::Status st = stub->IsActive(&ctx, ref, &active);
    if (!st.ok()) return fail(p, "IsActive", ToStatus(st));
    p.active = active.result();
  };

  PollResult p;
  bool retry = false;
  spec(p, retry);
  if (retry) {
    p = PollResult{};
    spec(p, retry);
  }
  if (!p.status.ok()) return p;
  const PollResult announced = p;
  metrics_and_activity(p);
  if (!p.status.ok()) {
    p = announced;
    metrics_and_activity(p);
  }
  return p;
}

std::unique_ptr<ActiveWatch> ScalerClient::WatchActive(const ScaledObjectKey& key,
                                                       std::function<void(bool)> on_message) const {
  return std::make_unique<ActiveWatch>(channel_, key, std::move(on_message));
}

ActiveWatch::ActiveWatch(std::shared_ptr<grpc::Channel> channel, ScaledObjectKey key,
                         std::function<void(bool)> on_message)
    : channel_(std::move(channel)), key_(std::move(key)), on_message_(std::move(on_message)) {
  thread_ = std::thread([this] { Loop(); });
}

ActiveWatch::~ActiveWatch() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    if (open_ != nullptr) open_->TryCancel();
  }
  cv_.notify_all();
  thread_.join();
}

void ActiveWatch::Loop() {
  auto stub = externalscaler::ExternalScaler::NewStub(channel_);
  const externalscaler::ScaledObjectRef ref = Ref(key_);
  while (true) {
    grpc::ClientContext ctx;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
      open_ = &ctx;
    }
    std::unique_ptr<grpc::ClientReader<externalscaler::IsActiveResponse>> reader =
        stub->StreamIsActive(&ctx, ref);
    externalscaler::IsActiveResponse msg;
    while (reader->Read(&msg)) on_message_(msg.result());
    (void)reader->Finish();
    std::unique_lock<std::mutex> lock(mu_);
    open_ = nullptr;
    if (cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; })) return;
  }
}

}  // namespace poolscaler::local
