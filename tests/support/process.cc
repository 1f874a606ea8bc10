#include "support/process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

namespace poolscaler::testing {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::atomic<int> g_counter{0};

}  // namespace

int FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

std::string FileTail(const std::string& path, size_t max_bytes) {
  std::string text = Slurp(path);
  return text.size() > max_bytes ? text.substr(text.size() - max_bytes) : text;
}

void StopChild(pid_t& pid, std::chrono::milliseconds grace) {
  if (pid <= 0) return;
  kill(pid, SIGTERM);
  kill(pid, SIGCONT);
  auto give_up = std::chrono::steady_clock::now() + grace;
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() >= give_up) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  pid = 0;
}

StartedServer StartOnFreePort(const std::function<std::vector<std::string>(int port)>& argv_for,
                              const std::string& dir, const std::function<bool(int port)>& ready,
                              std::chrono::milliseconds wait) {
  StartedServer s;
  for (int attempt = 1; attempt <= 3; ++attempt) {
    s.port = FreeLoopbackPort();
    if (s.port == 0) {
      s.error = "no free loopback port";
      return s;
    }
    s.process = std::make_unique<Process>(argv_for(s.port), dir);
    const auto give_up = std::chrono::steady_clock::now() + wait;
    bool exited = false;
    while (std::chrono::steady_clock::now() < give_up) {
      if (s.process->Wait(std::chrono::milliseconds(0))) {
        exited = true;
        break;
      }
      if (ready(s.port)) return s;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    const std::string err = s.process->Stderr();
    if (exited && err.find("address already in use") != std::string::npos && attempt < 3) {
      std::fprintf(stderr, "StartOnFreePort: port %d was taken (attempt %d), trying another\n",
                   s.port, attempt);
      continue;
    }
    s.error = (exited ? "exited before it was ready"
                      : "not ready within " + std::to_string(wait.count()) + " ms") +
              std::string(" (port ") + std::to_string(s.port) +
              "): " + (err.size() > 3000 ? err.substr(err.size() - 3000) : err);
    s.process.reset();
    return s;
  }
  return s;  // not reached: the third attempt returns above
}

Process::Process(const std::vector<std::string>& argv, const std::string& dir,
                 const std::vector<std::string>& env) {
  int n = g_counter++;
  out_path_ = dir + "/proc" + std::to_string(n) + ".out";
  err_path_ = dir + "/proc" + std::to_string(n) + ".err";
  // Everything the child needs is prepared before fork: after it, only async-signal-safe calls.
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_copy = env;
  std::vector<char*> envp;
  for (std::string& e : env_copy) envp.push_back(e.data());
  for (char** e = environ; *e; ++e) envp.push_back(*e);
  envp.push_back(nullptr);
  pid_ = fork();
  if (pid_ == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the test
    int out = open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err = open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(out, 1);
    dup2(err, 2);
    execve(args[0], args.data(), envp.data());
    _exit(127);
  }
}

Process::~Process() {
  if (pid_ > 0 && !exit_code_) StopChild(pid_);
}

void Process::Signal(int sig) const {
  if (pid_ > 0 && !exit_code_) kill(pid_, sig);
}

std::optional<int> Process::Wait(std::chrono::milliseconds timeout) {
  if (exit_code_) return exit_code_;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return exit_code_;
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::string Process::Stdout() const { return Slurp(out_path_); }
std::string Process::Stderr() const { return Slurp(err_path_); }

RunResult RunToEnd(const std::vector<std::string>& argv, const std::string& dir,
              const std::vector<std::string>& env, std::chrono::milliseconds timeout) {
  Process p(argv, dir, env);
  RunResult r;
  std::optional<int> code = p.Wait(timeout);
  r.code = code ? *code : -1;
  r.out = p.Stdout();
  r.err = p.Stderr();
  return r;
}

}  // namespace poolscaler::testing
