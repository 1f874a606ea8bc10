#include "support/rabbitmq_server.h"

#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <curl/curl.h>
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <signal.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

namespace poolscaler::testing {
namespace {

using Clock = std::chrono::steady_clock;

// The PIDs of every live descendant of `root` (by /proc/<pid>/stat parent links).
std::set<pid_t> Descendants(pid_t root) {
  std::map<pid_t, pid_t> parent;
  if (DIR* d = opendir("/proc")) {
    while (dirent* e = readdir(d)) {
      pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
      if (pid <= 0) continue;
      std::ifstream in(std::string("/proc/") + e->d_name + "/stat");
      std::string stat;
      std::getline(in, stat);
      size_t close = stat.rfind(')');
      if (close == std::string::npos) continue;
      char state = 0;
      int ppid = 0;
      if (std::sscanf(stat.c_str() + close + 1, " %c %d", &state, &ppid) == 2) parent[pid] = ppid;
    }
    closedir(d);
  }
  std::set<pid_t> out = {root};
  for (bool grew = true; grew;) {
    grew = false;
    for (auto [pid, ppid] : parent) {
      if (out.count(ppid) != 0 && out.insert(pid).second) grew = true;
    }
  }
  out.erase(root);
  return out;
}

// True once something accepts TCP connections on 127.0.0.1:port (within `wait`).
bool WaitListening(int port, std::chrono::milliseconds wait) {
  const auto give_up = Clock::now() + wait;
  while (Clock::now() < give_up) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool up = fd >= 0 && connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    if (fd >= 0) close(fd);
    if (up) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

size_t Discard(char*, size_t size, size_t n, void*) { return size * n; }
size_t Append(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// Forks `argv` in a new session with `env`, as user rabbitmq when running as root, output
// appended to `log`.
pid_t Spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env,
            const std::string& log, const std::string& cwd) {
  std::vector<char*> args, envp;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  for (const std::string& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  uid_t uid = 0;
  gid_t gid = 0;
  bool drop = geteuid() == 0;
  if (drop) {
    passwd* pw = getpwnam("rabbitmq");
    if (pw == nullptr) {
      std::fprintf(stderr, "RabbitMqServer: no user rabbitmq (install rabbitmq-server)\n");
      return -1;
    }
    uid = pw->pw_uid;
    gid = pw->pw_gid;
  }
  pid_t pid = fork();
  if (pid != 0) return pid;
  setsid();
  int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd >= 0) {
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
  }
  if (drop && (setgroups(0, nullptr) != 0 || setgid(gid) != 0 || setuid(uid) != 0)) _exit(126);
  prctl(PR_SET_PDEATHSIG, SIGKILL);  // after setuid, which clears it
  if (chdir(cwd.c_str()) != 0) _exit(126);
  execve(args[0], args.data(), envp.data());
  _exit(127);
}

}  // namespace

std::unique_ptr<RabbitMqServer> RabbitMqServer::Start(const std::string& extra_config) {
  // Six ports are chosen before the broker binds them: another test may take one in between.
  // Then the broker (or epmd) fails to start, and it is tried again on new ports.
  for (int attempt = 1; attempt <= 3; ++attempt) {
    if (auto server = TryStart(extra_config)) return server;
    std::fprintf(stderr, "RabbitMqServer: attempt %d failed%s\n", attempt,
                 attempt < 3 ? ", trying new ports" : "");
  }
  return nullptr;
}

std::unique_ptr<RabbitMqServer> RabbitMqServer::TryStart(const std::string& extra_config) {
  signal(SIGPIPE, SIG_IGN);
  std::string dir = (std::filesystem::temp_directory_path() / "poolscaler-rabbit-XXXXXX").string();
  if (mkdtemp(dir.data()) == nullptr) return nullptr;
  std::unique_ptr<RabbitMqServer> s(new RabbitMqServer());
  s->dir_ = dir;
  s->amqp_port_ = FreeLoopbackPort();
  s->http_port_ = FreeLoopbackPort();
  s->dist_port_ = FreeLoopbackPort();
  s->epmd_port_ = FreeLoopbackPort();
  s->amqps_port_ = FreeLoopbackPort();
  s->https_port_ = FreeLoopbackPort();
  std::string extra = extra_config;
  for (auto [name, port] : {std::pair{std::string("$AMQPS_PORT"), s->amqps_port_},
                            std::pair{std::string("$HTTPS_PORT"), s->https_port_}}) {
    for (size_t at; (at = extra.find(name)) != std::string::npos;) {
      extra.replace(at, name.size(), std::to_string(port));
    }
  }
  for (const char* sub : {"mnesia", "log", "home"}) std::filesystem::create_directories(dir + "/" + sub);
  std::ofstream(dir + "/rabbitmq.conf")
      << "listeners.tcp.default = 127.0.0.1:" << s->amqp_port_ << "\n"
      << "management.tcp.port = " << s->http_port_ << "\n"
      << "management.tcp.ip = 127.0.0.1\n"
      << "collect_statistics_interval = 1000\n"
      << "disk_free_limit.absolute = 1MB\n"
      << extra << "\n";
  std::ofstream(dir + "/enabled_plugins") << "[rabbitmq_management].\n";
  if (geteuid() == 0) {
    passwd* pw = getpwnam("rabbitmq");
    if (pw == nullptr) return nullptr;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
      if (chown(entry.path().c_str(), pw->pw_uid, pw->pw_gid) != 0) return nullptr;
    }
    if (chown(dir.c_str(), pw->pw_uid, pw->pw_gid) != 0) return nullptr;
  }
  // Our own epmd on its own port, so the node never touches a system epmd on 4369.
  s->epmd_pid_ = Spawn({"/usr/bin/epmd", "-port", std::to_string(s->epmd_port_), "-address",
                        "127.0.0.1"},
                       {"PATH=/usr/bin:/bin", "HOME=" + dir + "/home"}, dir + "/epmd.log", dir);
  if (s->epmd_pid_ <= 0) return nullptr;
  // The node must find our epmd listening, or Erlang starts an `epmd -daemon` of its own that
  // outlives the test.
  if (!WaitListening(s->epmd_port_, std::chrono::seconds(10))) {
    std::fprintf(stderr, "RabbitMqServer: epmd not listening on %d\n", s->epmd_port_);
    return nullptr;
  }
  if (!s->Launch()) return nullptr;
  return s;
}

bool RabbitMqServer::Launch() {
  const std::string& d = dir_;
  server_pid_ = Spawn({"/usr/lib/rabbitmq/bin/rabbitmq-server"},
                      {"PATH=/usr/lib/rabbitmq/bin:/usr/bin:/bin:/usr/sbin:/sbin",
                       "HOME=" + d + "/home", "LANG=C.UTF-8", "LC_ALL=C.UTF-8",
                       "RABBITMQ_NODENAME=rabbit@localhost", "RABBITMQ_MNESIA_BASE=" + d + "/mnesia",
                       "RABBITMQ_LOG_BASE=" + d + "/log", "RABBITMQ_CONFIG_FILE=" + d + "/rabbitmq.conf",
                       "RABBITMQ_ENABLED_PLUGINS_FILE=" + d + "/enabled_plugins",
                       "RABBITMQ_PID_FILE=" + d + "/rabbit.pid",
                       "RABBITMQ_DIST_PORT=" + std::to_string(dist_port_),
                       "ERL_EPMD_PORT=" + std::to_string(epmd_port_)},
                      d + "/server.log", d);
  if (server_pid_ <= 0) return false;
  return WaitReady();
}

bool RabbitMqServer::WaitReady() {
  const auto give_up = Clock::now() + std::chrono::seconds(90);
  while (Clock::now() < give_up) {
    int status = 0;
    if (waitpid(server_pid_, &status, WNOHANG) == server_pid_) {
      server_pid_ = 0;
      std::fprintf(stderr, "RabbitMqServer: exited (status %d)\n%s\n", status, LogTail().c_str());
      return false;
    }
    if (Api("GET", "/api/overview") == 200) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  std::fprintf(stderr, "RabbitMqServer: management API not up within 90 s\n%s\n", LogTail().c_str());
  Stop();
  return false;
}

RabbitMqServer::~RabbitMqServer() {
  Stop();
  StopChild(epmd_pid_);
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::string RabbitMqServer::amqp_url(const std::string& vhost) const {
  std::string url = "amqp://127.0.0.1:" + std::to_string(amqp_port_);
  return vhost.empty() ? url : url + "/" + vhost;
}

std::string RabbitMqServer::http_url() const {
  return "http://127.0.0.1:" + std::to_string(http_port_);
}

void RabbitMqServer::Stop() {
  if (server_pid_ <= 0) return;
  std::set<pid_t> others = Descendants(server_pid_);  // some run in sessions of their own
  kill(-server_pid_, SIGTERM);
  const auto give_up = Clock::now() + std::chrono::seconds(20);
  int status = 0;
  while (waitpid(server_pid_, &status, WNOHANG) == 0) {
    if (Clock::now() >= give_up) {
      kill(-server_pid_, SIGKILL);
      waitpid(server_pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(-server_pid_, SIGKILL);  // anything left in the group
  // Helpers that escaped the group (erl_child_setup, inet_gethost) exit with the VM; make sure.
  const auto wait_helpers = Clock::now() + std::chrono::seconds(5);
  for (pid_t pid : others) {
    while (kill(pid, 0) == 0 && Clock::now() < wait_helpers) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (kill(pid, 0) == 0) kill(pid, SIGKILL);
  }
  server_pid_ = 0;
}

void RabbitMqServer::Kill() {
  if (server_pid_ <= 0) return;
  std::set<pid_t> others = Descendants(server_pid_);
  kill(-server_pid_, SIGKILL);
  int status = 0;
  waitpid(server_pid_, &status, 0);
  for (pid_t pid : others) kill(pid, SIGKILL);
  server_pid_ = 0;
}

void RabbitMqServer::Signal(int sig) const {
  if (server_pid_ > 0) kill(-server_pid_, sig);
}

bool RabbitMqServer::Restart() {
  Stop();
  return Launch();
}

std::string RabbitMqServer::LogTail() const {
  return FileTail(dir_ + "/server.log") + FileTail(dir_ + "/log/rabbit@localhost.log");
}

int RabbitMqServer::Api(const std::string& method, const std::string& path,
                        const std::string& body, std::string* response) const {
  CURL* c = curl_easy_init();
  if (c == nullptr) return 0;
  std::string url = http_url() + path;
  curl_slist* headers = curl_slist_append(nullptr, "content-type: application/json");
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
  curl_easy_setopt(c, CURLOPT_USERPWD, "guest:guest");
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  if (response != nullptr) {
    response->clear();
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &Append);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, response);
  } else {
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &Discard);
  }
  if (!body.empty() || method == "PUT") curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
  long code = 0;
  if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  curl_slist_free_all(headers);
  curl_easy_cleanup(c);
  return static_cast<int>(code);
}

bool RabbitMqServer::AddVhost(const std::string& vhost) const {
  int a = Api("PUT", "/api/vhosts/" + vhost);
  int b = Api("PUT", "/api/permissions/" + vhost + "/guest",
              R"({"configure":".*","write":".*","read":".*"})");
  EXPECT_TRUE((a == 201 || a == 204) && (b == 201 || b == 204)) << vhost << ": " << a << " " << b;
  return (a == 201 || a == 204) && (b == 201 || b == 204);
}

bool RabbitMqServer::AddUser(const std::string& user, const std::string& password,
                             const std::string& vhost) const {
  int a = Api("PUT", "/api/users/" + user,
              R"({"password":")" + password + R"(","tags":"management"})");
  int b = vhost.empty() ? 204
                        : Api("PUT", "/api/permissions/" + vhost + "/" + user,
                              R"({"configure":".*","write":".*","read":".*"})");
  return (a == 201 || a == 204) && (b == 201 || b == 204);
}

bool RabbitMqServer::AddQueue(const std::string& vhost, const std::string& queue) const {
  int a = Api("PUT", "/api/queues/" + vhost + "/" + queue, R"({"durable":true})");
  EXPECT_TRUE(a == 201 || a == 204) << queue << ": " << a;
  return a == 201 || a == 204;
}

std::unique_ptr<AmqpTestClient> AmqpTestClient::Connect(int port, const std::string& vhost) {
  std::unique_ptr<AmqpTestClient> c(new AmqpTestClient());
  amqp_connection_state_t conn = amqp_new_connection();
  c->conn_ = conn;
  amqp_socket_t* socket = amqp_tcp_socket_new(conn);
  timeval tv{5, 0};
  if (amqp_socket_open_noblock(socket, "127.0.0.1", port, &tv) != AMQP_STATUS_OK) {
    ADD_FAILURE() << "AmqpTestClient: cannot connect to port " << port;
    return nullptr;
  }
  amqp_set_rpc_timeout(conn, &tv);
  if (amqp_login(conn, vhost.c_str(), 0, 131072, 0, AMQP_SASL_METHOD_PLAIN, "guest", "guest")
          .reply_type != AMQP_RESPONSE_NORMAL) {
    ADD_FAILURE() << "AmqpTestClient: login to vhost " << vhost << " failed";
    return nullptr;
  }
  amqp_channel_open(conn, 1);
  if (amqp_get_rpc_reply(conn).reply_type != AMQP_RESPONSE_NORMAL) {
    ADD_FAILURE() << "AmqpTestClient: channel.open failed";
    return nullptr;
  }
  return c;
}

AmqpTestClient::~AmqpTestClient() {
  auto conn = static_cast<amqp_connection_state_t>(conn_);
  if (conn == nullptr) return;
  amqp_connection_close(conn, AMQP_REPLY_SUCCESS);
  amqp_destroy_connection(conn);
}

bool AmqpTestClient::Publish(const std::string& queue, int n) {
  auto conn = static_cast<amqp_connection_state_t>(conn_);
  for (int i = 0; i < n; ++i) {
    if (amqp_basic_publish(conn, 1, amqp_cstring_bytes(""), amqp_cstring_bytes(queue.c_str()), 0,
                           0, nullptr, amqp_cstring_bytes("job")) != AMQP_STATUS_OK) {
      ADD_FAILURE() << "AmqpTestClient: publish to " << queue << " failed";
      return false;
    }
  }
  return true;
}

bool AmqpTestClient::PublishPersistent(const std::string& queue, int n) {
  auto conn = static_cast<amqp_connection_state_t>(conn_);
  amqp_confirm_select(conn, 1);
  if (amqp_get_rpc_reply(conn).reply_type != AMQP_RESPONSE_NORMAL) {
    ADD_FAILURE() << "AmqpTestClient: confirm.select failed";
    return false;
  }
  amqp_basic_properties_t props{};
  props._flags = AMQP_BASIC_DELIVERY_MODE_FLAG;
  props.delivery_mode = 2;  // persistent
  for (int i = 0; i < n; ++i) {
    if (amqp_basic_publish(conn, 1, amqp_cstring_bytes(""), amqp_cstring_bytes(queue.c_str()), 0,
                           0, &props, amqp_cstring_bytes("job")) != AMQP_STATUS_OK) {
      ADD_FAILURE() << "AmqpTestClient: publish to " << queue << " failed";
      return false;
    }
    // One basic.ack per message (no multiple acks with one message in flight).
    amqp_frame_t frame;
    timeval tv{10, 0};
    if (amqp_simple_wait_frame_noblock(conn, &frame, &tv) != AMQP_STATUS_OK ||
        frame.frame_type != AMQP_FRAME_METHOD || frame.payload.method.id != AMQP_BASIC_ACK_METHOD) {
      ADD_FAILURE() << "AmqpTestClient: no publisher confirm for message " << i;
      return false;
    }
  }
  return true;
}

int AmqpTestClient::Get(const std::string& queue, int n) {
  auto conn = static_cast<amqp_connection_state_t>(conn_);
  int got = 0;
  for (; got < n; ++got) {
    amqp_rpc_reply_t r = amqp_basic_get(conn, 1, amqp_cstring_bytes(queue.c_str()), 0);
    if (r.reply_type != AMQP_RESPONSE_NORMAL) {
      ADD_FAILURE() << "AmqpTestClient: basic.get failed";
      break;
    }
    if (r.reply.id != AMQP_BASIC_GET_OK_METHOD) break;  // empty
    held_.push_back(static_cast<amqp_basic_get_ok_t*>(r.reply.decoded)->delivery_tag);
    amqp_message_t message;
    if (amqp_read_message(conn, 1, &message, 0).reply_type != AMQP_RESPONSE_NORMAL) {
      ADD_FAILURE() << "AmqpTestClient: reading a message failed";
      break;
    }
    amqp_destroy_message(&message);
    amqp_maybe_release_buffers(conn);
  }
  return got;
}

int AmqpTestClient::Ack(int n) {
  auto conn = static_cast<amqp_connection_state_t>(conn_);
  int done = 0;
  while (done < n && !held_.empty()) {
    if (amqp_basic_ack(conn, 1, held_.front(), 0) != AMQP_STATUS_OK) break;
    held_.erase(held_.begin());
    ++done;
  }
  return done;
}

int AmqpTestClient::Requeue(int n) {
  auto conn = static_cast<amqp_connection_state_t>(conn_);
  int done = 0;
  while (done < n && !held_.empty()) {
    if (amqp_basic_reject(conn, 1, held_.front(), 1) != AMQP_STATUS_OK) break;
    held_.erase(held_.begin());
    ++done;
  }
  return done;
}

}  // namespace poolscaler::testing
