#include "poolscaler/local/replica_set.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <thread>

#include "poolscaler/common/text.h"

extern char** environ;

namespace poolscaler::local {
namespace {

constexpr Duration kMaxBackoff = std::chrono::seconds(30);
// A process that ran at least this long before exiting unasked resets the back-off.
constexpr Duration kHealthyRun = std::chrono::seconds(10);

}  // namespace

std::string ExpandReferences(const std::string& text,
                             const std::vector<std::pair<std::string, std::string>>& env) {
  std::string out;
  for (size_t i = 0; i < text.size();) {
    if (text.compare(i, 3, "$$(") == 0) {  // escaped: "$$(X)" → "$(X)"
      out += "$(";
      i += 3;
      continue;
    }
    if (text.compare(i, 2, "$(") == 0) {
      size_t close = text.find(')', i + 2);
      if (close != std::string::npos) {
        std::string name = text.substr(i + 2, close - i - 2);
        auto it = std::find_if(env.rbegin(), env.rend(),
                               [&](const auto& kv) { return kv.first == name; });
        if (it != env.rend()) {
          out += it->second;
          i = close + 1;
          continue;
        }
      }
    }
    out += text[i++];
  }
  return out;
}

absl::StatusOr<std::string> FindExecutable(const std::string& name, const std::string& path) {
  auto executable = [](const std::string& p) {
    struct stat st {};
    return stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(p.c_str(), X_OK) == 0;
  };
  if (name.find('/') != std::string::npos) {
    if (executable(name)) return name;
    return absl::NotFoundError(fmt::format("command {}: no such executable file", Quote(name)));
  }
  for (size_t start = 0; start <= path.size();) {
    size_t colon = path.find(':', start);
    std::string dir =
        path.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (executable(candidate)) return candidate;
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return absl::NotFoundError(
      fmt::format("command {} is not in PATH ({})", Quote(name), Quote(path)));
}

absl::StatusOr<std::unique_ptr<ReplicaSet>> ReplicaSet::Create(config::LocalWorkload workload,
                                                               std::string log_dir) {
  if (workload.argv.empty()) {
    return absl::InvalidArgumentError(
        fmt::format("Deployment {} has no command", workload.deployment));
  }
  const char* path = std::getenv("PATH");
  absl::StatusOr<std::string> exe = FindExecutable(ExpandReferences(workload.argv[0], workload.env),
                                                   path ? path : "/usr/bin:/bin");
  if (!exe.ok()) {
    return absl::NotFoundError(
        fmt::format("Deployment {}: {}", workload.deployment, std::string(exe.status().message())));
  }
  return std::unique_ptr<ReplicaSet>(new ReplicaSet(std::move(workload), *exe, std::move(log_dir)));
}

ReplicaSet::ReplicaSet(config::LocalWorkload workload, std::string executable, std::string log_dir)
    : workload_(std::move(workload)),
      executable_(std::move(executable)),
      log_dir_(std::move(log_dir)) {}

ReplicaSet::~ReplicaSet() { StopAll(); }

int64_t ReplicaSet::running() const {
  return std::count_if(pods_.begin(), pods_.end(), [](const Pod& p) { return !p.stop_at; });
}

int64_t ReplicaSet::terminating() const { return static_cast<int64_t>(pods_.size()) - running(); }

std::vector<std::string> ReplicaSet::TakeEvents() {
  std::vector<std::string> out;
  out.swap(events_);
  return out;
}

void ReplicaSet::ScaleTo(int64_t replicas, TimePoint now) {
  target_ = std::max<int64_t>(replicas, 0);
  int64_t surplus = running() - target_;
  for (auto it = pods_.rbegin(); it != pods_.rend() && surplus > 0; ++it) {
    if (it->stop_at) continue;
    kill(it->pid, SIGTERM);
    it->stop_at = now;
    --surplus;
  }
  Tick(now);
}

void ReplicaSet::Tick(TimePoint now) {
  Reap(now);
  for (Pod& p : pods_) {
    if (p.stop_at && !p.killed && now - *p.stop_at >= workload_.termination_grace) {
      kill(p.pid, SIGKILL);
      p.killed = true;
      events_.push_back(fmt::format("{} killed: still running {} s after SIGTERM", p.name,
                                    ToSeconds(workload_.termination_grace)));
    }
  }
  while (running() < target_ && now >= restart_not_before_) Start(now);
}

void ReplicaSet::Reap(TimePoint now) {
  for (auto it = pods_.begin(); it != pods_.end();) {
    int status = 0;
    if (waitpid(it->pid, &status, WNOHANG) != it->pid) {
      ++it;
      continue;
    }
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (it->stop_at) {
      if (it->killed)
        counts_.killed++;
      else if (code == 0)
        counts_.stopped_clean++;
      else
        counts_.stopped_failed++;
      if (!it->killed && code != 0)
        events_.push_back(fmt::format("{} exited {} after SIGTERM", it->name, code));
    } else {
      counts_.crashed++;
      backoff_ = now - it->started >= kHealthyRun || backoff_ == Duration::zero()
                     ? std::chrono::seconds(1)
                     : std::min(backoff_ * 2, kMaxBackoff);
      restart_not_before_ = now + backoff_;
      events_.push_back(fmt::format("{} exited {} unasked (see {}/{}.log); replaced in {} s",
                                    it->name, code, log_dir_, it->name, ToSeconds(backoff_)));
    }
    it = pods_.erase(it);
  }
}

void ReplicaSet::Start(TimePoint now) {
  Pod pod;
  pod.name = fmt::format("{}-{}", workload_.deployment, next_index_++);
  pod.started = now;
  std::vector<std::pair<std::string, std::string>> env = workload_.env;
  env.emplace_back("POD_NAME", pod.name);
  // Everything the child needs is built before fork: after it, only async-signal-safe calls.
  std::vector<std::string> args = {executable_};
  for (size_t i = 1; i < workload_.argv.size(); ++i)
    args.push_back(ExpandReferences(workload_.argv[i], env));
  std::vector<std::string> envs;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry = *e;
    std::string key = entry.substr(0, entry.find('='));
    if (std::none_of(env.begin(), env.end(), [&](const auto& kv) { return kv.first == key; })) {
      envs.push_back(entry);
    }
  }
  for (const auto& [k, v] : env) envs.push_back(k + "=" + ExpandReferences(v, env));
  std::vector<char*> argv, envp;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (std::string& e : envs) envp.push_back(e.data());
  envp.push_back(nullptr);
  const std::string log = fmt::format("{}/{}.log", log_dir_, pod.name);
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);                     // the terminal's Ctrl-C goes to the driver, not here
    prctl(PR_SET_PDEATHSIG, SIGTERM);  // the driver died: finish the job and leave
    if (getppid() != parent) _exit(1);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    signal(SIGPIPE, SIG_DFL);
    int in = open("/dev/null", O_RDONLY);
    int out = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (in >= 0) dup2(in, 0);
    if (out >= 0) {
      dup2(out, 1);
      dup2(out, 2);
    }
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  if (pid < 0) {
    events_.push_back(fmt::format("cannot start {}: fork failed", pod.name));
    restart_not_before_ = now + std::chrono::seconds(1);
    return;
  }
  pod.pid = pid;
  counts_.started++;
  pods_.push_back(std::move(pod));
}

void ReplicaSet::StopAll() {
  TimePoint now = SteadyClock::now();
  ScaleTo(0, now);
  const TimePoint give_up = now + workload_.termination_grace + std::chrono::seconds(2);
  while (!pods_.empty() && SteadyClock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    Tick(SteadyClock::now());
  }
  for (Pod& p : pods_) {  // past the grace period and then some: make sure
    kill(p.pid, SIGKILL);
    int status = 0;
    waitpid(p.pid, &status, 0);
    counts_.killed++;
  }
  pods_.clear();
}

}  // namespace poolscaler::local
