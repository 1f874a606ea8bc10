#pragma once
// `poolscaler local`: KEDA, the HPA and the Deployments on one machine (src/local/driver.h).
#include <string>

namespace CLI {
class App;
}

namespace poolscaler::cli {

struct LocalOptions {
  std::string config_path;  // the ScaledObjects + Deployments file
  std::string duration = "3m";
  std::string hpa_sync_period = "15s";  // kube-controller-manager's default
  std::string shape;                    // the load's phases (poolscaler-load --shape), optional
  bool stop_when_idle = false;
  std::string pools_url;
  std::string report_dir;
  std::string log_dir;  // default REPORT_DIR/workers, or a temporary directory
  bool plain = false;   // also when stdout is not a terminal
  bool check = false;   // parse, print the plan, exit
};

// Declares the subcommand and its flags on `app`, writing into `options`.
CLI::App* AddLocalCommand(CLI::App& app, LocalOptions& options);
// Runs it; returns the process exit code (0 ok, 1 run failed, 2 bad input).
int Local(const LocalOptions& options);

}  // namespace poolscaler::cli
