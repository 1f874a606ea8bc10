// poolscaler command line: serve, check-config, version. The only place exceptions are caught
// wholesale and turned into an exit code.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <csignal>
#include <cstdio>
#include <exception>
#include <iostream>

#include "poolscaler/common/duration.h"
#include "poolscaler/common/log.h"
#include "poolscaler/config/config.h"
#include "poolscaler/runtime/runtime.h"
#include "probe.h"

#ifndef POOLSCALER_VERSION
#define POOLSCALER_VERSION "dev"
#endif

namespace {

using namespace poolscaler;

int CheckConfig(const std::string& path) {
  std::vector<std::string> errors;
  absl::StatusOr<config::Config> cfg = config::LoadConfigFile(path, &errors);
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
  return 0;
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
  std::string config_check = "2s";
  serve->add_option("--config-check-interval", config_check,
                    "How often the config file is checked for changes (0 = only on SIGHUP)")
      ->capture_default_str();
  serve->add_option("--sampler-threads", options.sampler_threads,
                    "Threads that sample sources")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();

  std::string check_path;
  auto* check = app.add_subcommand("check-config", "Validate a config file and print every error");
  check->add_option("file", check_path, "Config file")->required();

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
  }

  try {
    if (*serve) return Serve(std::move(options));
    if (*check) return CheckConfig(check_path);
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
