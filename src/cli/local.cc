#include "local.h"

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "poolscaler/common/duration.h"
#include "poolscaler/config/local_run.h"
#include "poolscaler/local/driver.h"

namespace poolscaler::cli {
namespace {

std::atomic<bool> g_stop{false};
static_assert(std::atomic<bool>::is_always_lock_free);

void OnSignal(int) { g_stop.store(true); }

void PrintPlan(const config::LocalRun& run) {
  for (const config::LocalScaledObject& so : run.scaled_objects) {
    std::string command;
    for (const std::string& a : so.workload.argv) command += (command.empty() ? "" : " ") + a;
    std::printf(
        "ScaledObject %s/%s: %s trigger to %s, every %gs, %lld..%lld replicas, cooldownPeriod %gs\n"
        "  Deployment %s: %s (grace %gs)\n",
        so.ns.c_str(), so.name.c_str(), so.push ? "external-push" : "external",
        so.scaler_address.c_str(), ToSeconds(so.polling_interval),
        static_cast<long long>(so.min_replicas), static_cast<long long>(so.max_replicas),
        ToSeconds(so.cooldown_period), so.workload.deployment.c_str(), command.c_str(),
        ToSeconds(so.workload.termination_grace));
  }
}

}  // namespace

CLI::App* AddLocalCommand(CLI::App& app, LocalOptions& o) {
  CLI::App* local = app.add_subcommand(
      "local",
      "Play KEDA, the HPA and the Deployments on this machine: poll a running poolscaler as "
      "KEDA does and run the decided number of worker processes");
  local
      ->add_option("--config", o.config_path,
                   "Kubernetes manifests: KEDA ScaledObjects and the Deployments they scale "
                   "(each container's command + args is run locally)")
      ->required()
      ->check(CLI::ExistingFile);
  local->add_option("--duration", o.duration, "Stop after this long")->capture_default_str();
  local
      ->add_option("--hpa-sync-period", o.hpa_sync_period,
                   "How often the HPA syncs (kube-controller-manager's "
                   "--horizontal-pod-autoscaler-sync-period); KEDA polls on each "
                   "ScaledObject's pollingInterval")
      ->capture_default_str();
  local->add_option("--shape", o.shape,
                    "The load being published (poolscaler-load --shape), for the view's phase "
                    "and --stop-when-idle");
  local->add_flag("--stop-when-idle", o.stop_when_idle,
                  "Stop once the --shape has published its last job and every pool is inactive "
                  "at zero with no worker left");
  local->add_option("--pools-url", o.pools_url,
                    "poolscaler's /pools (http://HOST:PORT/pools), to show lag and limits");
  local->add_option("--report", o.report_dir, "Write decisions.csv, plot.svg and summary.txt here");
  local->add_option("--worker-logs", o.log_dir,
                    "Directory for one log file per worker (default REPORT/workers, or a "
                    "temporary directory)");
  local->add_flag("--plain", o.plain,
                  "Status lines instead of a live terminal view (the default when stdout is "
                  "not a terminal)");
  local->add_flag("--check", o.check, "Parse the file, print what would run, and exit");
  return local;
}

int Local(const LocalOptions& o) {
  std::ifstream in(o.config_path);
  std::stringstream text;
  text << in.rdbuf();
  absl::StatusOr<config::LocalRun> run = config::ParseLocalRun(text.str(), o.config_path);
  if (!run.ok()) {
    std::fprintf(stderr, "%s\n", std::string(run.status().message()).c_str());
    return 2;
  }
  if (o.check) {
    PrintPlan(*run);
    return 0;
  }
  local::DriverOptions d;
  d.run = std::move(*run);
  absl::StatusOr<Duration> duration = ParseDuration("--duration", o.duration);
  if (!duration.ok() || *duration <= Duration::zero()) {
    std::fprintf(stderr, "%s\n",
                 duration.ok() ? "--duration: must be above 0"
                               : std::string(duration.status().message()).c_str());
    return 2;
  }
  d.duration = *duration;
  absl::StatusOr<Duration> sync = ParseDuration("--hpa-sync-period", o.hpa_sync_period);
  if (!sync.ok() || *sync <= Duration::zero()) {
    std::fprintf(stderr, "%s\n",
                 sync.ok() ? fmt::format("--hpa-sync-period: must be above 0 (got \"{}\")",
                                         o.hpa_sync_period)
                                 .c_str()
                           : std::string(sync.status().message()).c_str());
    return 2;
  }
  d.hpa_sync_period = *sync;
  if (!o.shape.empty()) {
    absl::StatusOr<jobs::LoadShape> shape = jobs::ParseLoadShape("--shape", o.shape);
    if (!shape.ok()) {
      std::fprintf(stderr, "%s\n", std::string(shape.status().message()).c_str());
      return 2;
    }
    d.shape = std::move(*shape);
  } else if (o.stop_when_idle) {
    std::fprintf(stderr, "--stop-when-idle needs --shape (when the load is over)\n");
    return 2;
  }
  d.stop_when_idle = o.stop_when_idle;
  d.pools_url = o.pools_url;
  d.report_dir = o.report_dir;
  d.log_dir = o.log_dir;
  std::error_code ec;
  if (d.log_dir.empty() && !d.report_dir.empty()) d.log_dir = d.report_dir + "/workers";
  if (d.log_dir.empty()) {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "poolscaler-local-XXXXXX").string();
    if (mkdtemp(tmpl.data()) != nullptr) d.log_dir = tmpl;
  }
  for (const std::string& dir : {d.report_dir, d.log_dir}) {
    if (!dir.empty() && !std::filesystem::create_directories(dir, ec) && ec) {
      std::fprintf(stderr, "cannot create %s: %s\n", dir.c_str(), ec.message().c_str());
      return 2;
    }
  }
  d.plain = o.plain || isatty(STDOUT_FILENO) == 0;
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGPIPE, SIG_IGN);
  std::fprintf(stdout, "poolscaler local: %zu ScaledObjects, worker logs in %s\n",
               d.run.scaled_objects.size(), d.log_dir.c_str());
  absl::Status st = local::RunLocal(d, g_stop, stdout);
  if (!st.ok()) {
    std::fprintf(stderr, "poolscaler local: %s\n", std::string(st.message()).c_str());
    return 1;
  }
  return 0;
}

}  // namespace poolscaler::cli
