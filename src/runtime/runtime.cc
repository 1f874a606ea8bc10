#include "poolscaler/runtime/runtime.h"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "poolscaler/adapter/server.h"
#include "poolscaler/common/log.h"
#include "poolscaler/common/memory.h"
#include "poolscaler/pools/evaluator.h"
#include "poolscaler/pools/from_config.h"
#include "poolscaler/pools/pool_table.h"
#include "poolscaler/sampler/registry.h"
#include "poolscaler/sampler/sample_store.h"
#include "poolscaler/sampler/sampler.h"
#include "poolscaler/server/grpc_server.h"
#include "poolscaler/server/scaler_core.h"
#include "poolscaler/sources/scaled_objects.h"
#include "poolscaler/sources/source.h"
#include "poolscaler/telemetry/http_server.h"
#include "poolscaler/telemetry/metrics.h"
#include "poolscaler/telemetry/pools_json.h"
#include "poolscaler/telemetry/state_collector.h"

namespace poolscaler::runtime {

// Everything the runtime owns, in construction order (destroyed in reverse).
struct Runtime::Parts {
  explicit Parts(const Options& o)
      : clock(RealClock::Instance()),
        factory(sources::MakeDefaultFactory()),
        sampler(store, clock, o.sampler_threads),
        registry(*factory, sampler, store),
        evaluator(table, store, clock, o.evaluate_tick),
        metrics(o.version),
        core({[this] { return Config(); }, &registry, &table, &store, &clock}),
        grpc(core, metrics),
        http(metrics, {[this] { return ready ? ready() : absl::OkStatus(); },
                       [this] { return telemetry::PoolsJson(table.Snapshot(), clock.Now()); }}) {}

  std::shared_ptr<const config::Config> Config() const {
    std::lock_guard lock(config_mu);
    return config;
  }
  void SetConfig(std::shared_ptr<const config::Config> c) {
    std::lock_guard lock(config_mu);
    config = std::move(c);
  }

  const Clock& clock;
  mutable std::mutex config_mu;
  std::shared_ptr<const config::Config> config;  // guarded by config_mu; never null once set
  std::unique_ptr<sources::SourceFactory> factory;
  sampler::SampleStore store;
  sampler::Sampler sampler;
  sampler::SourceRegistry registry;
  pools::PoolTable table;
  pools::Evaluator evaluator;
  telemetry::Metrics metrics;
  server::ScalerCore core;
  server::GrpcServer grpc;
  std::function<absl::Status()> ready;
  telemetry::HttpServer http;
  std::unique_ptr<adapter::ExternalMetricsServer> external_metrics;  // null when off
};

namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(fmt::format("cannot read config file {}", path));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

double UnixNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// The targets the pools served lately, from `history:`; nullopt when there is no history section
// or it cannot be read (logged: the pools then start from Kubernetes or empty).
std::optional<sources::RecentTargets> ReadHistory(const config::Config& cfg, TimePoint now) {
  if (!cfg.history) return std::nullopt;
  Duration window{};
  for (const config::PoolSpec& pool : cfg.pools) {
    const policy::Behavior& b = pool.params.behavior;
    window = std::max({window, b.scale_down.stabilization_window, b.scale_up.stabilization_window});
  }
  if (window <= Duration::zero()) return std::nullopt;
  const auto started = SteadyClock::now();
  absl::StatusOr<sources::RecentTargets> read = sources::ReadRecentTargets(*cfg.history, window, now);
  const std::string took = fmt::format(
      "{:.3f}", std::chrono::duration<double>(SteadyClock::now() - started).count());
  if (!read.ok()) {
    log::Warn("history not read: pools start from their workload's replica count or empty",
              {{"error", std::string(read.status().message())}, {"seconds", took}});
    return std::nullopt;
  }
  log::Info("history read", {{"series", std::to_string(read->size())}, {"seconds", took}});
  return std::move(*read);
}

// How often the ScaledObjects are listed again after start-up (a cluster-wide list: not every
// sample interval).
Duration ScaledObjectRelist(const config::Config& cfg) {
  return std::max<Duration>(std::chrono::seconds(30), 6 * cfg.scale_source_template.sample_interval);
}

}  // namespace

std::shared_ptr<const config::Config> Runtime::WithScaledObjectTargets(
    std::shared_ptr<const config::Config> cfg, bool log_changes) {
  if (!cfg->workloads_from_scaled_objects) return cfg;
  const bool any = std::any_of(cfg->pools.begin(), cfg->pools.end(),
                               [](const config::PoolSpec& p) { return !p.scale_target; });
  if (!any) return cfg;
  const auto& connection =
      std::get<config::KubernetesScaleParams>(cfg->scale_source_template.params);
  absl::StatusOr<std::vector<sources::ScaledObjectPool>> list =
      sources::ListScaledObjectPools(connection, cfg->scale_source_template.timeout);
  if (list.ok()) {
    scaled_object_pools_ = std::move(*list);
  } else {
    log::Warn("ScaledObjects not listed: pools without a scaleTargetRef keep the workloads "
              "the last good list gave them (none at start-up)",
              {{"error", std::string(list.status().message())}});
  }
  std::map<std::string, std::map<std::string, config::ScaleTargetRef>> by_pool;
  for (const sources::ScaledObjectPool& e : scaled_object_pools_) {
    config::ScaleTargetRef ref{e.target_api_version, e.target_kind, e.target_name,
                               e.namespace_name};
    by_pool[e.pool].emplace(ref.Describe(), ref);
  }
  auto out = std::make_shared<config::Config>(*cfg);
  std::string fingerprint;
  std::vector<std::pair<std::string, std::string>> found, ambiguous;
  for (size_t i = 0; i < out->pools.size(); ++i) {
    const std::string name = out->pools[i].name;
    auto it = by_pool.find(name);
    if (out->pools[i].scale_target || it == by_pool.end()) continue;
    std::vector<std::string> described;
    for (const auto& [d, ref] : it->second) described.push_back(d);
    const std::string all = fmt::format("{}", fmt::join(described, "; "));
    fingerprint += name + "=" + all + "\n";
    if (it->second.size() > 1) {
      ambiguous.emplace_back(name, all);
      continue;
    }
    if (absl::Status st = config::AttachScaleTarget(*out, i, it->second.begin()->second);
        !st.ok()) {
      ambiguous.emplace_back(name, std::string(st.message()));
      continue;
    }
    found.emplace_back(name, all);
  }
  if (log_changes || fingerprint != scaled_object_fingerprint_) {
    for (const auto& [pool, workload] : found) {
      log::Info("pool's workload found from its ScaledObject",
                {{"pool", pool}, {"workload", workload}});
    }
    for (const auto& [pool, why] : ambiguous) {
      log::Warn("pool's workload not taken from ScaledObjects (several workloads, or a name "
                "conflict)",
                {{"pool", pool}, {"why", why}});
    }
  }
  scaled_object_fingerprint_ = fingerprint;
  return out;
}

Runtime::Runtime(Options options) : options_(std::move(options)) {}

Runtime::~Runtime() { Stop(); }

absl::Status Runtime::Apply(std::shared_ptr<const config::Config> cfg,
                            const sources::RecentTargets* restore) {
  // Registers the sources under `SourceSpec::Key()`, the keys the definitions read.
  absl::StatusOr<std::map<std::string, std::string>> keys =
      parts_->registry.ApplyConfig(cfg->sources);
  if (!keys.ok()) return keys.status();
  std::vector<pools::PoolDefinition> defs = pools::DefinitionsFromConfig(*cfg);
  // The config pointer first: stream watchers re-read specs from it when the table notifies.
  parts_->SetConfig(cfg);
  parts_->table.SetConfigPools(std::move(defs), cfg->tier_groups);
  if (restore != nullptr) {
    std::vector<std::string> restored = parts_->table.RestoreTargets(*restore, parts_->clock.Now());
    log::Info("restored recent targets from history",
              {{"pools", std::to_string(restored.size())},
               {"of", std::to_string(cfg->pools.size())}});
  }
  parts_->evaluator.EvaluateNow();
  // Give back what the parse and the replaced state freed instead of keeping it resident.
  common::ReleaseFreeMemory();
  return absl::OkStatus();
}

absl::Status Runtime::Start() {
  if (absl::Status st = adapter::CheckOptions(options_.external_metrics); !st.ok()) return st;
  parts_ = std::make_unique<Parts>(options_);
  Parts& p = *parts_;
  p.ready = [this] { return Ready(); };
  std::shared_ptr<const config::Config> cfg = std::make_shared<config::Config>();
  if (!options_.config_path.empty()) {
    absl::StatusOr<std::string> text = ReadFile(options_.config_path);
    if (!text.ok()) return text.status();
    absl::StatusOr<config::Config> parsed = config::ParseConfig(*text);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(fmt::format("{} is invalid:\n{}", options_.config_path,
                                                    std::string(parsed.status().message())));
    }
    cfg = std::make_shared<config::Config>(std::move(*parsed));
    config_fingerprint_ = *text;
  }
  base_config_ = cfg;
  cfg = WithScaledObjectTargets(cfg, /*log_changes=*/true);
  next_scaled_object_list_ = SteadyClock::now() + ScaledObjectRelist(*cfg);
  // Before the first evaluation and before serving: what the previous process served.
  std::optional<sources::RecentTargets> restore = ReadHistory(*cfg, p.clock.Now());
  p.sampler.Start();
  if (absl::Status st = Apply(cfg, restore ? &*restore : nullptr); !st.ok()) {
    p.sampler.Stop();
    return st;
  }
  p.metrics.AddCollector(std::make_shared<telemetry::StateCollector>(p.store, p.table, p.clock));
  p.evaluator.Start();
  if (absl::Status st = p.grpc.Start(options_.grpc_listen, options_.grpc_tls); !st.ok()) {
    Stop();
    return st;
  }
  if (absl::Status st = p.http.Start(options_.http_listen); !st.ok()) {
    Stop();
    return st;
  }
  if (options_.external_metrics.enabled()) {
    p.external_metrics = std::make_unique<adapter::ExternalMetricsServer>(
        options_.external_metrics,
        adapter::ExternalMetricsApi::Deps{&p.core, [&p] { return p.Config(); }, &p.store, &p.clock},
        [this] { return Ready(); });
    if (absl::Status st = p.external_metrics->Start(); !st.ok()) {
      Stop();
      return st;
    }
    p.metrics.AddCollector(p.external_metrics->metrics());
  }
  {
    std::lock_guard lock(stop_mu_);
    stopping_ = false;
  }
  maintenance_ = std::thread([this] { Maintain(); });
  log::Info(
      "poolscaler serving",
      {{"grpc", fmt::format("{}", p.grpc.port())},
       {"http", fmt::format("{}", p.http.port())},
       {"external_metrics",
        p.external_metrics ? fmt::format("{}", p.external_metrics->port()) : "off"},
       {"grpc_tls", !options_.grpc_tls.enabled()               ? "off (plaintext)"
                    : options_.grpc_tls.client_ca_file.empty() ? "tls"
                                                               : "mutual tls"},

       {"config", options_.config_path.empty() ? "(none: raw mode only)" : options_.config_path},
       {"sources", fmt::format("{}", cfg->sources.size())},
       {"pools", fmt::format("{}", cfg->pools.size())}});
  return absl::OkStatus();
}

void Runtime::RelistScaledObjects() {
  std::lock_guard lock(reload_mu_);
  if (!base_config_ || !base_config_->workloads_from_scaled_objects ||
      SteadyClock::now() < next_scaled_object_list_) {
    return;
  }
  next_scaled_object_list_ = SteadyClock::now() + ScaledObjectRelist(*base_config_);
  const std::string before = scaled_object_fingerprint_;
  auto attached = WithScaledObjectTargets(base_config_, /*log_changes=*/false);
  if (scaled_object_fingerprint_ == before) return;
  if (absl::Status st = Apply(attached); !st.ok()) {
    log::Error("pools' workloads from ScaledObjects not applied",
               {{"error", std::string(st.message())}});
  }
}

absl::Status Runtime::Reload() {
  if (options_.config_path.empty() || !parts_) return absl::OkStatus();
  std::lock_guard lock(reload_mu_);
  absl::StatusOr<std::string> text = ReadFile(options_.config_path);
  absl::Status result;
  std::vector<std::string> errors;
  if (!text.ok()) {
    result = text.status();
    errors.push_back(std::string(text.status().message()));
  } else {
    absl::StatusOr<config::Config> parsed = config::ParseConfig(*text, &errors);
    if (!parsed.ok()) {
      result = parsed.status();
    } else {
      auto base = std::make_shared<const config::Config>(std::move(*parsed));
      result = Apply(WithScaledObjectTargets(base, /*log_changes=*/true));
      if (result.ok()) {
        base_config_ = base;
      } else {
        errors.push_back(std::string(result.message()));
      }
    }
    config_fingerprint_ = *text;  // do not retry the same broken content every poll
  }
  parts_->metrics.RecordReload(result.ok(), UnixNow());
  if (result.ok()) {
    log::Info("config reloaded", {{"config", options_.config_path}});
  } else {
    for (const std::string& e : errors) {
      log::Error("config reload failed; keeping the last good config",
                 {{"config", options_.config_path}, {"error", e}});
    }
  }
  return result;
}

void Runtime::Maintain() {
  TimePoint next_sweep = SteadyClock::now() + options_.maintenance_interval;
  bool poll_config = !options_.config_path.empty() && options_.config_poll > Duration::zero();
  Duration wake_every = poll_config ? std::min(options_.config_poll, options_.maintenance_interval)
                                    : options_.maintenance_interval;
  std::unique_lock lock(stop_mu_);
  while (!stopping_) {
    stop_cv_.wait_for(lock, wake_every, [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    if (poll_config) {
      absl::StatusOr<std::string> text = ReadFile(options_.config_path);
      bool changed;
      {
        std::lock_guard reload_lock(reload_mu_);
        changed = !text.ok() || *text != config_fingerprint_;
      }
      // An unreadable file (mid-update of a ConfigMap) is retried next poll, not reported.
      if (text.ok() && changed) (void)Reload();
    }
    RelistScaledObjects();
    if (SteadyClock::now() >= next_sweep) {
      next_sweep = SteadyClock::now() + options_.maintenance_interval;
      Duration idle = parts_->Config()->defaults.raw_source_idle;
      TimePoint now = parts_->clock.Now();
      for (const std::string& name : parts_->table.RetireIdleRaw(now, idle)) {
        log::Info("raw trigger retired: no request for the idle period", {{"pool", name}});
      }
      for (const std::string& key : parts_->table.RawSourceKeys()) parts_->registry.Touch(key, now);
      parts_->registry.RetireIdle(now, idle);
      common::ReleaseFreeMemory();  // e.g. what closed streams and retired sources left
    }
    lock.lock();
  }
}

void Runtime::Stop() {
  {
    std::lock_guard lock(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (maintenance_.joinable()) maintenance_.join();
  if (!parts_) return;
  // Not serving, open streams end now with UNAVAILABLE (KEDA reconnects to another replica),
  // and unary calls in flight get up to shutdown_grace.
  parts_->grpc.SetServing(false);
  parts_->table.CloseWatchers(absl::UnavailableError("poolscaler is shutting down"));
  parts_->grpc.Shutdown(options_.shutdown_grace);
  parts_->http.Stop();
  if (parts_->external_metrics) parts_->external_metrics->Stop();
  parts_->evaluator.Stop();
  parts_->sampler.Stop();
  parts_.reset();
}

int Runtime::grpc_port() const { return parts_ ? parts_->grpc.port() : 0; }
int Runtime::http_port() const { return parts_ ? parts_->http.port() : 0; }
int Runtime::external_metrics_port() const {
  return parts_ && parts_->external_metrics ? parts_->external_metrics->port() : 0;
}

absl::Status Runtime::Ready() const {
  if (!parts_) return absl::UnavailableError("not started");
  if (!parts_->store.AllAttempted()) {
    return absl::UnavailableError("waiting for the first sample of every source");
  }
  if (!parts_->table.Warm()) {
    return absl::UnavailableError(
        "waiting for every pool's first evaluation with its workload's "
        "replica count");
  }
  return absl::OkStatus();
}

}  // namespace poolscaler::runtime
