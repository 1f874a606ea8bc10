#pragma once
// The local processes of one workload, playing a Deployment's pods: started from the pod
// template's command, args and env (Kubernetes' $(VAR) references expanded, POD_NAME set), each
// in its own process group with its output in LOG_DIR/POD.log; stopped with SIGTERM and, after
// terminationGracePeriodSeconds, SIGKILL — newest first, like a ReplicaSet scaling down. A
// process that exits on its own is replaced (after a back-off), as a Deployment would.
//
// Not thread-safe: one thread owns it, and it must be the process's main thread, since each
// child asks for SIGTERM when the thread that forked it dies (PR_SET_PDEATHSIG).
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "poolscaler/common/time.h"
#include "poolscaler/config/local_run.h"

namespace poolscaler::local {

// Expands Kubernetes' "$(NAME)" references in a command or arg from `env` ("$$(NAME)" stays a
// literal "$(NAME)"; a reference to an unknown name is left as written, as Kubernetes does).
std::string ExpandReferences(const std::string& text,
                             const std::vector<std::pair<std::string, std::string>>& env);

// `name` itself if it contains a '/', else the first executable file `name` in `path` (a
// PATH-style list); NOT_FOUND naming the command and the PATH otherwise.
absl::StatusOr<std::string> FindExecutable(const std::string& name, const std::string& path);

class ReplicaSet {
 public:
  struct Counts {
    int64_t started = 0;
    int64_t stopped_clean = 0;   // exited 0 after SIGTERM
    int64_t stopped_failed = 0;  // exited non-zero after SIGTERM
    int64_t killed = 0;          // SIGKILLed after the grace period
    int64_t crashed = 0;         // exited without being asked (replaced)
  };

  // Checks that the command can be found (FindExecutable with the driver's PATH).
  static absl::StatusOr<std::unique_ptr<ReplicaSet>> Create(config::LocalWorkload workload,
                                                            std::string log_dir);
  ~ReplicaSet();  // StopAll
  ReplicaSet(const ReplicaSet&) = delete;
  ReplicaSet& operator=(const ReplicaSet&) = delete;

  // Makes `replicas` the target: starts processes or asks the newest to stop.
  void ScaleTo(int64_t replicas, TimePoint now);
  // Reaps exited processes, SIGKILLs those past their grace period, and starts missing ones
  // (after a back-off of 1 s doubling to 30 s once processes exited unasked). Call often.
  void Tick(TimePoint now);
  // Stops every process and waits for them (at most the grace period + 2 s).
  void StopAll();

  int64_t target() const { return target_; }
  int64_t running() const;      // alive and not asked to stop
  int64_t terminating() const;  // asked to stop, not yet gone
  const Counts& counts() const { return counts_; }
  // One line per notable event since the last call ("parse-small-worker-3 exited 1 unasked").
  std::vector<std::string> TakeEvents();

 private:
  struct Pod {
    pid_t pid = 0;
    std::string name;
    TimePoint started{};
    std::optional<TimePoint> stop_at;  // when SIGTERM was sent
    bool killed = false;
  };
  ReplicaSet(config::LocalWorkload workload, std::string executable, std::string log_dir);
  void Start(TimePoint now);
  void Reap(TimePoint now);

  const config::LocalWorkload workload_;
  const std::string executable_;
  const std::string log_dir_;
  int64_t target_ = 0;
  int64_t next_index_ = 1;
  std::vector<Pod> pods_;  // in start order
  Counts counts_;
  Duration backoff_{};
  TimePoint restart_not_before_{};
  std::vector<std::string> events_;
};

}  // namespace poolscaler::local
