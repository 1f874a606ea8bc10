// The `history:` section: the Prometheus that scrapes poolscaler, read once at start-up.
#include <fmt/format.h>

#include "config_parts.h"
#include "source_params.h"
#include "yaml_entry.h"

namespace poolscaler::config {

void ParseHistory(const YAML::Node& node, Config* config, std::vector<std::string>* errors) {
  if (node.IsNull()) return;
  std::optional<YamlEntry> entry = ReadEntry(node, "history", errors);
  if (!entry) return;
  ParamReader r = MakeReader(*entry, "history");
  HistorySpec h;
  ReadPrometheusConnection(r, &h.prometheus);
  ReadPrometheusAuth(r, &h.prometheus);
  for (auto [key, out] : {std::pair{"timeout", &h.timeout}, {"step", &h.step}}) {
    if (std::optional<Duration> v = r.DurationValue(key)) {
      if (*v < std::chrono::seconds(1) || *v > std::chrono::minutes(5)) {
        r.Fail(key, "must be between 1s and 5m");
      } else {
        *out = *v;
      }
    }
  }
  r.RejectUnknown(
      "history takes serverAddress, the TLS keys (tlsCaFile, tlsCertFile, tlsKeyFile, "
      "unsafeSsl), username with passwordEnv/passwordFile or bearerTokenEnv/bearerTokenFile, "
      "timeout and step");
  errors->insert(errors->end(), r.errors().begin(), r.errors().end());
  if (r.ok()) config->history = std::move(h);
}

}  // namespace poolscaler::config
