// The kubernetes-scale source: a workload's scale subresource (what the HPA reads as "current
// replicas"). The resource name of the target's kind comes from API discovery, once, and again
// after the scale subresource answers 404 (a CRD changed or the workload was recreated).
#include <fmt/format.h>

#include <algorithm>
#include <exception>
#include <optional>

#include "absl/status/status.h"
#include "http_fetch.h"
#include "kube_client.h"
#include "poolscaler/common/text.h"
#include "poolscaler/sources/http_sources.h"
#include "poolscaler/sources/kube_metrics.h"

namespace poolscaler::sources {
namespace {

constexpr char kScaleForbiddenHint[] =
    "the service account needs get on the workload's scale subresource (e.g. deployments/scale); "
    "see deploy/base/rbac.yaml";

// Not thread-safe (see Source).
class KubernetesScaleSource final : public Source {
 public:
  explicit KubernetesScaleSource(config::SourceSpec spec)
      : spec_(std::move(spec)),
        params_(std::get<config::KubernetesScaleParams>(spec_.params)),
        target_(params_.target),
        client_(params_),
        group_path_(target_.api_version.find('/') == std::string::npos
                        ? "/api/" + target_.api_version
                        : "/apis/" + target_.api_version),
        context_(fmt::format(" ({})", target_.Describe())) {}

  const config::SourceSpec& spec() const override { return spec_; }

  absl::StatusOr<Reading> Sample(TimePoint deadline) override {
    try {
      absl::StatusOr<Reading> r = SampleOnce(deadline);
      if (!r.ok() && r.status().code() != absl::StatusCode::kNotFound) client_.Reset();
      return r;
    } catch (const std::exception& e) {
      return absl::InternalError(fmt::format("kubernetes-scale sample failed: {}", e.what()));
    }
  }

 private:
  absl::StatusOr<std::string> Get(const std::string& path, TimePoint deadline,
                                  std::string_view what) {
    Duration timeout = std::min(spec_.timeout, deadline - SteadyClock::now());
    return client_.Get(path, timeout, what, context_, kScaleForbiddenHint);
  }

  absl::StatusOr<Reading> SampleOnce(TimePoint deadline) {
    if (!resource_) {
      absl::StatusOr<std::string> list = Get(group_path_, deadline, "API discovery");
      if (!list.ok()) return list.status();
      absl::StatusOr<std::string> resource = FindScaleResource(*list, target_.kind);
      if (!resource.ok()) {
        return absl::Status(
            resource.status().code(),
            fmt::format("{}{}", std::string(resource.status().message()), context_));
      }
      resource_ = *resource;
    }
    std::string path =
        fmt::format("{}/namespaces/{}/{}/{}/scale", group_path_, UrlEncode(target_.namespace_name),
                    *resource_, UrlEncode(target_.name));
    absl::StatusOr<std::string> body = Get(path, deadline, "scale subresource");
    if (!body.ok()) {
      if (body.status().code() == absl::StatusCode::kNotFound) resource_.reset();
      return body.status();
    }
    absl::StatusOr<ScaleReading> scale = DecodeScale(*body);
    if (!scale.ok()) return scale.status();
    Reading reading;
    reading.measures[config::kMeasureSpecReplicas] = static_cast<double>(scale->spec_replicas);
    reading.measures[config::kMeasureStatusReplicas] = static_cast<double>(scale->status_replicas);
    return reading;
  }

  const config::SourceSpec spec_;
  const config::KubernetesScaleParams& params_;  // inside spec_
  const config::ScaleTargetRef& target_;         // inside spec_
  KubeClient client_;
  const std::string group_path_;         // "/apis/apps/v1" or "/api/v1"
  const std::string context_;            // " (deployment shop/parse (apps/v1))"
  std::optional<std::string> resource_;  // "deployments", from discovery
};

}  // namespace

absl::StatusOr<std::unique_ptr<Source>> KubernetesScaleFactory::Create(
    const config::SourceSpec& spec) {
  if (spec.kind != config::kKubernetesScale ||
      !std::holds_alternative<config::KubernetesScaleParams>(spec.params)) {
    return absl::InvalidArgumentError(
        fmt::format("source {} is not a kubernetes-scale source", Quote(spec.name)));
  }
  return std::unique_ptr<Source>(new KubernetesScaleSource(spec));
}

}  // namespace poolscaler::sources
