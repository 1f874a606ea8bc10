#pragma once
// `poolscaler simulate`: replays a trace against the config's pools with the server's policy
// code and the chosen baselines, writing decisions.csv, summary.csv and plot.svg.
#include <string>

namespace poolscaler::cli {

struct SimulateOptions {
  std::string config_path;
  std::string trace_path;
  std::string out_dir;
  std::string baseline = "all";  // none | keda-default | kpa | all
};

// Returns the process exit code (0 ok, 1 bad input or unwritable output); errors on stderr.
int Simulate(const SimulateOptions& options);

}  // namespace poolscaler::cli
