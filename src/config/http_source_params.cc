// The keys of the prometheus and kubernetes-resources sources shared by YAML `sources[]` entries
// and (prometheus only) raw-mode trigger metadata.
#include <fmt/format.h>

#include "poolscaler/common/quantity.h"
#include "source_params.h"

namespace poolscaler::config {
namespace {

void ReadPath(ParamReader& r, std::string_view key, std::string* out) {
  if (!r.Has(key)) return;
  if (std::optional<std::string> v = r.RequiredString(key)) *out = *v;
}

// http(s)://host[:port][/prefix]; credentials and queries are refused (not echoed: a URL with
// user:password@ would leak).
void ReadServerAddress(ParamReader& r, PrometheusParams* out) {
  std::optional<std::string> url = r.RequiredString("serverAddress");
  if (!url) return;
  size_t sep = url->find("://");
  std::string scheme = sep == std::string::npos ? "" : url->substr(0, sep);
  if (url->find('@') != std::string::npos) {
    r.Fail("serverAddress",
           "credentials in the URL are not accepted: use the bearer token or "
           "username/password keys",
           /*secret=*/true);
    return;
  }
  if (scheme != "http" && scheme != "https") {
    r.Fail("serverAddress", "expected an http:// or https:// URL (e.g. http://prometheus:9090)");
    return;
  }
  std::string rest = url->substr(sep + 3);
  if (rest.empty() || rest.front() == '/' || rest.find_first_of("?# ") != std::string::npos) {
    r.Fail("serverAddress",
           "expected http(s)://host:port with an optional path prefix, without "
           "a query");
    return;
  }
  while (!url->empty() && url->back() == '/') url->pop_back();
  out->server_address = *url;
}

std::optional<double> ReadQuantity(ParamReader& r, std::string_view key) {
  std::optional<std::string> text = r.String(key);
  if (!text) return std::nullopt;
  absl::StatusOr<Quantity> q = Quantity::Parse(key, *text);
  if (!q.ok()) {
    std::string message(q.status().message());
    // "key: why (value …)" → "why", so Fail adds path, line and value once.
    std::string why = message.substr(key.size() + 2);
    why = why.substr(0, why.rfind(" (value "));
    r.Fail(key, why);
    return std::nullopt;
  }
  if (!(q->ToDouble() > 0)) {
    r.Fail(key, "must be greater than 0");
    return std::nullopt;
  }
  return q->ToDouble();
}

}  // namespace

void ReadPrometheusConnection(ParamReader& r, PrometheusParams* out) {
  ReadServerAddress(r, out);
  ReadPath(r, "tlsCaFile", &out->tls_ca_file);
  ReadPath(r, "tlsCertFile", &out->tls_cert_file);
  ReadPath(r, "tlsKeyFile", &out->tls_key_file);
  if (out->tls_cert_file.empty() != out->tls_key_file.empty()) {
    r.Fail(out->tls_cert_file.empty() ? "tlsKeyFile" : "tlsCertFile",
           "a client certificate needs both \"tlsCertFile\" and \"tlsKeyFile\"");
  }
}

void ReadPrometheusQuery(ParamReader& r, PrometheusParams* out) {
  ReadPrometheusConnection(r, out);
  if (std::optional<std::string> q = r.RequiredString("query")) out->query = *q;
  if (std::optional<std::string> reduce = r.String("reduce")) {
    if (*reduce == "sum")
      out->reduce = Reduce::kSum;
    else if (*reduce == "max")
      out->reduce = Reduce::kMax;
    else if (*reduce == "min")
      out->reduce = Reduce::kMin;
    else if (*reduce == "avg")
      out->reduce = Reduce::kAvg;
    else
      r.Fail("reduce", "expected one of sum, max, min, avg");
  }
  if (std::optional<bool> v = r.Bool("ignoreNullValues")) out->ignore_null_values = *v;
}

void CheckPrometheusCredentials(ParamReader& r, const PrometheusParams& p,
                                const std::array<const char*, 3>& keys) {
  const auto& [user_key, password_key, token_key] = keys;
  if (!p.username.empty() && p.password.empty()) {
    r.Fail(user_key, fmt::format("needs \"{}\" too", password_key), true);
  }
  if (p.username.empty() && !p.password.empty()) {
    r.Fail(password_key, fmt::format("needs \"{}\" too", user_key), true);
  }
  if (!p.bearer_token.empty() && !p.password.empty()) {
    r.FailEntry(fmt::format("give a bearer token ({}) or basic auth ({}/{}), not both", token_key,
                            user_key, password_key));
  }
}

void ReadKubeConnection(ParamReader& r, KubeConnection* out) {
  ReadPath(r, "kubeconfig", &out->kubeconfig);
  if (r.Has("apiServer")) {
    if (std::optional<std::string> url = r.RequiredString("apiServer")) {
      if (!url->starts_with("https://") && !url->starts_with("http://")) {
        r.Fail("apiServer", "expected an https:// URL");
      } else if (url->find('@') != std::string::npos) {
        r.Fail("apiServer", "credentials in the URL are not accepted", true);
      } else {
        while (url->back() == '/') url->pop_back();
        out->api_server = *url;
      }
    }
  }
  ReadPath(r, "tokenFile", &out->token_file);
  ReadPath(r, "caFile", &out->ca_file);
  if (!out->kubeconfig.empty()) {
    for (const char* key : {"apiServer", "tokenFile", "caFile"}) {
      if (r.Has(key)) {
        r.Fail(key,
               "conflicts with \"kubeconfig\": the kubeconfig's current context gives the "
               "server and credentials");
      }
    }
  }
}

void ReadKubernetesResources(ParamReader& r, KubernetesResourcesParams* out) {
  if (std::optional<std::string> ns = r.RequiredString("namespace")) out->namespace_name = *ns;
  if (std::optional<std::string> s = r.String("labelSelector")) out->label_selector = *s;
  ReadKubeConnection(r, out);
  if (auto v = ReadQuantity(r, "cpuRequest")) out->cpu_request_cores = *v;
  if (auto v = ReadQuantity(r, "memoryRequest")) out->memory_request_bytes = *v;
  if (std::optional<bool> v = r.Bool("requestsFromPods")) out->requests_from_pods = *v;
  if (out->requests_from_pods && (r.Has("cpuRequest") || r.Has("memoryRequest"))) {
    r.Fail("requestsFromPods",
           "give per-pod requests (cpuRequest/memoryRequest) or read them "
           "from the pods API, not both");
  }
}

}  // namespace poolscaler::config
