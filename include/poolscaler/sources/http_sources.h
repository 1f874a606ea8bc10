#pragma once
// The sources that read an HTTP API (libcurl, blocking, with a timeout on every request):
//  - prometheus: one instant PromQL query (/api/v1/query) per sample; measure `value`.
//  - kubernetes-resources: the resource metrics API (metrics.k8s.io/v1beta1 PodMetricsList of
//    a namespace and label selector), and the pods API for requests when asked; measures pods,
//    cpu, memory, cpu_total, memory_total, cpu_utilization, memory_utilization.
// Each source keeps its own connection (HTTP keep-alive); nothing is shared between sources.
#include <memory>

#include "absl/status/statusor.h"
#include "poolscaler/common/time.h"
#include "poolscaler/sources/source.h"

namespace poolscaler::sources {

// Creates prometheus sources. Thread-safe (stateless).
class PrometheusFactory {
 public:
  // Errors: INVALID_ARGUMENT when `spec` is not a prometheus spec. Never connects.
  absl::StatusOr<std::unique_ptr<Source>> Create(const config::SourceSpec& spec);
};

// Creates kubernetes-resources sources. Thread-safe. The kubeconfig (or the in-cluster
// environment) is read on the first sample and again after a failed one, so a source can be
// created before its files exist.
class KubernetesResourcesFactory {
 public:
  absl::StatusOr<std::unique_ptr<Source>> Create(const config::SourceSpec& spec);
};

// Creates kubernetes-scale sources (a pool's scaleTargetRef), with the same login rules.
// Thread-safe; never connects.
class KubernetesScaleFactory {
 public:
  absl::StatusOr<std::unique_ptr<Source>> Create(const config::SourceSpec& spec);
};

}  // namespace poolscaler::sources
