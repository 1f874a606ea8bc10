#pragma once
// Runtime: builds and wires the whole server for `poolscaler serve` (and for end-to-end tests):
// config → SourceRegistry/Sampler → SampleStore → Evaluator/PoolTable → gRPC + HTTP. It owns
// every component and the maintenance thread that reloads the config file when it changes and
// retires idle raw-mode sources. Start/Stop/Reload are thread-safe with respect to each other.
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "poolscaler/adapter/options.h"
#include "poolscaler/common/time.h"
#include "poolscaler/config/config.h"
#include "poolscaler/sources/prometheus_history.h"
#include "poolscaler/sources/scaled_objects.h"
#include "poolscaler/server/tls.h"

namespace poolscaler::runtime {

struct Options {
  std::string config_path;  // "" = no config file: raw mode only
  std::string grpc_listen = "0.0.0.0:9090";
  server::TlsFiles grpc_tls;  // off: plaintext (the CLI asks for --grpc-plaintext explicitly)
  std::string http_listen = "0.0.0.0:9091";
  adapter::Options external_metrics;  // off unless its listen address is set
  int sampler_threads = 4;
  Duration config_poll = std::chrono::seconds(2);  // how often the file is checked; 0: never
  Duration evaluate_tick = std::chrono::milliseconds(250);
  Duration maintenance_interval = std::chrono::seconds(10);  // idle raw-source sweep
  Duration shutdown_grace = std::chrono::seconds(5);
  std::string version = "dev";
};

class Runtime {
 public:
  explicit Runtime(Options options);
  ~Runtime();  // Stop()
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // Loads the config (an invalid one fails start-up), starts sampling, evaluation and both
  // listeners. On error nothing keeps running.
  absl::Status Start();
  // Re-reads the config file. An invalid file keeps the running config; the result is logged
  // and counted in poolscaler_config_reloads_total. Returns what happened.
  absl::Status Reload();
  // Graceful stop: not ready, finish in-flight RPCs (up to shutdown_grace), end streams, stop
  // sampling.
  void Stop();

  int grpc_port() const;
  int http_port() const;
  int external_metrics_port() const;  // 0 when the external metrics API is off
  // OK once every source has sampled or reported its first error.
  absl::Status Ready() const;

 private:
  struct Parts;
  // `restore` (start-up only): targets read from `history:`, restored before the first
  // evaluation.
  absl::Status Apply(std::shared_ptr<const config::Config> cfg,
                     const sources::RecentTargets* restore = nullptr);
  void Maintain();
  // `kubernetes.workloadsFromScaledObjects`: `cfg` with the workloads of the ScaledObjects that
  // name its pools attached (config::AttachScaleTarget); `cfg` itself when off or nothing
  // needs one. Lists the ScaledObjects (blocking). Caller holds reload_mu_ (or is Start).
  std::shared_ptr<const config::Config> WithScaledObjectTargets(
      std::shared_ptr<const config::Config> cfg, bool log_changes);
  // Lists again when due and re-applies the config when what the ScaledObjects say changed.
  void RelistScaledObjects();

  Options options_;
  std::unique_ptr<Parts> parts_;
  std::mutex reload_mu_;  // serializes Apply
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;  // guarded by stop_mu_
  std::thread maintenance_;
  std::string config_fingerprint_;  // guarded by reload_mu_: content of the file last applied
  // Guarded by reload_mu_: the config as parsed (before workloads from ScaledObjects are
  // attached), what the last list said per pool, the last good list, and when to list again.
  std::shared_ptr<const config::Config> base_config_;
  std::string scaled_object_fingerprint_;
  std::vector<sources::ScaledObjectPool> scaled_object_pools_;  // the last good list
  TimePoint next_scaled_object_list_{};
};

}  // namespace poolscaler::runtime
