#pragma once
// Internal to the sources module: where the Kubernetes API server is and how to log in, from a
// kubeconfig file (its current context) or from inside a pod (service-account token and CA,
// KUBERNETES_SERVICE_HOST/PORT). Pure apart from reading the named files and environment.
#include <string>

#include "absl/status/statusor.h"
#include "http_fetch.h"
#include "poolscaler/config/source_spec.h"

namespace poolscaler::sources {

struct KubeTarget {
  std::string server;      // "https://host:port", no trailing slash
  HttpAuth auth;           // CA, client certificate, static token
  std::string token_file;  // read before each request when not empty (tokens rotate)
};

// Parses kubeconfig YAML text. `base_dir` resolves relative file paths (the kubeconfig's own
// directory, as kubectl does). Supported: cluster server, certificate-authority(-data),
// insecure-skip-tls-verify; user token, tokenFile, client-certificate(-data), client-key(-data),
// username/password. exec and auth-provider users are refused with a message saying so.
// Errors: INVALID_ARGUMENT naming the kubeconfig `what` (its path) and the missing/bad field.
// Secrets (token, key data, password) never appear in messages.
absl::StatusOr<KubeTarget> ParseKubeconfig(const std::string& yaml_text,
                                           const std::string& base_dir, const std::string& what);

// Reads and parses the kubeconfig at `path`.
absl::StatusOr<KubeTarget> LoadKubeconfig(const std::string& path);

// The in-cluster target: params.api_server, else https://$KUBERNETES_SERVICE_HOST:
// $KUBERNETES_SERVICE_PORT; CA params.ca_file; token read from params.token_file.
// FAILED_PRECONDITION when neither api_server nor the environment gives a server.
absl::StatusOr<KubeTarget> InClusterTarget(const config::KubeConnection& params);

// Reads a token file (trailing newlines dropped). Errors name the path, never the content.
absl::StatusOr<Secret> ReadTokenFile(const std::string& path);

}  // namespace poolscaler::sources
