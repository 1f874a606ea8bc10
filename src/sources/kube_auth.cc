#include "kube_auth.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "poolscaler/common/text.h"

namespace poolscaler::sources {
namespace {

constexpr size_t kMaxFile = 1 << 20;

absl::StatusOr<std::string> ReadSmallFile(const std::string& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::FailedPreconditionError(
        fmt::format("cannot read {} {}: {}", what, Quote(path), std::strerror(errno)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str().size() > kMaxFile) {
    return absl::FailedPreconditionError(
        fmt::format("{} {} is larger than {} bytes", what, Quote(path), kMaxFile));
  }
  return text.str();
}

// The entry of list `section` ("clusters", "users", "contexts") whose name is `name`, as its
// `field` map ("cluster", "user", "context").
absl::StatusOr<YAML::Node> Named(const YAML::Node& root, const char* section, const char* field,
                                 const std::string& name, const std::string& what) {
  const YAML::Node list = root[section];
  if (list && list.IsSequence()) {
    for (const YAML::Node& item : list) {
      if (item.IsMap() && item["name"] && item["name"].IsScalar() &&
          item["name"].Scalar() == name) {
        YAML::Node inner = item[field];
        if (!inner || !inner.IsMap()) {
          return absl::InvalidArgumentError(
              fmt::format("kubeconfig {}: {} {} has no {} map", what, section, Quote(name), field));
        }
        return inner;
      }
    }
  }
  return absl::InvalidArgumentError(
      fmt::format("kubeconfig {}: no {} entry named {}", what, section, Quote(name)));
}

std::string Scalar(const YAML::Node& map, const char* key) {
  YAML::Node v = map[key];
  return v && v.IsScalar() ? v.Scalar() : "";
}

std::string Resolve(const std::string& base_dir, const std::string& path) {
  if (path.empty() || path.front() == '/' || base_dir.empty()) return path;
  return base_dir + "/" + path;
}

// Base64 *-data field → its bytes.
absl::StatusOr<std::string> Data(const YAML::Node& map, const char* key, const std::string& what) {
  std::string out;
  if (!absl::Base64Unescape(Scalar(map, key), &out) || out.empty()) {
    return absl::InvalidArgumentError(
        fmt::format("kubeconfig {}: {} is not valid base64", what, key));
  }
  return out;
}

absl::StatusOr<KubeTarget> Parse(const std::string& yaml_text, const std::string& base_dir,
                                 const std::string& what) {
  YAML::Node root = YAML::Load(yaml_text);
  if (!root.IsMap()) {
    return absl::InvalidArgumentError(fmt::format("kubeconfig {}: not a YAML map", what));
  }
  std::string context_name = Scalar(root, "current-context");
  if (context_name.empty()) {
    return absl::InvalidArgumentError(fmt::format("kubeconfig {}: no current-context", what));
  }
  absl::StatusOr<YAML::Node> context = Named(root, "contexts", "context", context_name, what);
  if (!context.ok()) return context.status();
  absl::StatusOr<YAML::Node> cluster =
      Named(root, "clusters", "cluster", Scalar(*context, "cluster"), what);
  if (!cluster.ok()) return cluster.status();

  KubeTarget t;
  t.server = Scalar(*cluster, "server");
  while (!t.server.empty() && t.server.back() == '/') t.server.pop_back();
  if (!t.server.starts_with("https://") && !t.server.starts_with("http://")) {
    return absl::InvalidArgumentError(
        fmt::format("kubeconfig {}: cluster {} has no http(s) server (value {})", what,
                    Quote(Scalar(*context, "cluster")), Quote(t.server)));
  }
  t.auth.ca_file = Resolve(base_dir, Scalar(*cluster, "certificate-authority"));
  if (!Scalar(*cluster, "certificate-authority-data").empty()) {
    absl::StatusOr<std::string> ca = Data(*cluster, "certificate-authority-data", what);
    if (!ca.ok()) return ca.status();
    t.auth.ca_pem = *ca;
  }
  t.auth.insecure_skip_verify = Scalar(*cluster, "insecure-skip-tls-verify") == "true";

  std::string user_name = Scalar(*context, "user");
  if (user_name.empty()) return t;  // anonymous
  absl::StatusOr<YAML::Node> user = Named(root, "users", "user", user_name, what);
  if (!user.ok()) return user.status();
  for (const char* unsupported : {"exec", "auth-provider"}) {
    if ((*user)[unsupported]) {
      return absl::InvalidArgumentError(fmt::format(
          "kubeconfig {}: user {} logs in with {}, which poolscaler does not run; use a token, "
          "tokenFile or client certificate (e.g. a service-account token)",
          what, Quote(user_name), unsupported));
    }
  }
  if (std::string token = Scalar(*user, "token"); !token.empty())
    t.auth.bearer_token = Secret(token);
  t.token_file = Resolve(base_dir, Scalar(*user, "tokenFile"));
  t.auth.cert_file = Resolve(base_dir, Scalar(*user, "client-certificate"));
  t.auth.key_file = Resolve(base_dir, Scalar(*user, "client-key"));
  if (!Scalar(*user, "client-certificate-data").empty()) {
    absl::StatusOr<std::string> cert = Data(*user, "client-certificate-data", what);
    if (!cert.ok()) return cert.status();
    t.auth.cert_pem = *cert;
  }
  if (!Scalar(*user, "client-key-data").empty()) {
    absl::StatusOr<std::string> key = Data(*user, "client-key-data", what);
    if (!key.ok()) return key.status();
    t.auth.key_pem = Secret(*key);
  }
  t.auth.basic_user = Scalar(*user, "username");
  t.auth.basic_password = Secret(Scalar(*user, "password"));
  bool has_cert = !t.auth.cert_file.empty() || !t.auth.cert_pem.empty();
  bool has_key = !t.auth.key_file.empty() || !t.auth.key_pem.empty();
  if (has_cert != has_key) {
    return absl::InvalidArgumentError(fmt::format(
        "kubeconfig {}: user {} has a client certificate without its key (or a key without "
        "its certificate)",
        what, Quote(user_name)));
  }
  return t;
}

}  // namespace

absl::StatusOr<KubeTarget> ParseKubeconfig(const std::string& yaml_text,
                                           const std::string& base_dir, const std::string& what) {
  try {
    return Parse(yaml_text, base_dir, what);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        fmt::format("kubeconfig {}: not valid YAML: {}", what, e.msg));
  }
}

absl::StatusOr<KubeTarget> LoadKubeconfig(const std::string& path) {
  absl::StatusOr<std::string> text = ReadSmallFile(path, "kubeconfig");
  if (!text.ok()) return text.status();
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  absl::StatusOr<KubeTarget> t = ParseKubeconfig(*text, dir, Quote(path));
  if (!t.ok()) return absl::FailedPreconditionError(t.status().message());
  return t;
}

absl::StatusOr<KubeTarget> InClusterTarget(const config::KubeConnection& params) {
  KubeTarget t;
  if (!params.api_server.empty()) {
    t.server = params.api_server;
  } else {
    const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
    const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
    if (host == nullptr || *host == '\0' || port == nullptr || *port == '\0') {
      return absl::FailedPreconditionError(
          "kubernetes API: not running in a pod (KUBERNETES_SERVICE_HOST/PORT are not "
          "set): give \"kubeconfig\" or \"apiServer\"");
    }
    std::string h = host;
    if (h.find(':') != std::string::npos) h = "[" + h + "]";
    t.server = fmt::format("https://{}:{}", h, port);
  }
  t.auth.ca_file = params.ca_file;
  t.token_file = params.token_file;
  return t;
}

absl::StatusOr<Secret> ReadTokenFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadSmallFile(path, "token file");
  if (!text.ok()) return text.status();
  std::string token = *text;
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  if (token.empty()) {
    return absl::FailedPreconditionError(fmt::format("token file {} is empty", Quote(path)));
  }
  return Secret(token);
}

}  // namespace poolscaler::sources
