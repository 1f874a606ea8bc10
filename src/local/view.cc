#include "poolscaler/local/view.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace poolscaler::local {
namespace {

constexpr size_t kSparkWidth = 40;
constexpr const char* kBlocks[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};

size_t Columns(const std::string& text) {
  // UTF-8: count every byte that does not continue a sequence.
  return std::count_if(text.begin(), text.end(),
                       [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
}

std::string Lag(const PoolView& p) {
  if (!p.error.empty()) return "error";
  return p.lag ? fmt::format("{:.0f}", *p.lag) : "-";
}

std::string Running(const PoolView& p) {
  return p.terminating > 0 ? fmt::format("{} (+{} stopping)", p.running, p.terminating)
                           : std::to_string(p.running);
}

// Running workers as filled blocks, up to maxReplicaCount as light ones (at most 20 wide).
std::string WorkersBar(const PoolView& p) {
  int64_t width = std::min<int64_t>(p.max_replicas, 20);
  int64_t filled = std::min(p.running, width);
  std::string out;
  for (int64_t i = 0; i < width; ++i) out += i < filled ? "█" : "░";
  return out;
}

std::string Header(const ViewState& v) {
  double fraction = v.total > Duration::zero() ? ToSeconds(v.elapsed) / ToSeconds(v.total) : 0;
  std::string load = v.phase.empty()
                         ? std::string()
                         : fmt::format("  load: {} ({:g} jobs/s per broker, {:.0f} s left)",
                                       v.phase, v.jobs_per_second, ToSeconds(v.phase_left));
  return fmt::format("{} / {}  {} {:3.0f} %{}", Clock(v.elapsed), Clock(v.total),
                     ProgressBar(fraction, 20), 100 * std::clamp(fraction, 0.0, 1.0), load);
}

}  // namespace

std::string Clock(Duration d) {
  auto s = static_cast<int64_t>(std::max(0.0, std::floor(ToSeconds(d))));
  return fmt::format("{:02d}:{:02d}", s / 60, s % 60);
}

std::string Sparkline(const std::vector<double>& values, size_t width, double max) {
  size_t first = values.size() > width ? values.size() - width : 0;
  if (!(max > 0)) {
    max = 0;
    for (size_t i = first; i < values.size(); ++i) max = std::max(max, values[i]);
  }
  std::string out(width - (values.size() - first), ' ');
  for (size_t i = first; i < values.size(); ++i) {
    double v = values[i];
    if (!(v > 0) || max <= 0) {
      out += ' ';
      continue;
    }
    auto level = static_cast<size_t>(std::ceil(v / max * 8)) - 1;
    out += kBlocks[std::min<size_t>(level, 7)];
  }
  return out;
}

std::string ProgressBar(double fraction, size_t width) {
  auto filled =
      static_cast<size_t>(std::round(std::clamp(fraction, 0.0, 1.0) * static_cast<double>(width)));
  std::string out;
  for (size_t i = 0; i < width; ++i) out += i < filled ? "█" : "░";
  return out;
}

std::string PadColumns(const std::string& text, size_t columns) {
  size_t n = Columns(text);
  return n >= columns ? text : text + std::string(columns - n, ' ');
}

std::string RenderFrame(const ViewState& v) {
  std::string out = "poolscaler local  " + Header(v) + "\n\n";
  out += fmt::format("{:<14} {:>6} {:>8}  {:<17} {:<7} {:<26} {:<20}  {}\n", "pool", "lag",
                     "desired", "running", "active", "limits", "workers",
                     fmt::format("lag, last {} s", kSparkWidth));
  for (const PoolView& p : v.pools) {
    std::string limits = p.error.empty() ? (p.limits.empty() ? "-" : p.limits) : p.error;
    if (limits.size() > 26) limits = limits.substr(0, 25) + "…";
    out += fmt::format("{:<14} {:>6} {:>8}  {:<17} {:<7} {} {}  {}\n", p.name, Lag(p), p.desired,
                       Running(p), p.active ? "yes" : "no", PadColumns(limits, 26),
                       PadColumns(WorkersBar(p), 20),
                       Sparkline(p.lag_history, kSparkWidth, p.lag_peak));
  }
  out += "\nrecent:\n";
  for (const std::string& e : v.recent_events) out += "  " + e + "\n";
  return out;
}

std::string RenderPlain(const ViewState& v) {
  std::string out = "[" + Header(v) + "]\n";
  for (const PoolView& p : v.pools) {
    std::string limits =
        p.error.empty() ? (p.limits.empty() ? "-" : p.limits) : "error: " + p.error;
    if (limits.size() > 40) limits = limits.substr(0, 39) + "…";
    out += fmt::format(
        "  {:<14} lag {:>5}  desired {:>2}  running {:<16} active {:<3}  limits {} |{}|\n", p.name,
        Lag(p), p.desired, Running(p), p.active ? "yes" : "no", PadColumns(limits, 40),
        Sparkline(p.lag_history, 30, p.lag_peak));
  }
  return out;
}

}  // namespace poolscaler::local
