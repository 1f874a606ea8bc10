#pragma once
// `poolscaler local`: plays KEDA, the HPA and the Deployments on one machine. For every
// ScaledObject of a LocalRun it polls poolscaler over gRPC as KEDA does (GetMetricSpec →
// GetMetrics → IsActive every pollingInterval; StreamIsActive held open for external-push
// triggers: an active push is acted on at once, an inactive one ignored, as KEDA does) and
// decides 0 ↔ 1 with KedaPoll and KedaPush; syncs each
// ScaledObject's HPA every hpa_sync_period with a fresh metric read (HpaSync, keda_hpa.h); and
// runs as many worker processes as the two set (ReplicaSet). Shows a live view and writes a report.
#include <atomic>
#include <cstdio>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "poolscaler/common/time.h"
#include "poolscaler/config/local_run.h"
#include "poolscaler/jobs/load_shape.h"

namespace poolscaler::local {

struct DriverOptions {
  config::LocalRun run;
  Duration duration = std::chrono::minutes(3);  // the run stops after this long
  // The load being published (poolscaler-load --shape), for the view's phase and for
  // stop_when_idle; optional.
  std::optional<jobs::LoadShape> shape;
  // Stop early once the shape has published its last job and every ScaledObject is inactive at
  // 0 replicas with no worker left.
  bool stop_when_idle = false;
  std::string pools_url;   // poolscaler's GET /pools, for lag and limits ("" = not shown)
  std::string report_dir;  // decisions.csv, plot.svg, summary.txt ("" = none); must exist
  std::string log_dir;     // one log file per worker process; must exist
  bool plain = false;      // status lines instead of a redrawn terminal frame
  Duration view_interval = std::chrono::seconds(1);   // view refresh and lag sampling
  Duration plain_interval = std::chrono::seconds(5);  // --plain: a status block this often
  Duration rpc_timeout = std::chrono::seconds(2);
  // How often the emulated HPA syncs each ScaledObject's HPA (kube-controller-manager's
  // --horizontal-pod-autoscaler-sync-period), reading the metric anew each time.
  Duration hpa_sync_period = std::chrono::seconds(15);
};

// Runs until `duration`, `stop` becomes true (a signal), or the idle condition; then stops every
// worker (SIGTERM, grace period, SIGKILL), writes the report and prints the summary to `out`.
// Errors: a command that cannot be found, a bad --pools-url, a report that cannot be written.
absl::Status RunLocal(const DriverOptions& options, const std::atomic<bool>& stop, std::FILE* out);

}  // namespace poolscaler::local
