#include "poolscaler/adapter/metrics_api.h"

#include <fmt/format.h>

#include <algorithm>

#include "poolscaler/adapter/api_path.h"
#include "poolscaler/adapter/label_selector.h"
#include "poolscaler/common/quantity.h"
#include "poolscaler/common/text.h"

namespace poolscaler::adapter {
namespace {

// A served metric: the label that picks its series and the labels that may narrow it.
struct MetricDef {
  const char* name;
  const char* required;               // "pool" / "source"
  std::vector<std::string> optional;  // e.g. "measure"
};

const std::vector<MetricDef>& Defs() {
  static const std::vector<MetricDef> kDefs = {
      {kPoolDesired, "pool", {}},
      {kSourceLag, "source", {"measure"}},
  };
  return kDefs;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

ApiResponse Error(const absl::Status& st, std::string resource, std::string_view metric = "") {
  int code = HttpCodeOf(st.code());
  return {code, StatusJson(code, std::string(st.message()), metric), std::move(resource)};
}

// The value of each identifying label the selector pins down. Only equality (=, ==, in with one
// value) on the metric's own labels is accepted, so a request can never silently select
// nothing or several series.
absl::StatusOr<std::map<std::string, std::string>> Identify(
    const MetricDef& def, const std::optional<std::string>& text) {
  const std::string usage = fmt::format("labelSelector={}=NAME", def.required);
  if (!text) {
    return absl::InvalidArgumentError(
        fmt::format("{} needs a label selector naming one {}: {}", def.name, def.required, usage));
  }
  absl::StatusOr<LabelSelector> selector = LabelSelector::Parse(*text);
  if (!selector.ok()) return selector.status();
  std::string carried = def.required;
  for (const std::string& o : def.optional) carried += ", " + o;
  std::map<std::string, std::string> ids;
  for (const Requirement& r : selector->requirements()) {
    bool known = r.key == def.required ||
                 std::find(def.optional.begin(), def.optional.end(), r.key) != def.optional.end();
    if (!known) {
      return absl::InvalidArgumentError(
          fmt::format("labelSelector: {} series have no label {} (their labels: {})", def.name,
                      Quote(r.key), carried));
    }
    bool one_value =
        r.op == Requirement::Op::kEquals || (r.op == Requirement::Op::kIn && r.values.size() == 1);
    if (!one_value) {
      return absl::InvalidArgumentError(
          fmt::format("labelSelector: {} selects by {}=VALUE only, not {}", def.name, r.key,
                      Quote(r.ToString())));
    }
    auto [it, inserted] = ids.emplace(r.key, r.values.front());
    if (!inserted && it->second != r.values.front()) {
      return absl::InvalidArgumentError(
          fmt::format("labelSelector: {}={} and {}={} select nothing together", r.key, it->second,
                      r.key, r.values.front()));
    }
  }
  auto it = ids.find(def.required);
  if (it == ids.end() || it->second.empty()) {
    return absl::InvalidArgumentError(
        fmt::format("{} needs a label selector naming one {}: {} (got {})", def.name, def.required,
                    usage, Quote(*text)));
  }
  return ids;
}

// The quantity text of a served value; a value that has none (NaN) is our fault, not the
// client's.
absl::StatusOr<std::string> QuantityText(double value) {
  absl::StatusOr<std::string> text = FormatQuantity(value);
  if (!text.ok()) return absl::InternalError(std::string(text.status().message()));
  return text;
}

}  // namespace

ExternalMetricsApi::ExternalMetricsApi(Deps deps) : deps_(std::move(deps)) {}

const std::vector<std::string>& ExternalMetricsApi::MetricNames() {
  static const std::vector<std::string> kNames = [] {
    std::vector<std::string> names;
    for (const MetricDef& d : Defs()) names.push_back(d.name);
    return names;
  }();
  return kNames;
}

std::chrono::system_clock::time_point ExternalMetricsApi::Wall(TimePoint t) const {
  return deps_.clock->WallNow() -
         std::chrono::duration_cast<std::chrono::system_clock::duration>(deps_.clock->Now() - t);
}

ApiResponse ExternalMetricsApi::Get(std::string_view path,
                                    const std::optional<std::string>& label_selector) const {
  absl::StatusOr<ApiPath> p = ParseApiPath(path);
  if (!p.ok()) return Error(p.status(), "other");
  switch (p->kind) {
    case ApiPath::Kind::kApis: return {200, ApiGroupListJson(), "discovery"};
    case ApiPath::Kind::kGroup: return {200, ApiGroupJson(), "discovery"};
    case ApiPath::Kind::kVersion: return {200, ApiResourceListJson(MetricNames()), "discovery"};
    case ApiPath::Kind::kMetric: return Metric(p->metric, label_selector);
    case ApiPath::Kind::kHealth: break;
  }
  return Error(absl::NotFoundError("health checks are answered by the server"), "other");
}

ApiResponse ExternalMetricsApi::Metric(const std::string& metric,
                                       const std::optional<std::string>& selector) const {
  // The HPA lower-cases metric names in the path; match the way it asks.
  const std::string wanted = Lower(metric);
  const MetricDef* def = nullptr;
  for (const MetricDef& d : Defs()) {
    if (wanted == d.name) def = &d;
  }
  if (!def) {
    std::string served;
    for (const std::string& n : MetricNames()) served += (served.empty() ? "" : ", ") + n;
    absl::Status unknown = absl::NotFoundError(fmt::format(
        "metric {} is not served by poolscaler (it serves {})", Quote(metric), served));
    return Error(unknown, "other", wanted.substr(0, 253));
  }
  absl::StatusOr<std::map<std::string, std::string>> ids = Identify(*def, selector);
  if (!ids.ok()) return Error(ids.status(), def->name, def->name);
  absl::StatusOr<MetricItem> item =
      def->name == std::string_view(kPoolDesired) ? PoolDesired(*ids) : SourceLag(*ids);
  if (!item.ok()) return Error(item.status(), def->name, def->name);
  return {200, ExternalMetricValueListJson({*item}), def->name};
}

absl::StatusOr<MetricItem> ExternalMetricsApi::PoolDesired(
    const std::map<std::string, std::string>& ids) const {
  const std::string& pool = ids.at("pool");
  absl::StatusOr<server::PoolAnswer> answer = deps_.core->PoolByName(pool);
  if (!answer.ok()) return answer.status();
  absl::StatusOr<std::string> value = QuantityText(answer->desired);
  if (!value.ok()) return value.status();
  return MetricItem{kPoolDesired, {{"pool", pool}}, Wall(answer->decided_at), std::move(*value)};
}

absl::StatusOr<MetricItem> ExternalMetricsApi::SourceLag(
    const std::map<std::string, std::string>& ids) const {
  const std::string& name = ids.at("source");
  std::shared_ptr<const config::Config> cfg = deps_.config();
  const config::SourceSpec* spec = cfg->FindSource(name);
  if (!spec) return absl::NotFoundError(fmt::format("source {} is not in the config", Quote(name)));
  auto m = ids.find("measure");
  const std::string measure = m != ids.end() ? m->second : spec->DefaultMeasure();
  if (!spec->HasMeasure(measure)) {
    std::string all;
    for (const std::string& x : spec->Measures()) all += (all.empty() ? "" : ", ") + x;
    return absl::NotFoundError(fmt::format("source {} reports no measure {} (it reports {})",
                                           Quote(name), Quote(measure), all));
  }
  absl::StatusOr<sampler::SampleStore::TimedValue> v =
      deps_.store->ValueWithTime(spec->Key(), measure, deps_.clock->Now());
  if (!v.ok()) return v.status();
  absl::StatusOr<std::string> value = QuantityText(v->value);
  if (!value.ok()) return value.status();
  return MetricItem{
      kSourceLag, {{"measure", measure}, {"source", name}}, Wall(v->taken_at), std::move(*value)};
}

}  // namespace poolscaler::adapter
