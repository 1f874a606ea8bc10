#include "poolscaler/sources/scaled_objects.h"

#include "kube_client.h"

namespace poolscaler::sources {
namespace {

constexpr char kListForbiddenHint[] =
    "the service account needs list on scaledobjects.keda.sh in every namespace; see "
    "deploy/base/rbac.yaml";

}  // namespace

absl::StatusOr<std::vector<ScaledObjectPool>> ListScaledObjectPools(
    const config::KubeConnection& connection, Duration timeout) {
  KubeClient client(connection);
  absl::StatusOr<std::string> body = client.Get("/apis/keda.sh/v1alpha1/scaledobjects", timeout,
                                                "ScaledObject list", "", kListForbiddenHint);
  if (!body.ok()) return body.status();
  return DecodeScaledObjectPools(*body);
}

}  // namespace poolscaler::sources
