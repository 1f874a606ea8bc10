// poolscaler command line: serve, check-config, probe, simulate, local, version. The only place
// exceptions are caught wholesale and turned into an exit code.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <malloc.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

#include "poolscaler/common/duration.h"
#include "poolscaler/common/log.h"
#include "poolscaler/config/config.h"
#include "poolscaler/config/scaled_object.h"
#include "poolscaler/runtime/runtime.h"
#include "local.h"
#include "probe.h"
#include "simulate.h"

#ifndef POOLSCALER_VERSION
#define POOLSCALER_VERSION "dev"
#endif

namespace {

using namespace poolscaler;

// Reads a whole file; nullopt (and a message on stderr) when it cannot.
std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "%s: cannot read: %s\n", path.c_str(), std::strerror(errno));
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Every ScaledObject in `files` checked against `cfg` (null: raw mode only). Returns the number
// of files with errors.
int CheckScaledObjectFiles(const std::vector<std::string>& files, const config::Config* cfg) {
  int failed = 0;
  for (const std::string& file : files) {
    std::optional<std::string> text = ReadFile(file);
    if (!text) {
      failed++;
      continue;
    }
    config::ScaledObjectReport report = config::CheckScaledObjects(*text, file, cfg);
    for (const config::ScaledObjectFinding& f : report.findings) {
      bool error = f.severity == config::ScaledObjectFinding::Severity::kError;
      std::fprintf(error ? stderr : stdout, "%s: %s: %s\n", f.where.c_str(),
                   error ? "error" : "warning", f.message.c_str());
    }
    for (const config::TimeToZero& t : report.time_to_zero) {
      std::printf("%s: note: pool %s reaches 0 replicas up to %lld s after its last work "
                  "(cooldownSeconds %lld + cooldownPeriod %lld + pollingInterval %lld)\n",
                  t.where.c_str(), t.pool.c_str(), static_cast<long long>(t.Total()),
                  static_cast<long long>(t.pool_cooldown_seconds),
                  static_cast<long long>(t.cooldown_period_seconds),
                  static_cast<long long>(t.polling_interval_seconds));
    }
    if (report.HasErrors()) {
      failed++;
    } else {
      std::string jobs = report.scaled_jobs == 0
                             ? ""
                             : fmt::format(", {} ScaledJob{}", report.scaled_jobs,
                                           report.scaled_jobs == 1 ? "" : "s");
      std::printf("%s: ok (%d ScaledObject%s%s, %d poolscaler trigger%s)\n", file.c_str(),
                  report.scaled_objects, report.scaled_objects == 1 ? "" : "s", jobs.c_str(),
                  report.poolscaler_triggers, report.poolscaler_triggers == 1 ? "" : "s");
    }
  }
  return failed;
}

int CheckConfig(const std::string& path, const std::vector<std::string>& scaled_objects,
                bool offline) {
  if (path.empty()) return CheckScaledObjectFiles(scaled_objects, nullptr) == 0 ? 0 : 1;
  std::vector<std::string> errors;
  config::ParseOptions options;
  options.resolve_secrets = !offline;
  absl::StatusOr<config::Config> cfg = config::LoadConfigFile(path, &errors, options);
  if (!cfg.ok()) {
    if (errors.empty()) errors.push_back(std::string(cfg.status().message()));
    std::fprintf(stderr, "%s: %zu error%s\n", path.c_str(), errors.size(),
                 errors.size() == 1 ? "" : "s");
    for (const std::string& e : errors) std::fprintf(stderr, "  %s\n", e.c_str());
    return 1;
  }
  std::printf("%s: ok (%zu source%s, %zu pool%s)\n", path.c_str(), cfg->sources.size(),
              cfg->sources.size() == 1 ? "" : "s", cfg->pools.size(),
              cfg->pools.size() == 1 ? "" : "s");
  for (const config::SourceSpec& s : cfg->sources) {
    std::printf("  source %s: %s\n", s.name.c_str(), s.Describe().c_str());
  }
  for (const config::PoolSpec& p : cfg->pools) {
    std::printf("  pool %s: %lld..%lld replicas, metric %s, %zu signal%s\n", p.name.c_str(),
                static_cast<long long>(p.params.min_replicas),
                static_cast<long long>(p.params.max_replicas), p.metric_name.c_str(),
                p.signals.size(), p.signals.size() == 1 ? "" : "s");
  }
  return CheckScaledObjectFiles(scaled_objects, &*cfg) == 0 ? 0 : 1;
}

int Serve(runtime::Options options) {
  // Signals are taken synchronously by this thread; every thread started later inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  // A broker that closes its socket must surface as an error on that call, not kill us.
  std::signal(SIGPIPE, SIG_IGN);

  runtime::Runtime rt(std::move(options));
  if (absl::Status st = rt.Start(); !st.ok()) {
    log::Error("cannot start", {{"error", std::string(st.message())}});
    return 1;
  }
  while (true) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig == SIGHUP) {
      log::Info("SIGHUP: reloading config");
      (void)rt.Reload();
      continue;
    }
    log::Info("shutting down", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
    break;
  }
  rt.Stop();
  log::Info("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // glibc gives each thread that allocates its own malloc arena; with gRPC's and the sampler's
  // threads that is RSS spent on fragmentation, not on work (scaler_bench memory: 44.5 MB →
  // 40 MB with 1000 pools and 1000 open streams). Two arenas keep contention low.
  mallopt(M_ARENA_MAX, 2);
  CLI::App app{"poolscaler: a KEDA external scaler for queue-fed worker pools"};
  app.require_subcommand(1);
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "debug | info | warn | error")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}));

  runtime::Options options;
  options.version = POOLSCALER_VERSION;
  auto* serve = app.add_subcommand("serve", "Run the gRPC scaler and the HTTP metrics endpoint");
  serve->add_option("--config", options.config_path,
                    "Pools config file (YAML); reloaded when it changes and on SIGHUP. "
                    "Without it only raw-mode triggers are served.")
      ->check(CLI::ExistingFile);
  serve->add_option("--grpc-listen", options.grpc_listen, "gRPC address (host:port)")
      ->capture_default_str();
  serve->add_option("--http-listen", options.http_listen,
                    "HTTP address for /metrics, /healthz, /readyz, /pools (host:port)")
      ->capture_default_str();
  bool grpc_plaintext = false;
  serve->add_flag("--grpc-plaintext", grpc_plaintext,
                  "Serve gRPC without TLS (must be asked for: give this, or the TLS files)");
  serve->add_option("--grpc-tls-cert", options.grpc_tls.cert_file,
                    "PEM certificate chain for gRPC TLS (re-read when it changes)")
      ->check(CLI::ExistingFile);
  serve->add_option("--grpc-tls-key", options.grpc_tls.key_file, "PEM private key for gRPC TLS")
      ->check(CLI::ExistingFile);
  serve->add_option("--grpc-tls-client-ca", options.grpc_tls.client_ca_file,
                    "PEM CA bundle: clients (KEDA) must present a certificate it signed (mTLS)")
      ->check(CLI::ExistingFile);
  std::string tls_refresh = "10s";
  serve->add_option("--grpc-tls-refresh", tls_refresh,
                    "How often the TLS files are checked for a renewed certificate")
      ->capture_default_str();
  adapter::Options& em = options.external_metrics;
  serve->add_option("--external-metrics-listen", em.listen,
                    "Serve the Kubernetes external metrics API (external.metrics.k8s.io, for an "
                    "APIService) over HTTPS on this address (host:port); off by default");
  serve->add_option("--external-metrics-tls-cert", em.tls.cert_file,
                    "PEM serving certificate chain of the external metrics API (re-read when it "
                    "changes)")
      ->check(CLI::ExistingFile);
  serve->add_option("--external-metrics-tls-key", em.tls.key_file,
                    "PEM private key of --external-metrics-tls-cert")
      ->check(CLI::ExistingFile);
  serve->add_option("--external-metrics-requestheader-client-ca", em.tls.client_ca_file,
                    "PEM CA bundle that signs the kube-apiserver's front-proxy client certificate "
                    "(its --requestheader-client-ca-file)")
      ->check(CLI::ExistingFile);
  serve->add_option("--external-metrics-requestheader-allowed-names", em.allowed_names,
                    "Comma-separated common names the front-proxy client certificate may have "
                    "(the kube-apiserver's --requestheader-allowed-names); empty: any")
      ->delimiter(',');
  std::string em_refresh = "10s";
  serve->add_option("--external-metrics-tls-refresh", em_refresh,
                    "How often the external metrics API's TLS files are checked for changes")
      ->capture_default_str();
  std::string config_check = "2s";
  serve->add_option("--config-check-interval", config_check,
                    "How often the config file is checked for changes (0 = only on SIGHUP)")
      ->capture_default_str();
  serve->add_option("--sampler-threads", options.sampler_threads,
                    "Threads that sample sources")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();

  std::string check_path;
  std::vector<std::string> check_scaled_objects;
  auto* check = app.add_subcommand(
      "check-config",
      "Validate a config file and print every error; with --scaled-objects, also check that "
      "every KEDA ScaledObject trigger pointing at poolscaler is accepted");
  check->add_option("file", check_path, "Config file (optional with --scaled-objects: raw mode)");
  check->add_option("--scaled-objects", check_scaled_objects,
                    "Kubernetes manifest files holding ScaledObjects");
  bool check_offline = false;
  check->add_flag("--offline", check_offline,
                  "Check that *Env/*File credential keys name a variable/path without reading "
                  "them (for CI, where the secrets do not exist)");

  cli::ProbeOptions probe_options;
  std::vector<std::string> probe_metadata;
  auto* probe = app.add_subcommand(
      "probe", "Ask a running poolscaler what KEDA would be told for a trigger's metadata");
  probe->add_option("--address", probe_options.address, "poolscaler gRPC address")
      ->capture_default_str();
  probe->add_option("metadata", probe_metadata, "Trigger metadata as key=value pairs")
      ->required();
  probe->add_option("--timeout-ms", probe_options.timeout_ms, "Deadline of each call")
      ->capture_default_str();
  probe->add_flag("--json", probe_options.json, "Print one JSON object");

  cli::SimulateOptions sim_options;
  auto* simulate = app.add_subcommand(
      "simulate", "Replay a workload trace with the pools' policy and baselines (no servers)");
  simulate->add_option("--config", sim_options.config_path, "Pools config file (YAML)")
      ->required()
      ->check(CLI::ExistingFile);
  simulate->add_option("--trace", sim_options.trace_path, "Trace CSV: t,pool,arrivals")
      ->required()
      ->check(CLI::ExistingFile);
  simulate->add_option("--out", sim_options.out_dir,
                       "Output directory for decisions.csv, summary.csv, plot.svg")
      ->required();
  simulate->add_option("--baseline", sim_options.baseline, "Baselines to run next to poolscaler")
      ->check(CLI::IsMember({"none", "keda-default", "kpa", "all"}))
      ->capture_default_str();

  cli::LocalOptions local_options;
  auto* local = cli::AddLocalCommand(app, local_options);

  app.add_subcommand("version", "Print the version");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  log::Level level = log::Level::kInfo;
  log::ParseLevel(log_level, &level);
  log::Init(level);
  if (*serve) {
    absl::StatusOr<Duration> every = ParseDuration("--config-check-interval", config_check);
    if (!every.ok()) {
      std::fprintf(stderr, "%s\n", std::string(every.status().message()).c_str());
      return 2;
    }
    options.config_poll = *every;
    absl::StatusOr<Duration> refresh = ParseDuration("--grpc-tls-refresh", tls_refresh);
    if (!refresh.ok()) {
      std::fprintf(stderr, "%s\n", std::string(refresh.status().message()).c_str());
      return 2;
    }
    options.grpc_tls.refresh = *refresh;
    absl::StatusOr<Duration> em_every = ParseDuration("--external-metrics-tls-refresh", em_refresh);
    if (!em_every.ok()) {
      std::fprintf(stderr, "%s\n", std::string(em_every.status().message()).c_str());
      return 2;
    }
    options.external_metrics.tls_refresh = *em_every;
    if (grpc_plaintext == options.grpc_tls.enabled()) {
      std::fprintf(stderr, "%s\n",
                   grpc_plaintext
                       ? "serve: --grpc-plaintext and --grpc-tls-cert exclude each other"
                       : "serve: gRPC needs TLS (--grpc-tls-cert and --grpc-tls-key, plus "
                         "--grpc-tls-client-ca for mutual TLS) or an explicit --grpc-plaintext");
      return 2;
    }
  }

  try {
    if (*serve) return Serve(std::move(options));
    if (*check) {
      if (check_path.empty() && check_scaled_objects.empty()) {
        std::fprintf(stderr, "check-config: give a config file, --scaled-objects, or both\n");
        return 2;
      }
      return CheckConfig(check_path, check_scaled_objects, check_offline);
    }
    if (*simulate) return cli::Simulate(sim_options);
    if (*local) return cli::Local(local_options);
    if (*probe) {
      for (const std::string& kv : probe_metadata) {
        size_t eq = kv.find('=');
        if (eq == std::string::npos || eq == 0) {
          std::fprintf(stderr, "probe: expected key=value, got \"%s\"\n", kv.c_str());
          return 2;
        }
        probe_options.metadata[kv.substr(0, eq)] = kv.substr(eq + 1);
      }
      return cli::Probe(probe_options);
    }
    std::printf("poolscaler %s\n", POOLSCALER_VERSION);
    return 0;
  } catch (const std::exception& e) {
    log::Error("fatal", {{"error", e.what()}});
    return 2;
  }
}
