#pragma once
// Process: runs a program as a child for black-box tests of the poolscaler binary, with its
// stdout and stderr captured to files. Stopped by PID (SIGTERM, then SIGKILL) when destroyed.
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace poolscaler::testing {

class Process {
 public:
  // Starts `argv` with extra environment entries ("NAME=value"). Output goes to files in `dir`.
  Process(const std::vector<std::string>& argv, const std::string& dir,
          const std::vector<std::string>& env = {});
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  void Signal(int sig) const;
  // Waits for exit up to `timeout`; returns the exit code (128+signal if killed), or nullopt.
  std::optional<int> Wait(std::chrono::milliseconds timeout);
  std::string Stdout() const;
  std::string Stderr() const;

 private:
  pid_t pid_ = 0;
  std::optional<int> exit_code_;
  std::string out_path_, err_path_;
};

// A loopback port that was free a moment ago (the kernel picks it for a bind to port 0); 0 if
// none could be had.
int FreeLoopbackPort();
// The last `max_bytes` of a file ("" if unreadable), for failure messages.
std::string FileTail(const std::string& path, size_t max_bytes = 3000);
// Stops child `pid` by PID: SIGTERM (and SIGCONT, so a SIGSTOP'ed child can act on it), then
// SIGKILL after `grace`, and reaps it. Sets `pid` to 0. Never signals anything else.
void StopChild(pid_t& pid, std::chrono::milliseconds grace = std::chrono::seconds(5));

// A server started by StartOnFreePort: its process and the port it listens on.
struct StartedServer {
  std::unique_ptr<Process> process;
  int port = 0;
  std::string error;  // why it could not be started; empty when it was
};
// Starts the server `argv_for(port)` on a port that was free a moment ago and waits up to `wait`
// for `ready(port)`. Another test may bind that port first: the server then exits saying
// "address already in use", and it is started again on a new port (3 tries in all). Any other
// exit, or no readiness in time, is an error that quotes the server's stderr.
StartedServer StartOnFreePort(const std::function<std::vector<std::string>(int port)>& argv_for,
                              const std::string& dir, const std::function<bool(int port)>& ready,
                              std::chrono::milliseconds wait);

// Runs `argv` to completion (at most `timeout`) and returns {exit code, stdout, stderr}.
struct RunResult {
  int code = -1;
  std::string out, err;
};
RunResult RunToEnd(const std::vector<std::string>& argv, const std::string& dir,
              const std::vector<std::string>& env = {},
              std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace poolscaler::testing
