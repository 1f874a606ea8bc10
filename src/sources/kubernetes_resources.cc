// The kubernetes-resources source.
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

// Not thread-safe (see Source).
class KubernetesResourcesSource final : public Source {
 public:
  explicit KubernetesResourcesSource(config::SourceSpec spec)
      : spec_(std::move(spec)), params_(std::get<config::KubernetesResourcesParams>(spec_.params)) {
    std::string query;
    if (!params_.label_selector.empty()) {
      query = "?labelSelector=" + UrlEncode(params_.label_selector);
    }
    metrics_path_ = fmt::format("/apis/metrics.k8s.io/v1beta1/namespaces/{}/pods{}",
                                UrlEncode(params_.namespace_name), query);
    pods_path_ =
        fmt::format("/api/v1/namespaces/{}/pods{}", UrlEncode(params_.namespace_name), query);
  }

  const config::SourceSpec& spec() const override { return spec_; }

  absl::StatusOr<Reading> Sample(TimePoint deadline) override {
    try {
      absl::StatusOr<Reading> r = SampleOnce(deadline);
      if (!r.ok() && r.status().code() != absl::StatusCode::kNotFound) {
        client_.Reset();  // re-read the kubeconfig / environment next time
      }
      return r;
    } catch (const std::exception& e) {
      return absl::InternalError(fmt::format("kubernetes-resources sample failed: {}", e.what()));
    }
  }

 private:
  // GETs `path` from the API server; non-2xx answers become KubeApiError statuses.
  absl::StatusOr<std::string> Get(const std::string& path, TimePoint deadline,
                                  std::string_view what) {
    Duration timeout = std::min(spec_.timeout, deadline - SteadyClock::now());
    return client_.Get(path, timeout, what,
                       fmt::format(" (namespace {})", Quote(params_.namespace_name)),
                       kMetricsForbiddenHint);
  }

  absl::StatusOr<Reading> SampleOnce(TimePoint deadline) {
    absl::StatusOr<std::string> body = Get(metrics_path_, deadline, "metrics API");
    if (!body.ok()) return body.status();
    absl::StatusOr<PodMetricsSummary> m = DecodePodMetricsList(*body);
    if (!m.ok()) return m.status();

    Reading reading;
    const double pods = static_cast<double>(m->pods.size());
    const double cpu = static_cast<double>(m->cpu_nanocores) / 1e9;
    const double memory = static_cast<double>(m->memory_bytes);
    reading.measures[config::kMeasurePods] = pods;
    reading.measures[config::kMeasureCpuTotal] = cpu;
    reading.measures[config::kMeasureMemoryTotal] = memory;
    reading.measures[config::kMeasureCpu] = pods > 0 ? cpu / pods : 0;
    reading.measures[config::kMeasureMemory] = pods > 0 ? memory / pods : 0;
    std::vector<std::string> notes;
    if (m->pods_without_metrics > 0) {
      notes.push_back(
          fmt::format("{} pod(s) without container metrics left out", m->pods_without_metrics));
    }

    double cpu_requests = params_.cpu_request_cores * pods;
    double memory_requests = params_.memory_request_bytes * pods;
    if (params_.requests_from_pods) {
      absl::StatusOr<std::string> pods_body = Get(pods_path_, deadline, "pods API");
      if (!pods_body.ok()) return pods_body.status();
      absl::StatusOr<std::map<std::string, PodRequests>> requests = DecodePodRequests(*pods_body);
      if (!requests.ok()) return requests.status();
      int64_t cpu_nano = 0, memory_bytes = 0, missing = 0;
      for (const auto& [name, usage] : m->pods) {
        auto it = requests->find(name);
        if (it == requests->end()) {
          ++missing;  // deleted between the two requests
          continue;
        }
        if (!it->second.has_cpu || !it->second.has_memory) {
          return absl::FailedPreconditionError(fmt::format(
              "pods API: pod {} has a container without {} request; utilization needs requests "
              "on every container (or set cpuRequest/memoryRequest)",
              Quote(name), it->second.has_cpu ? "a memory" : "a cpu"));
        }
        cpu_nano += it->second.cpu_nanocores;
        memory_bytes += it->second.memory_bytes;
      }
      if (missing > 0)
        notes.push_back(fmt::format("{} pod(s) with metrics not in the pods list", missing));
      int64_t unmeasured =
          static_cast<int64_t>(requests->size()) - (static_cast<int64_t>(m->pods.size()) - missing);
      if (unmeasured > 0) {
        notes.push_back(fmt::format("{} running pod(s) without metrics", unmeasured));
      }
      cpu_requests = static_cast<double>(cpu_nano) / 1e9;
      memory_requests = static_cast<double>(memory_bytes);
    }
    if (params_.cpu_request_cores > 0 || params_.requests_from_pods) {
      reading.measures[config::kMeasureCpuUtilization] =
          cpu_requests > 0 ? 100 * cpu / cpu_requests : 0;
    }
    if (params_.memory_request_bytes > 0 || params_.requests_from_pods) {
      reading.measures[config::kMeasureMemoryUtilization] =
          memory_requests > 0 ? 100 * memory / memory_requests : 0;
    }
    reading.note = fmt::format("{}", fmt::join(notes, "; "));
    return reading;
  }

  const config::SourceSpec spec_;
  const config::KubernetesResourcesParams& params_;  // inside spec_
  std::string metrics_path_;
  std::string pods_path_;
  KubeClient client_{params_};
};

}  // namespace

absl::StatusOr<std::unique_ptr<Source>> KubernetesResourcesFactory::Create(
    const config::SourceSpec& spec) {
  if (spec.kind != config::kKubernetesResources ||
      !std::holds_alternative<config::KubernetesResourcesParams>(spec.params)) {
    return absl::InvalidArgumentError(
        fmt::format("source \"{}\" is not a kubernetes-resources source", spec.name));
  }
  return std::unique_ptr<Source>(new KubernetesResourcesSource(spec));
}

}  // namespace poolscaler::sources
