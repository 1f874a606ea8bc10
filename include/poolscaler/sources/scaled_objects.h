#pragma once
// The KEDA ScaledObjects of the cluster, for pools that name no workload
// (`kubernetes.workloadsFromScaledObjects`): which workload each pool-mode trigger's pool scales.
// Blocking (one list request); called by the runtime at start-up and from its maintenance thread,
// never from a gRPC call.
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "poolscaler/common/time.h"
#include "poolscaler/config/source_spec.h"
#include "poolscaler/sources/kube_metrics.h"

namespace poolscaler::sources {

// Lists keda.sh/v1alpha1 ScaledObjects in every namespace with `connection`'s login, within
// `timeout`. Errors as the kubernetes sources report them (403 names the RBAC it needs).
absl::StatusOr<std::vector<ScaledObjectPool>> ListScaledObjectPools(
    const config::KubeConnection& connection, Duration timeout);

}  // namespace poolscaler::sources
