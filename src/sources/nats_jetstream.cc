#include "poolscaler/sources/nats_jetstream.h"

#include <nats/nats.h>

#include <algorithm>
#include <exception>

#include <fmt/format.h>
#include "absl/status/status.h"
#include "poolscaler/common/text.h"
#include "nats_connection.h"

namespace poolscaler::sources {
namespace {

constexpr Duration kMinWait = std::chrono::milliseconds(1);

// JetStream API error codes that mean "try again": the cluster or a leader is not available.
bool TransientJsError(jsErrCode code) {
  return code == JSClusterNotActiveErr || code == JSClusterNotAvailErr ||
         code == JSClusterNoPeersErr || code == JSStreamOfflineErr ||
         code == JSConsumerOfflineErr;
}

// One nats-jetstream source. Holds a shared connection; not thread-safe (see Source).
class NatsJetStreamSource final : public Source {
 public:
  NatsJetStreamSource(config::SourceSpec spec, std::shared_ptr<NatsConnection> connection,
                      const Clock& clock)
      : spec_(std::move(spec)),
        params_(std::get<config::NatsJetStreamParams>(spec_.params)),
        connection_(std::move(connection)),
        clock_(clock) {}

  const config::SourceSpec& spec() const override { return spec_; }

  absl::StatusOr<Reading> Sample(TimePoint deadline) override {
    try {
      return SampleOnce(deadline);
    } catch (const std::exception& e) {
      return absl::InternalError(fmt::format("nats-jetstream sample failed: {}", e.what()));
    } catch (...) {
      return absl::InternalError("nats-jetstream sample failed with an unknown exception");
    }
  }

 private:
  absl::StatusOr<Reading> SampleOnce(TimePoint deadline);
  // The status for a failed JetStream API request.
  absl::Status RequestFailed(natsStatus s, jsErrCode code, natsConnection* nc,
                             int64_t wait_ms) const;
  std::string What() const {
    if (params_.consumer.empty()) return fmt::format("stream {}", Quote(params_.stream));
    return fmt::format("consumer {} on stream {}", Quote(params_.consumer),
                       Quote(params_.stream));
  }

  const config::SourceSpec spec_;
  const config::NatsJetStreamParams& params_;  // inside spec_
  std::shared_ptr<NatsConnection> connection_;
  const Clock& clock_;
};

absl::StatusOr<Reading> NatsJetStreamSource::SampleOnce(TimePoint deadline) {
  auto link = connection_->Get(spec_.timeout, deadline);
  if (!link.ok()) return link.status();
  natsConnection* nc = (*link)->get();

  const Duration wait = std::max(kMinWait, std::min(spec_.timeout, deadline - clock_.Now()));
  const int64_t wait_ms = std::chrono::duration_cast<std::chrono::milliseconds>(wait).count();
  jsOptions options;
  jsOptions_Init(&options);
  options.Wait = wait_ms;
  if (!params_.domain.empty()) options.Domain = params_.domain.c_str();
  jsCtx* js = nullptr;
  natsStatus s = natsConnection_JetStream(&js, nc, &options);
  if (s != NATS_OK) {
    return absl::InternalError(fmt::format("nats at {}: cannot create a JetStream context: {}",
                                           connection_->servers(), natsStatus_GetText(s)));
  }
  std::unique_ptr<jsCtx, decltype(&jsCtx_Destroy)> js_owner(js, jsCtx_Destroy);
  jsErrCode code = static_cast<jsErrCode>(0);
  Reading reading;

  if (params_.consumer.empty()) {
    jsStreamInfo* info = nullptr;
    s = js_GetStreamInfo(&info, js, params_.stream.c_str(), nullptr, &code);
    if (s != NATS_OK) return RequestFailed(s, code, nc, wait_ms);
    std::unique_ptr<jsStreamInfo, decltype(&jsStreamInfo_Destroy)> owner(info,
                                                                         jsStreamInfo_Destroy);
    reading.measures[config::kMeasureLength] = static_cast<double>(info->State.Msgs);
    return reading;
  }

  jsConsumerInfo* info = nullptr;
  s = js_GetConsumerInfo(&info, js, params_.stream.c_str(), params_.consumer.c_str(), nullptr,
                         &code);
  if (s != NATS_OK) return RequestFailed(s, code, nc, wait_ms);
  std::unique_ptr<jsConsumerInfo, decltype(&jsConsumerInfo_Destroy)> owner(
      info, jsConsumerInfo_Destroy);
  if (info->Cluster != nullptr && info->Cluster->ReplicasLen > 0 &&
      (info->Cluster->Leader == nullptr || *info->Cluster->Leader == '\0')) {
    // A replicated consumer without a leader: its counts may not be current.
    return absl::UnavailableError(
        fmt::format("nats at {}: {} has no leader right now", connection_->servers(), What()));
  }
  const double pending = static_cast<double>(info->NumPending);
  const double ack_pending = static_cast<double>(info->NumAckPending);
  reading.measures[config::kMeasurePending] = pending;
  reading.measures[config::kMeasureAckPending] = ack_pending;
  reading.measures[config::kMeasureOutstanding] = pending + ack_pending;
  reading.measures[config::kMeasureRedelivered] = static_cast<double>(info->NumRedelivered);
  reading.measures[config::kMeasureDeliveredSeq] = static_cast<double>(info->Delivered.Stream);
  reading.measures[config::kMeasureAckFloorSeq] = static_cast<double>(info->AckFloor.Stream);
  const double deliveries = static_cast<double>(info->Delivered.Consumer);
  reading.measures[config::kMeasureArrivedTotal] = pending + deliveries;
  reading.measures[config::kMeasureCompletedTotal] = std::max(0.0, deliveries - ack_pending);
  return reading;
}

absl::Status NatsJetStreamSource::RequestFailed(natsStatus s, jsErrCode code,
                                                natsConnection* nc, int64_t wait_ms) const {
  const std::string& servers = connection_->servers();
  if (code == JSConsumerNotFoundErr || code == JSStreamNotFoundErr) {
    std::string missing = code == JSStreamNotFoundErr
                              ? fmt::format("stream {}", Quote(params_.stream))
                              : What();
    std::string where = params_.domain.empty() ? ""
                                               : fmt::format(" (domain {})", Quote(params_.domain));
    return absl::NotFoundError(fmt::format("{} not found on nats at {}{}", missing, servers, where));
  }
  std::string text = connection_->Scrub(NatsErrorText(s));
  if (code == JSNotEnabledErr || code == JSNotEnabledForAccountErr) {
    return absl::FailedPreconditionError(
        fmt::format("JetStream is not enabled for this account on nats at {}: {}", servers, text));
  }
  if (code != 0) {
    std::string message = fmt::format("JetStream API refused the info request for {} on nats at "
                                      "{} (error {}): {}", What(), servers, static_cast<int>(code),
                                      text);
    if (TransientJsError(code)) return absl::UnavailableError(message);
    return absl::FailedPreconditionError(message);
  }
  if (s == NATS_TIMEOUT) {
    // A permissions violation on the API subject shows up as a timeout plus an async error.
    const char* last = nullptr;
    if (natsConnection_GetLastError(nc, &last) == NATS_NOT_PERMITTED && last != nullptr &&
        std::string_view(last).find("$JS.API") != std::string_view::npos) {
      return absl::PermissionDeniedError(fmt::format(
          "nats at {}: not permitted to request info on {}: {}", servers, What(),
          connection_->Scrub(last)));
    }
    return absl::UnavailableError(fmt::format(
        "nats at {}: no JetStream response within {}ms for {}", servers, wait_ms, What()));
  }
  if (s == NATS_NO_RESPONDERS) {
    return absl::UnavailableError(fmt::format(
        "nats at {}: no JetStream API responder for {} (JetStream not enabled for this "
        "account/domain, or no leader yet)", servers, What()));
  }
  if (s == NATS_NOT_PERMITTED) {
    return absl::PermissionDeniedError(
        fmt::format("nats at {}: not permitted to request info on {}: {}", servers, What(), text));
  }
  if (s == NATS_CONNECTION_DISCONNECTED || s == NATS_CONNECTION_CLOSED) {
    return absl::UnavailableError(
        fmt::format("disconnected from {}; nats.c is reconnecting", servers));
  }
  return absl::UnavailableError(fmt::format("nats at {}: info request for {} failed ({}): {}",
                                            servers, What(), natsStatus_GetText(s), text));
}

}  // namespace

NatsJetStreamFactory::NatsJetStreamFactory() : NatsJetStreamFactory(RealClock::Instance()) {}

NatsJetStreamFactory::NatsJetStreamFactory(const Clock& clock)
    : clock_(clock), pool_(std::make_shared<NatsConnectionPool>(clock)) {}

NatsJetStreamFactory::~NatsJetStreamFactory() = default;

absl::StatusOr<std::unique_ptr<Source>> NatsJetStreamFactory::Create(
    const config::SourceSpec& spec) {
  const auto* params = std::get_if<config::NatsJetStreamParams>(&spec.params);
  if (spec.kind != config::kNatsJetStream || params == nullptr) {
    return absl::InvalidArgumentError(fmt::format("source {}: kind {} is not {}", Quote(spec.name),
                                                  Quote(spec.kind), config::kNatsJetStream));
  }
  std::string problem;
  if (params->servers.empty()) problem = "no server";
  else if (params->stream.empty()) problem = "no stream";
  if (!problem.empty()) {
    return absl::InvalidArgumentError(fmt::format("source {}: {}", Quote(spec.name), problem));
  }
  return std::make_unique<NatsJetStreamSource>(spec, pool_->Get(*params), clock_);
}

}  // namespace poolscaler::sources
