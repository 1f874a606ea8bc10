#pragma once
// The live view of `poolscaler local`: a full-screen frame redrawn in a terminal, or status
// lines for logs (--plain). Pure text rendering: the driver owns the state and the terminal.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "poolscaler/common/time.h"

namespace poolscaler::local {

struct PoolView {
  std::string name;                 // the ScaledObject
  std::optional<double> lag;        // what poolscaler sees (GET /pools); unknown without it
  int64_t desired = 0;              // KEDA + HPA target: the Deployment's replicas
  int64_t running = 0;              // worker processes alive and not stopping
  int64_t terminating = 0;          // asked to stop, finishing their job
  int64_t max_replicas = 0;         // maxReplicaCount
  bool active = false;              // the last IsActive / StreamIsActive answer
  std::string limits;               // limits that applied, comma-separated ("" for none)
  std::string error;                // the last poll's error ("" for none)
  std::vector<double> lag_history;  // one value per view tick, oldest first
  double lag_peak = 0;              // the largest lag seen: the sparkline's scale
};

struct ViewState {
  Duration elapsed{};
  Duration total{};   // the run's length (progress)
  std::string phase;  // the load phase now ("" when unknown)
  Duration phase_left{};
  double jobs_per_second = 0;  // the phase's rate, per broker
  std::vector<PoolView> pools;
  std::vector<std::string> recent_events;  // newest last
};

// "mm:ss".
std::string Clock(Duration d);
// The last `width` values as block characters ▁▂▃▄▅▆▇█, scaled to `max` (when > 0) or else to
// the largest of them; 0 (and a series of zeros) is a space. Always `width` characters wide,
// padded on the left.
std::string Sparkline(const std::vector<double>& values, size_t width, double max = 0);
// "████░░░░" with `fraction` (clamped to [0, 1]) of `width` filled.
std::string ProgressBar(double fraction, size_t width);
// Pads `text` with spaces to `columns` terminal columns (UTF-8 aware; longer text is kept).
std::string PadColumns(const std::string& text, size_t columns);

// The full-screen frame, lines separated by '\n' (no escape codes).
std::string RenderFrame(const ViewState& view);
// One header line and one line per pool, for --plain output.
std::string RenderPlain(const ViewState& view);

}  // namespace poolscaler::local
