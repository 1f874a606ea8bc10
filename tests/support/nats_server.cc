#include "support/nats_server.h"

#include "support/process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

namespace poolscaler::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

std::string NatsBinary() {
  const char* env = std::getenv("POOLSCALER_NATS_SERVER");
  return env != nullptr && *env != '\0' ? env : "nats-server";
}

bool PortAccepts(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

// Whether nats-server wrote "Server is ready" to `log` past `offset` (this run's part).
bool ReadySince(const std::string& log, std::uintmax_t offset) {
  std::ifstream in(log);
  in.seekg(static_cast<std::streamoff>(offset));
  std::string line;
  while (std::getline(in, line)) {
    if (line.find("Server is ready") != std::string::npos) return true;
  }
  return false;
}

}  // namespace

std::unique_ptr<NatsServer> NatsServer::Start(const std::string& extra_config, int port,
                                              const std::string& name) {
  signal(SIGPIPE, SIG_IGN);
  std::string pattern = (std::filesystem::temp_directory_path() / "poolscaler-nats-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    std::perror("NatsServer: mkdtemp");
    return nullptr;
  }
  std::unique_ptr<NatsServer> server(new NatsServer(pattern, port, name));
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (port == 0) server->port_ = FreeLoopbackPort();
    server->WriteConfig(extra_config);
    if (server->Launch()) return server;
    if (port != 0) break;
  }
  return nullptr;
}

NatsServer::~NatsServer() {
  Stop();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::string NatsServer::url() const { return "nats://127.0.0.1:" + std::to_string(port_); }

std::string NatsServer::LogTail() const { return FileTail(dir_ + "/nats.log"); }

bool NatsServer::Launch() {
  const std::string binary = NatsBinary();
  const std::string conf = dir_ + "/nats.conf";
  const std::string log = dir_ + "/nats.log";
  // The log is appended to across restarts: only what this run writes counts.
  std::error_code no_log;
  const auto log_offset = std::filesystem::file_size(log, no_log);
  pid_t pid = fork();
  if (pid < 0) return false;
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // do not outlive a crashed test
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
    }
    execlp(binary.c_str(), binary.c_str(), "-c", conf.c_str(), static_cast<char*>(nullptr));
    std::perror("exec nats-server");
    _exit(127);
  }
  pid_ = pid;
  const auto give_up = steady_clock::now() + std::chrono::seconds(10);
  while (steady_clock::now() < give_up) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = 0;
      std::fprintf(stderr, "NatsServer: exited (status %d) on port %d\n%s\n", status, port_,
                   LogTail().c_str());
      return false;
    }
    // Ready: this run says so and the port accepts. (The port alone could be another
    // process's, taken between choosing it and the bind, which our server then fails.)
    if (PortAccepts(port_) && ReadySince(log, no_log ? 0 : log_offset)) return true;
    std::this_thread::sleep_for(milliseconds(20));
  }
  std::fprintf(stderr, "NatsServer: port %d not accepting within 10 s\n%s\n", port_,
               LogTail().c_str());
  Stop();
  return false;
}

void NatsServer::Stop() { StopChild(pid_); }

void NatsServer::Kill() {
  if (pid_ == 0) return;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = 0;
}

bool NatsServer::Restart() {
  Stop();
  return Launch();
}

bool NatsServer::RestartWith(const std::string& extra_config) {
  Stop();
  WriteConfig(extra_config);
  return Launch();
}

void NatsServer::WriteConfig(const std::string& extra_config) const {
  std::ofstream conf(dir_ + "/nats.conf", std::ios::trunc);
  conf << "listen: 127.0.0.1:" << port_ << "\nserver_name: " << name_
       << "\njetstream { store_dir: \"" << dir_ << "/js\" }\n"
       << extra_config << "\n";
}

std::unique_ptr<NatsCluster> NatsCluster::Start() {
  // Six ports are chosen before any node binds: another test may take one in between. Then a
  // node fails to start, and the whole cluster is tried again on new ports.
  for (int attempt = 1; attempt <= 3; ++attempt) {
    if (auto cluster = TryStart()) return cluster;
    std::fprintf(stderr, "NatsCluster: attempt %d failed%s\n", attempt,
                 attempt < 3 ? ", trying new ports" : "");
  }
  return nullptr;
}

std::unique_ptr<NatsCluster> NatsCluster::TryStart() {
  std::vector<int> client_ports, route_ports;
  for (int i = 0; i < 3; ++i) {
    client_ports.push_back(FreeLoopbackPort());
    route_ports.push_back(FreeLoopbackPort());
  }
  auto cluster = std::make_unique<NatsCluster>();
  for (int i = 0; i < 3; ++i) {
    std::string config = "cluster {\n  name: c1\n  listen: 127.0.0.1:" +
                         std::to_string(route_ports[i]) + "\n  routes: [\n";
    for (int j = 0; j < 3; ++j) {
      if (j != i) config += "    nats-route://127.0.0.1:" + std::to_string(route_ports[j]) + "\n";
    }
    config += "  ]\n}\n";
    auto node = NatsServer::Start(config, client_ports[i], "n" + std::to_string(i + 1));
    if (!node) return nullptr;
    cluster->nodes_.push_back(std::move(node));
  }
  return cluster;
}

std::string NatsCluster::urls() const {
  std::string out;
  for (const auto& n : nodes_) out += (out.empty() ? "" : ",") + n->url();
  return out;
}

NatsServer* NatsCluster::ByName(const std::string& name) {
  for (auto& n : nodes_) {
    if (n->name() == name) return n.get();
  }
  return nullptr;
}

}  // namespace poolscaler::testing
