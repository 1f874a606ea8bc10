#include "poolscaler/local/driver.h"

#include <fmt/format.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "poolscaler/local/keda_hpa.h"
#include "poolscaler/local/pools_status.h"
#include "poolscaler/local/replica_set.h"
#include "poolscaler/local/report.h"
#include "poolscaler/local/scaler_client.h"
#include "poolscaler/local/view.h"

namespace poolscaler::local {
namespace {

constexpr size_t kRecentEvents = 8;
constexpr size_t kHistory = 600;  // view ticks of lag kept per pool

// Everything the driver keeps about one ScaledObject. Owned by the main thread.
struct PoolRun {
  const config::LocalScaledObject* so = nullptr;
  ScaledObjectKey key;
  const ScalerClient* client = nullptr;
  std::unique_ptr<ReplicaSet> workers;
  std::unique_ptr<ActiveWatch> watch;
  ScaleState state;
  TimePoint next_poll{};
  TimePoint next_sync{};  // the HPA's
  PollResult last_poll;
  bool pushed_active = false;           // the last StreamIsActive message
  std::vector<std::string> hpa_limits;  // of the last decision: "hpa:max", ...
  std::optional<PoolStatus> status;     // poolscaler's, from the last GET /pools
  std::vector<double> lag_history;
  double lag_peak = 0;
};

// StreamIsActive messages, from the watch threads to the main loop.
class Pushes {
 public:
  void Add(size_t pool, bool active) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      pending_.emplace_back(pool, active);
    }
    cv_.notify_all();
  }
  std::vector<std::pair<size_t, bool>> WaitUntil(TimePoint until) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_until(lock, until, [this] { return !pending_.empty(); });
    std::vector<std::pair<size_t, bool>> out;
    out.swap(pending_);
    return out;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::pair<size_t, bool>> pending_;  // guarded by mu_
};

std::string Join(const std::vector<std::string>& parts, const char* sep) {
  return fmt::format("{}", fmt::join(parts, sep));
}

// One run of poolscaler local. Everything but the watch threads' hand-off (Pushes) belongs to
// the thread that calls Run, which must be the process's main thread (see ReplicaSet).
class Driver {
 public:
  Driver(const DriverOptions& o, const std::atomic<bool>& stop, std::FILE* out)
      : o_(o), stop_(stop), out_(out) {}

  absl::Status Run() {
    if (absl::Status st = Prepare(); !st.ok()) return st;
    start_ = SteadyClock::now();
    if (!o_.plain) std::fputs("\x1b[?25l\x1b[2J", out_);
    std::string why = Loop();
    Event(SteadyClock::now(), fmt::format("stopping ({}): SIGTERM to every worker", why));
    Drain();
    for (PoolRun& p : pools_) p.watch.reset();
    if (!o_.plain) std::fputs("\x1b[?25h", out_);
    Show(SteadyClock::now(), /*force_plain=*/!o_.plain);
    return Finish(why);
  }

 private:
  absl::Status Prepare() {
    if (!o_.pools_url.empty()) {
      absl::StatusOr<std::unique_ptr<PoolsFetcher>> f = PoolsFetcher::Create(o_.pools_url);
      if (!f.ok()) return f.status();
      fetcher_ = std::move(*f);
    }
    pools_.resize(o_.run.scaled_objects.size());
    for (size_t i = 0; i < pools_.size(); ++i) {
      PoolRun& p = pools_[i];
      p.so = &o_.run.scaled_objects[i];
      p.key = {p.so->name, p.so->ns, p.so->metadata};
      auto& client = clients_[p.so->scaler_address];
      if (!client) client = std::make_unique<ScalerClient>(p.so->scaler_address);
      p.client = client.get();
      absl::StatusOr<std::unique_ptr<ReplicaSet>> rs =
          ReplicaSet::Create(p.so->workload, o_.log_dir);
      if (!rs.ok()) return rs.status();
      p.workers = std::move(*rs);
    }
    for (size_t i = 0; i < pools_.size(); ++i) {
      if (pools_[i].so->push) {
        pools_[i].watch = pools_[i].client->WatchActive(
            pools_[i].key, [this, i](bool active) { pushes_.Add(i, active); });
      }
    }
    return absl::OkStatus();
  }

  // The main loop; returns why it ended.
  std::string Loop() {
    TimePoint next_view = start_;
    for (PoolRun& p : pools_) p.next_poll = p.next_sync = start_;
    while (true) {
      TimePoint now = SteadyClock::now();
      if (stop_.load()) return "interrupted";
      if (now - start_ >= o_.duration) return "time is up";
      for (PoolRun& p : pools_) {
        if (now >= p.next_poll) {
          PollAndScale(p, now);
          while (p.next_poll <= now) p.next_poll += p.so->polling_interval;
        }
        if (now >= p.next_sync) {
          SyncHpa(p, now);
          while (p.next_sync <= now) p.next_sync += o_.hpa_sync_period;
        }
        p.workers->Tick(now);
        for (std::string& e : p.workers->TakeEvents()) Event(now, e);
      }
      if (now >= next_view) {
        Refresh();
        Show(now, false);
        while (next_view <= now) next_view += o_.view_interval;
      }
      if (Idle(now)) return "the load is over and every pool is at zero";
      TimePoint wake = std::min(next_view, now + std::chrono::milliseconds(100));
      for (const PoolRun& p : pools_) wake = std::min({wake, p.next_poll, p.next_sync});
      for (auto [i, active] : pushes_.WaitUntil(wake)) Pushed(pools_[i], active);
    }
  }

  // KEDA's operator: 0 ↔ 1 (and min), from its own poll.
  void PollAndScale(PoolRun& p, TimePoint now) {
    p.last_poll = p.client->Poll(p.key, o_.rpc_timeout);
    const int64_t current = p.workers->target();
    ScaleDecision d = KedaPoll(*p.so, p.last_poll, current, now, p.state);
    if (d.replicas != current) {
      p.hpa_limits.clear();
      p.workers->ScaleTo(d.replicas, now);
      std::string why = ScaleReasonName(d.reason);
      if (d.reason == ScaleReason::kDeactivate) {
        why = fmt::format("KEDA: inactive for cooldownPeriod {:g} s",
                          ToSeconds(p.so->cooldown_period));
      } else if (d.reason == ScaleReason::kActivate && !p.last_poll.status.ok()) {
        why = fmt::format("KEDA: fallback, failure {} > failureThreshold {}", p.state.failures,
                          p.so->fallback ? p.so->fallback->failure_threshold : 0);
      } else if (d.reason == ScaleReason::kActivate) {
        why = "KEDA: IsActive true";
      }
      Event(now, fmt::format("{}: {} → {} ({})", p.so->name, current, d.replicas, why));
    }
    Record(p, p.last_poll, d, now, "keda");
  }

  // A StreamIsActive message: KEDA acts on `true` at once, without a poll, and ignores `false`.
  void Pushed(PoolRun& p, bool active) {
    const TimePoint now = SteadyClock::now();
    const bool changed = active != p.pushed_active;
    p.pushed_active = active;
    const int64_t current = p.workers->target();
    ScaleDecision d = KedaPush(*p.so, active, current, now, p.state);
    if (d.replicas != current) {
      p.hpa_limits.clear();
      p.workers->ScaleTo(d.replicas, now);
      Event(now, fmt::format("{}: {} → {} (KEDA: StreamIsActive pushed active)", p.so->name,
                             current, d.replicas));
    } else if (changed && !active) {
      Event(now, fmt::format("{}: StreamIsActive pushed inactive: KEDA ignores it, its next "
                             "poll decides",
                             p.so->name));
    }
    if (!changed && d.replicas == current) return;
    PollResult pushed = p.last_poll;  // a push carries no metric: the row repeats the last poll's
    pushed.status = absl::OkStatus();
    pushed.active = active;
    Record(p, pushed, d, now, "push");
  }

  // The HPA's sync: the metric read anew (KEDA's metrics server asks poolscaler at that moment).
  void SyncHpa(PoolRun& p, TimePoint now) {
    const int64_t current = p.workers->target();
    if (current == 0) return;  // the HPA does nothing at 0; KEDA's poll wakes the workload
    PollResult metric = p.client->Poll(p.key, o_.rpc_timeout);
    ScaleDecision d = HpaSync(*p.so, metric, current, now, p.state);
    std::vector<std::string> hpa;
    for (policy::Limit l : d.hpa_limits) hpa.push_back(fmt::format("hpa:{}", policy::LimitName(l)));
    if (d.reason == ScaleReason::kHpa || d.reason == ScaleReason::kFallback) p.hpa_limits = hpa;
    if (d.replicas != current) {
      p.workers->ScaleTo(d.replicas, now);
      const std::string from = d.reason == ScaleReason::kFallback
                                   ? fmt::format("KEDA's fallback, {} failed {} times",
                                                 metric.failed_rpc, p.state.failures)
                                   : fmt::format("{} {:g} / target {:g}", metric.metric_name,
                                                 metric.value, metric.target);
      Event(now, fmt::format("{}: {} → {} (HPA: {}{})", p.so->name, current, d.replicas, from,
                             hpa.empty() ? "" : ", " + Join(hpa, ", ")));
    }
    Record(p, metric, d, now, "hpa");
  }

  void Record(PoolRun& p, const PollResult& poll, const ScaleDecision& d, TimePoint now,
              const char* by) {
    DecisionRow row;
    row.t = ToSeconds(now - start_);
    row.by = by;
    row.pool = p.so->name;
    row.phase = PhaseName(now);
    if (p.status) {
      row.lag = p.status->lag;
      row.demand = p.status->raw_desired;
    }
    row.metric = poll.metric_name;
    row.metric_value = poll.value;
    row.target = poll.target;
    row.active = poll.active;
    row.reason = ScaleReasonName(d.reason);
    row.hpa_raw = d.hpa_raw;
    row.desired = d.replicas;
    row.running = p.workers->running();
    row.terminating = p.workers->terminating();
    row.limits = Limits(p, "|");
    // A failing call is an event when it starts failing, or fails differently (call, code).
    std::string failure;
    if (!poll.status.ok()) {
      row.error = fmt::format("{}: {}", poll.failed_rpc, std::string(poll.status.message()));
      failure = fmt::format("{} {}", poll.failed_rpc, static_cast<int>(poll.status.code()));
      if (last_error_[p.so->name] != failure)
        Event(now, fmt::format("{}: {}", p.so->name, row.error));
    } else if (!last_error_[p.so->name].empty()) {
      Event(now, fmt::format("{}: polls succeed again", p.so->name));
    }
    last_error_[p.so->name] = failure;
    rows_.push_back(std::move(row));
  }

  // poolscaler's limits (without "inactive", which the active column shows), then the HPA's.
  std::string Limits(const PoolRun& p, const char* sep) const {
    std::vector<std::string> all;
    if (p.status) {
      for (const std::string& l : p.status->limited_by) {
        if (l != "inactive") all.push_back(l);
      }
    }
    all.insert(all.end(), p.hpa_limits.begin(), p.hpa_limits.end());
    return Join(all, sep);
  }

  void Refresh() {
    if (fetcher_ != nullptr) {
      absl::StatusOr<std::map<std::string, PoolStatus>> pools =
          fetcher_->Fetch(std::chrono::milliseconds(500));
      for (PoolRun& p : pools_) {
        auto pool = p.so->metadata.find("pool");
        if (!pools.ok() || pool == p.so->metadata.end() || !pools->contains(pool->second)) {
          p.status.reset();
        } else {
          p.status = pools->at(pool->second);
        }
      }
    }
    for (PoolRun& p : pools_) {
      p.lag_history.push_back(p.status && p.status->lag ? *p.status->lag : 0);
      p.lag_peak = std::max(p.lag_peak, p.lag_history.back());
      if (p.lag_history.size() > kHistory) p.lag_history.erase(p.lag_history.begin());
    }
  }

  std::string PhaseName(TimePoint now) const {
    if (!o_.shape) return "";
    size_t i = o_.shape->PhaseIndexAt(now - start_);
    return i < o_.shape->phases.size() ? o_.shape->phases[i].name : "done";
  }

  bool Idle(TimePoint now) const {
    if (!o_.stop_when_idle || !o_.shape || now - start_ < o_.shape->LastJobAt()) return false;
    return std::all_of(pools_.begin(), pools_.end(), [](const PoolRun& p) {
      return p.last_poll.status.ok() && !p.last_poll.active && p.workers->target() == 0 &&
             p.workers->running() == 0 && p.workers->terminating() == 0;
    });
  }

  void Event(TimePoint now, const std::string& text) {
    std::string line = fmt::format("{}  {}", Clock(now - start_), text);
    if (o_.plain) {
      std::fprintf(out_, "%s\n", line.c_str());
      std::fflush(out_);
    }
    events_.push_back(std::move(line));
    if (events_.size() > kRecentEvents) events_.pop_front();
  }

  void Show(TimePoint now, bool force_plain) {
    ViewState v;
    v.elapsed = now - start_;
    v.total = o_.duration;
    if (o_.shape) {
      size_t i = o_.shape->PhaseIndexAt(v.elapsed);
      v.phase = PhaseName(now);
      v.phase_left = o_.shape->PhaseLeftAt(v.elapsed);
      v.jobs_per_second = i < o_.shape->phases.size() ? o_.shape->phases[i].jobs_per_second : 0;
    }
    for (const PoolRun& p : pools_) {
      PoolView pv;
      pv.name = p.so->name;
      if (p.status) pv.lag = p.status->lag;
      pv.desired = p.workers->target();
      pv.running = p.workers->running();
      pv.terminating = p.workers->terminating();
      pv.max_replicas = p.so->max_replicas;
      pv.active = p.last_poll.active;
      pv.limits = Limits(p, ",");
      if (!p.last_poll.status.ok())
        pv.error = p.last_poll.failed_rpc + ": " + std::string(p.last_poll.status.message());
      pv.lag_history = p.lag_history;
      pv.lag_peak = p.lag_peak;
      v.pools.push_back(std::move(pv));
    }
    v.recent_events.assign(events_.begin(), events_.end());
    if (o_.plain || force_plain) {
      if (o_.plain && now < next_plain_ && !force_plain) return;
      std::fputs(RenderPlain(v).c_str(), out_);
      next_plain_ = now + o_.plain_interval;
    } else {
      std::string frame = RenderFrame(v);
      std::string screen = "\x1b[H";
      for (size_t start = 0; start < frame.size();) {
        size_t nl = frame.find('\n', start);
        if (nl == std::string::npos) nl = frame.size();
        screen += frame.substr(start, nl - start) + "\x1b[K\n";
        start = nl + 1;
      }
      std::fputs((screen + "\x1b[J").c_str(), out_);
    }
    std::fflush(out_);
  }

  // SIGTERM to every worker at once, then waits until all are gone (at most the longest grace
  // period + 2 s; ReplicaSet::StopAll makes sure of the rest).
  void Drain() {
    TimePoint now = SteadyClock::now();
    Duration grace{};
    for (PoolRun& p : pools_) {
      p.workers->ScaleTo(0, now);
      grace = std::max(grace, p.so->workload.termination_grace);
    }
    const TimePoint give_up = now + grace + std::chrono::seconds(2);
    while (SteadyClock::now() < give_up) {
      now = SteadyClock::now();
      bool left = false;
      for (PoolRun& p : pools_) {
        p.workers->Tick(now);
        for (std::string& e : p.workers->TakeEvents()) Event(now, e);
        left = left || p.workers->terminating() > 0;
      }
      if (!left) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    for (PoolRun& p : pools_) p.workers->StopAll();
  }

  absl::Status Finish(const std::string& why) {
    std::map<std::string, PoolTotals> totals;
    for (const PoolRun& p : pools_) totals[p.so->name] = {p.so->max_replicas, p.workers->counts()};
    std::string summary = SummaryText(rows_, totals);
    std::fprintf(out_, "\npoolscaler local: stopped after %s (%s)\n%s",
                 Clock(SteadyClock::now() - start_).c_str(), why.c_str(), summary.c_str());
    if (o_.report_dir.empty()) return absl::OkStatus();
    std::vector<PhaseSpan> phases;
    if (o_.shape) {
      Duration at{};
      for (const jobs::LoadPhase& ph : o_.shape->phases) {
        phases.push_back({ToSeconds(at), ToSeconds(at + ph.length), ph.name, ph.jobs_per_second});
        at += ph.length;
      }
    }
    for (const auto& [name, text] :
         {std::pair{std::string("decisions.csv"), DecisionsCsv(rows_)},
          std::pair{std::string("plot.svg"), PlotSvg(rows_, totals, phases)},
          std::pair{std::string("summary.txt"), summary}}) {
      std::string path = o_.report_dir + "/" + name;
      std::ofstream f(path, std::ios::trunc);
      f << text;
      if (!f.good()) return absl::FailedPreconditionError(fmt::format("cannot write {}", path));
    }
    std::fprintf(out_, "report: %s/decisions.csv, %s/plot.svg, %s/summary.txt\n",
                 o_.report_dir.c_str(), o_.report_dir.c_str(), o_.report_dir.c_str());
    return absl::OkStatus();
  }

  const DriverOptions& o_;
  const std::atomic<bool>& stop_;
  std::FILE* out_;
  TimePoint start_{};
  TimePoint next_plain_{};
  std::map<std::string, std::unique_ptr<ScalerClient>> clients_;  // by scaler address
  Pushes pushes_;  // before pools_: the watches in pools_ write to it until they are destroyed
  std::vector<PoolRun> pools_;
  std::unique_ptr<PoolsFetcher> fetcher_;
  std::deque<std::string> events_;
  std::map<std::string, std::string> last_error_;  // by pool: "RPC CODE" of the failing poll
  std::vector<DecisionRow> rows_;
};

}  // namespace

absl::Status RunLocal(const DriverOptions& options, const std::atomic<bool>& stop, std::FILE* out) {
  Driver driver(options, stop, out);
  return driver.Run();
}

}  // namespace poolscaler::local
