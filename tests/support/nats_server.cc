#include "support/nats_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <nats/nats.h>
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

std::string FileTail(const std::string& path, size_t max_bytes = 3000) {
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return text.size() > max_bytes ? text.substr(text.size() - max_bytes) : text;
}

std::string Err(natsStatus s) {
  natsStatus ignored;
  const char* text = nats_GetLastError(&ignored);
  return std::string(natsStatus_GetText(s)) + ": " + (text ? text : "");
}

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
    std::ofstream conf(server->dir_ + "/nats.conf", std::ios::trunc);
    conf << "listen: 127.0.0.1:" << server->port_ << "\nserver_name: " << name
         << "\njetstream { store_dir: \"" << server->dir_ << "/js\" }\n"
         << extra_config << "\n";
    conf.close();
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
    if (PortAccepts(port_)) return true;
    std::this_thread::sleep_for(milliseconds(20));
  }
  std::fprintf(stderr, "NatsServer: port %d not accepting within 10 s\n%s\n", port_,
               LogTail().c_str());
  Stop();
  return false;
}

void NatsServer::Stop() {
  if (pid_ == 0) return;
  kill(pid_, SIGTERM);
  const auto give_up = steady_clock::now() + std::chrono::seconds(5);
  int status = 0;
  while (waitpid(pid_, &status, WNOHANG) == 0) {
    if (steady_clock::now() >= give_up) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(milliseconds(10));
  }
  pid_ = 0;
}

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

std::unique_ptr<NatsCluster> NatsCluster::Start() {
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

std::unique_ptr<NatsClient> NatsClient::Connect(const std::string& urls, const std::string& user,
                                                const std::string& password,
                                                const std::string& creds_file) {
  std::unique_ptr<NatsClient> client(new NatsClient());
  natsOptions* opts = nullptr;
  natsOptions_Create(&opts);
  std::vector<std::string> list;
  for (size_t start = 0;;) {
    size_t comma = urls.find(',', start);
    list.push_back(urls.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  std::vector<const char*> ptrs;
  for (const auto& u : list) ptrs.push_back(u.c_str());
  natsOptions_SetServers(opts, ptrs.data(), static_cast<int>(ptrs.size()));
  natsOptions_SetMaxReconnect(opts, -1);
  natsOptions_SetReconnectWait(opts, 200);
  if (!user.empty()) natsOptions_SetUserInfo(opts, user.c_str(), password.c_str());
  if (!creds_file.empty()) natsOptions_SetUserCredentialsFromFiles(opts, creds_file.c_str(), nullptr);
  natsStatus s = NATS_ERR;
  const auto give_up = steady_clock::now() + std::chrono::seconds(10);
  while ((s = natsConnection_Connect(&client->nc_, opts)) != NATS_OK &&
         steady_clock::now() < give_up) {
    std::this_thread::sleep_for(milliseconds(100));
  }
  natsOptions_Destroy(opts);
  if (s != NATS_OK) {
    ADD_FAILURE() << "NatsClient: cannot connect to " << urls << ": " << Err(s);
    return nullptr;
  }
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = 5000;
  natsConnection_JetStream(&client->js_, client->nc_, &jo);
  return client;
}

NatsClient::~NatsClient() {
  for (Held& h : held_) {
    for (natsMsg* m : h.messages) natsMsg_Destroy(m);
    natsSubscription_Destroy(h.sub);
  }
  if (js_) jsCtx_Destroy(js_);
  if (nc_) {
    natsConnection_Close(nc_);
    natsConnection_Destroy(nc_);
  }
}

bool NatsClient::AddStream(const std::string& stream, const std::vector<std::string>& subjects,
                           int replicas) {
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  cfg.Name = stream.c_str();
  std::vector<const char*> subs;
  for (const auto& s : subjects) subs.push_back(s.c_str());
  cfg.Subjects = subs.data();
  cfg.SubjectsLen = static_cast<int>(subs.size());
  cfg.Storage = js_FileStorage;
  cfg.Replicas = replicas;
  natsStatus s = NATS_ERR;
  jsErrCode code = static_cast<jsErrCode>(0);
  const auto give_up = steady_clock::now() + std::chrono::seconds(15);
  do {
    jsStreamInfo* si = nullptr;
    s = js_AddStream(&si, js_, &cfg, nullptr, &code);
    if (si) jsStreamInfo_Destroy(si);
    if (s == NATS_OK) return true;
    std::this_thread::sleep_for(milliseconds(200));
  } while (steady_clock::now() < give_up);
  ADD_FAILURE() << "AddStream " << stream << ": " << Err(s) << " (code " << code << ")";
  return false;
}

bool NatsClient::AddPullConsumer(const std::string& stream, const std::string& durable,
                                 const std::string& filter, int replicas) {
  jsConsumerConfig cc;
  jsConsumerConfig_Init(&cc);
  cc.Durable = durable.c_str();
  cc.AckPolicy = js_AckExplicit;
  cc.AckWait = int64_t{300} * 1'000'000'000;
  cc.MaxDeliver = 3;
  if (!filter.empty()) cc.FilterSubject = filter.c_str();
  cc.Replicas = replicas;
  jsConsumerInfo* ci = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_AddConsumer(&ci, js_, stream.c_str(), &cc, nullptr, &code);
  if (ci) jsConsumerInfo_Destroy(ci);
  if (s != NATS_OK) ADD_FAILURE() << "AddConsumer " << durable << ": " << Err(s) << " (code " << code << ")";
  return s == NATS_OK;
}

bool NatsClient::Publish(const std::string& subject, int n) {
  for (int i = 0; i < n; ++i) {
    std::string body = "job " + std::to_string(i);
    jsPubAck* ack = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    natsStatus s = js_Publish(&ack, js_, subject.c_str(), body.data(), static_cast<int>(body.size()),
                              nullptr, &code);
    if (ack) jsPubAck_Destroy(ack);
    if (s != NATS_OK) {
      ADD_FAILURE() << "Publish " << subject << ": " << Err(s);
      return false;
    }
  }
  return true;
}

natsSubscription* NatsClient::Subscription(const std::string& stream, const std::string& durable) {
  for (Held& h : held_) {
    if (h.durable == durable) return h.sub;
  }
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = stream.c_str();
  so.Consumer = durable.c_str();
  natsSubscription* sub = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_PullSubscribe(&sub, js_, nullptr, durable.c_str(), nullptr, &so, &code);
  if (s != NATS_OK) {
    ADD_FAILURE() << "PullSubscribe " << durable << ": " << Err(s) << " (code " << code << ")";
    return nullptr;
  }
  held_.push_back({durable, sub, {}});
  return sub;
}

int NatsClient::Fetch(const std::string& stream, const std::string& durable, int n) {
  natsSubscription* sub = Subscription(stream, durable);
  if (sub == nullptr) return 0;
  int got = 0;
  const auto give_up = steady_clock::now() + std::chrono::seconds(5);
  while (got < n && steady_clock::now() < give_up) {
    natsMsgList list{};
    jsErrCode code = static_cast<jsErrCode>(0);
    natsStatus s = natsSubscription_Fetch(&list, sub, n - got, 500, &code);
    if (s == NATS_OK) {
      for (Held& h : held_) {
        if (h.durable != durable) continue;
        for (int i = 0; i < list.Count; ++i) {
          h.messages.push_back(list.Msgs[i]);
          list.Msgs[i] = nullptr;
        }
      }
      got += list.Count;
    }
    natsMsgList_Destroy(&list);
    if (s == NATS_TIMEOUT) break;
  }
  return got;
}

int NatsClient::Settle(const std::string& durable, int n, bool ack) {
  for (Held& h : held_) {
    if (h.durable != durable) continue;
    int done = 0;
    while (done < n && !h.messages.empty()) {
      natsMsg* m = h.messages.front();
      h.messages.erase(h.messages.begin());
      natsStatus s = ack ? natsMsg_AckSync(m, nullptr, nullptr) : natsMsg_Nak(m, nullptr);
      if (s != NATS_OK) ADD_FAILURE() << (ack ? "Ack: " : "Nak: ") << Err(s);
      natsMsg_Destroy(m);
      ++done;
    }
    if (!ack) natsConnection_Flush(nc_);
    return done;
  }
  return 0;
}

int NatsClient::Ack(const std::string& durable, int n) { return Settle(durable, n, true); }
int NatsClient::Nak(const std::string& durable, int n) { return Settle(durable, n, false); }

std::string NatsClient::StreamLeader(const std::string& stream) {
  jsStreamInfo* si = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&si, js_, stream.c_str(), nullptr, &code);
  std::string leader;
  if (s == NATS_OK && si->Cluster != nullptr && si->Cluster->Leader != nullptr) {
    leader = si->Cluster->Leader;
  }
  if (si) jsStreamInfo_Destroy(si);
  return leader;
}

std::string NatsClient::ConsumerLeader(const std::string& stream, const std::string& durable) {
  jsConsumerInfo* ci = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_GetConsumerInfo(&ci, js_, stream.c_str(), durable.c_str(), nullptr, &code);
  std::string leader;
  if (s == NATS_OK && ci->Cluster != nullptr && ci->Cluster->Leader != nullptr) {
    leader = ci->Cluster->Leader;
  }
  if (ci) jsConsumerInfo_Destroy(ci);
  return leader;
}

}  // namespace poolscaler::testing
