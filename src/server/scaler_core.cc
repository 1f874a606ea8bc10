#include "poolscaler/server/scaler_core.h"

#include <fmt/format.h>

#include <cctype>

#include "poolscaler/common/text.h"

namespace poolscaler::server {

bool MetricNameMatches(const std::string& requested, const std::string& ours) {
  if (requested.empty()) return true;
  std::string req = config::NormalizeMetricName(requested);
  std::string want = config::NormalizeMetricName(ours);
  if (req == want) return true;
  // KEDA names HPA metrics "s<index>-<name>"; it strips the prefix, but tolerate it anyway.
  if (req.size() > 2 && req[0] == 's' && std::isdigit(static_cast<unsigned char>(req[1]))) {
    size_t dash = req.find('-');
    if (dash != std::string::npos && req.substr(dash + 1) == want) return true;
  }
  return false;
}

namespace {

// The pool's latest usable state: NOT_FOUND when the table has no such pool, UNAVAILABLE when
// its signals have no value or it was never decided. Every answer goes through here (and
// ServedValue), so GetMetrics, IsActive and the external metrics API agree.
absl::StatusOr<pools::PoolState> Decided(const pools::PoolTable& table, const std::string& id) {
  std::optional<pools::PoolState> st = table.Get(id);
  if (!st) return absl::NotFoundError(fmt::format("pool {} is not in the config", Quote(id)));
  if (!st->status.ok()) return absl::UnavailableError(std::string(st->status.message()));
  if (!st->has_decision) return absl::UnavailableError("first sample pending");
  return std::move(*st);
}

// The metric value served for a decided pool: a raw trigger's lag, a config pool's desired
// replicas.
double ServedValue(const pools::PoolState& st, bool raw) {
  if (raw) return st.signals.empty() ? 0.0 : st.signals.front().value;
  return static_cast<double>(st.decision.desired);
}

}  // namespace

ScalerCore::ScalerCore(Deps deps) : deps_(std::move(deps)) {}

absl::StatusOr<Target> ScalerCore::Resolve(const Metadata& metadata) {
  std::shared_ptr<const config::Config> cfg = deps_.config();
  absl::StatusOr<config::TriggerSpec> trigger = config::ParseTrigger(metadata, cfg->defaults);
  if (!trigger.ok()) return trigger.status();
  Target t;
  if (trigger->mode == config::TriggerSpec::Mode::kPool) {
    const config::PoolSpec* pool = cfg->FindPool(trigger->pool);
    if (!pool) {
      return absl::NotFoundError(fmt::format("pool {} is not in the config", Quote(trigger->pool)));
    }
    t.pool_id = pool->name;
    t.metric_name = pool->metric_name;
    t.target = 1;
    return t;
  }
  TimePoint now = deps_.clock->Now();
  absl::StatusOr<std::string> key = deps_.registry->EnsureRaw(trigger->source, now);
  if (!key.ok()) return key.status();
  std::optional<config::SourceSpec> live = deps_.registry->Find(*key);
  std::string source_name = live ? live->name : trigger->source.name;

  pools::PoolDefinition def;
  def.id = "raw:" + trigger->Key();
  def.name = "raw/" + trigger->metric_name;
  def.metric_name = trigger->metric_name;
  def.raw = true;
  def.params = trigger->params;
  def.signals.push_back({source_name + "/" + trigger->signal.measure, *key,
                         trigger->signal.measure, trigger->signal.lag_threshold,
                         trigger->signal.activation_lag_threshold});
  deps_.table->EnsureRawPool(def, now);

  t.pool_id = def.id;
  t.raw = true;
  t.metric_name = trigger->metric_name;
  t.target = trigger->signal.lag_threshold;
  return t;
}

absl::StatusOr<MetricSpecAnswer> ScalerCore::MetricSpec(const Metadata& metadata) {
  absl::StatusOr<Target> t = Resolve(metadata);
  if (!t.ok()) return t.status();
  return MetricSpecAnswer{t->metric_name, t->target};
}

absl::StatusOr<double> ScalerCore::MetricValue(const Metadata& metadata,
                                               const std::string& metric_name) {
  absl::StatusOr<Target> t = Resolve(metadata);
  if (!t.ok()) return t.status();
  if (!MetricNameMatches(metric_name, t->metric_name)) {
    return absl::NotFoundError(fmt::format("metric {} is not served for this trigger (it serves {})",
                                           Quote(metric_name), Quote(t->metric_name)));
  }
  // Value and activity come from the same evaluation, so GetMetrics and IsActive agree.
  absl::StatusOr<pools::PoolState> st = Decided(*deps_.table, t->pool_id);
  if (!st.ok()) return st.status();
  return ServedValue(*st, t->raw);
}

absl::StatusOr<bool> ScalerCore::ActiveOf(const Target& target) const {
  absl::StatusOr<pools::PoolState> st = Decided(*deps_.table, target.pool_id);
  if (!st.ok()) return st.status();
  return st->decision.active;
}

absl::StatusOr<PoolAnswer> ScalerCore::PoolByName(const std::string& name) const {
  std::shared_ptr<const config::Config> cfg = deps_.config();
  const config::PoolSpec* pool = cfg->FindPool(name);
  if (!pool) return absl::NotFoundError(fmt::format("pool {} is not in the config", Quote(name)));
  absl::StatusOr<pools::PoolState> st = Decided(*deps_.table, pool->name);
  if (!st.ok()) return st.status();
  return PoolAnswer{ServedValue(*st, /*raw=*/false), st->decided_at};
}

absl::StatusOr<bool> ScalerCore::IsActive(const Metadata& metadata) {
  absl::StatusOr<Target> t = Resolve(metadata);
  if (!t.ok()) return t.status();
  return ActiveOf(*t);
}

}  // namespace poolscaler::server
