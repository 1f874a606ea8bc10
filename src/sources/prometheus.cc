// The prometheus source.
#include <algorithm>
#include <exception>

#include <fmt/format.h>
#include "absl/status/status.h"
#include "http_fetch.h"
#include "poolscaler/common/text.h"
#include "poolscaler/sources/http_sources.h"
#include "poolscaler/sources/prometheus_response.h"

namespace poolscaler::sources {
namespace {

// Not thread-safe (see Source).
class PrometheusSource final : public Source {
 public:
  explicit PrometheusSource(config::SourceSpec spec)
      : spec_(std::move(spec)),
        params_(std::get<config::PrometheusParams>(spec_.params)),
        fetcher_(PrometheusAuth(params_)),
        url_(fmt::format("{}/api/v1/query?query={}", params_.server_address,
                         UrlEncode(params_.query))),
        what_(fmt::format("prometheus at {}", params_.server_address)) {}

  const config::SourceSpec& spec() const override { return spec_; }

  absl::StatusOr<Reading> Sample(TimePoint deadline) override {
    try {
      return SampleOnce(deadline);
    } catch (const std::exception& e) {
      return absl::InternalError(fmt::format("prometheus sample failed: {}", e.what()));
    }
  }

 private:
  absl::StatusOr<Reading> SampleOnce(TimePoint deadline) {
    Duration timeout = std::min(spec_.timeout, deadline - SteadyClock::now());
    if (timeout <= Duration::zero()) {
      return absl::DeadlineExceededError(fmt::format("{}: no time left for a query", what_));
    }
    absl::StatusOr<HttpResponse> response = fetcher_.Get(url_, timeout, what_);
    if (!response.ok()) return response.status();
    absl::StatusOr<PrometheusResult> result =
        DecodePrometheusResponse(response->body, response->status, params_.reduce);
    if (!result.ok()) {
      return absl::Status(result.status().code(),
                          fmt::format("{} (query {}): {}", what_, Quote(params_.query),
                                      std::string(result.status().message())));
    }
    Reading reading;
    if (result->empty) {
      if (!params_.ignore_null_values) {
        return absl::NotFoundError(fmt::format(
            "{}: query {} returned no series (an empty vector); if that means 0, set "
            "ignoreNullValues: true or append \"or vector(0)\" to the query",
            what_, Quote(params_.query)));
      }
      reading.note = "empty result counted as 0 (ignoreNullValues)";
    } else if (result->series > 1) {
      reading.note = fmt::format("{} series reduced by {}", result->series,
                                 config::ReduceName(params_.reduce));
    }
    reading.measures[config::kMeasureValue] = result->value;
    return reading;
  }

  const config::SourceSpec spec_;
  const config::PrometheusParams& params_;  // inside spec_
  HttpFetcher fetcher_;
  const std::string url_;
  const std::string what_;
};

}  // namespace

HttpAuth PrometheusAuth(const config::PrometheusParams& p) {
  HttpAuth a;
  a.bearer_token = p.bearer_token;
  a.basic_user = p.username;
  a.basic_password = p.password;
  a.ca_file = p.tls_ca_file;
  a.cert_file = p.tls_cert_file;
  a.key_file = p.tls_key_file;
  a.insecure_skip_verify = p.unsafe_ssl;
  return a;
}

absl::StatusOr<std::unique_ptr<Source>> PrometheusFactory::Create(const config::SourceSpec& spec) {
  if (spec.kind != config::kPrometheus ||
      !std::holds_alternative<config::PrometheusParams>(spec.params)) {
    return absl::InvalidArgumentError(
        fmt::format("source \"{}\" is not a prometheus source", spec.name));
  }
  return std::unique_ptr<Source>(new PrometheusSource(spec));
}

}  // namespace poolscaler::sources
