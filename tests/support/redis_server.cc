#include "support/redis_server.h"

#include "support/process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace poolscaler::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

std::string RedisBinary() {
  const char* env = std::getenv("POOLSCALER_REDIS_SERVER");
  return env != nullptr && *env != '\0' ? env : "redis-server";
}

// The value of a "requirepass" line in `config`, without quotes; "" if none.
std::string RequirePass(const std::string& config) {
  std::istringstream lines(config);
  std::string line;
  std::string password;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string key;
    words >> key;
    if (key != "requirepass") continue;
    words >> std::ws;
    std::getline(words, password);
    if (password.size() >= 2 && (password.front() == '"' || password.front() == '\'') &&
        password.back() == password.front()) {
      password = password.substr(1, password.size() - 2);
    }
  }
  return password;
}

RedisReply Convert(const redisReply& reply) {
  RedisReply out;
  switch (reply.type) {
    case REDIS_REPLY_INTEGER:
      out.kind = RedisReply::kInteger;
      out.integer = reply.integer;
      break;
    case REDIS_REPLY_STRING:
      out.kind = RedisReply::kString;
      out.str.assign(reply.str, reply.len);
      break;
    case REDIS_REPLY_STATUS:
      out.kind = RedisReply::kStatus;
      out.str.assign(reply.str, reply.len);
      break;
    case REDIS_REPLY_ERROR:
      out.kind = RedisReply::kError;
      out.str.assign(reply.str, reply.len);
      break;
    case REDIS_REPLY_ARRAY:
      out.kind = RedisReply::kArray;
      for (size_t i = 0; i < reply.elements; ++i) out.elements.push_back(Convert(*reply.element[i]));
      break;
    default:
      out.kind = RedisReply::kNil;
  }
  return out;
}

RedisReply Error(std::string text) {
  RedisReply reply;
  reply.kind = RedisReply::kError;
  reply.str = std::move(text);
  return reply;
}

}  // namespace

void RedisServer::ContextDeleter::operator()(redisContext* context) const { redisFree(context); }

RedisServer::RedisServer(std::string dir, int port, std::string password)
    : dir_(std::move(dir)), port_(port), password_(std::move(password)) {}

std::unique_ptr<RedisServer> RedisServer::Start(const std::string& extra_config) {
  signal(SIGPIPE, SIG_IGN);  // a test process must survive writes to a stopped server
  std::string pattern = (std::filesystem::temp_directory_path() / "poolscaler-redis-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    std::perror("RedisServer: mkdtemp");
    return nullptr;
  }
  const std::string dir = pattern;
  std::unique_ptr<RedisServer> server(new RedisServer(dir, 0, RequirePass(extra_config)));
  // Another process may take the port between FreeLoopbackPort() and redis-server's bind: try again.
  for (int attempt = 0; attempt < 3; ++attempt) {
    server->port_ = FreeLoopbackPort();
    if (server->port_ == 0) {
      std::fprintf(stderr, "RedisServer: no free loopback port\n");
      return nullptr;
    }
    std::ofstream conf(dir + "/redis.conf", std::ios::trunc);
    conf << "port " << server->port_ << "\nbind 127.0.0.1\nsave \"\"\nappendonly no\n"
         << "daemonize no\ndir " << dir << "\nlogfile " << dir << "/redis.log\n"
         << extra_config << "\n";
    conf.close();
    if (!conf) {
      std::fprintf(stderr, "RedisServer: cannot write %s/redis.conf\n", dir.c_str());
      return nullptr;
    }
    if (server->Launch()) return server;
  }
  return nullptr;
}

RedisServer::~RedisServer() {
  Stop();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::string RedisServer::address() const { return "127.0.0.1:" + std::to_string(port_); }

bool RedisServer::Launch() {
  const std::string binary = RedisBinary();
  const std::string conf = dir_ + "/redis.conf";
  const std::string output = dir_ + "/stdout.log";
  pid_t pid = fork();
  if (pid < 0) {
    std::perror("RedisServer: fork");
    return false;
  }
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);  // do not outlive a crashed test
    int fd = open(output.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
    }
    execlp(binary.c_str(), binary.c_str(), conf.c_str(), static_cast<char*>(nullptr));
    std::perror("exec redis-server");
    _exit(127);
  }
  pid_ = pid;
  const auto give_up = steady_clock::now() + std::chrono::seconds(10);
  std::string last;
  while (steady_clock::now() < give_up) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = 0;
      std::fprintf(stderr, "RedisServer: %s exited (status %d) on port %d\n%s%s\n", binary.c_str(),
                   status, port_, FileTail(output).c_str(), FileTail(dir_ + "/redis.log").c_str());
      return false;
    }
    RedisReply pong = Command({"PING"});
    if (pong.kind == RedisReply::kStatus && pong.str == "PONG") return true;
    last = pong.str;
    std::this_thread::sleep_for(milliseconds(20));
  }
  std::fprintf(stderr, "RedisServer: no PONG on port %d within 10 s (last: %s)\n%s\n", port_,
               last.c_str(), FileTail(dir_ + "/redis.log").c_str());
  Stop();
  return false;
}

void RedisServer::Stop() {
  Disconnect();
  StopChild(pid_);
}

bool RedisServer::Restart() {
  Stop();
  return Launch();
}

void RedisServer::Disconnect() { context_.reset(); }

RedisReply RedisServer::Command(const std::vector<std::string>& args) {
  if (!context_) {
    timeval connect_timeout{2, 0};
    context_.reset(redisConnectWithTimeout("127.0.0.1", port_, connect_timeout));
    if (!context_ || context_->err != 0) {
      std::string why = context_ ? context_->errstr : "out of memory";
      Disconnect();
      return Error("connect: " + why);
    }
    redisSetTimeout(context_.get(), timeval{10, 0});
    if (!password_.empty()) {
      RedisReply auth = Command({"AUTH", password_});
      if (auth.kind == RedisReply::kError) return auth;
    }
  }
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  for (const std::string& arg : args) {
    argv.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  void* raw = redisCommandArgv(context_.get(), static_cast<int>(argv.size()), argv.data(),
                               lengths.data());
  if (raw == nullptr) {
    std::string why = context_->errstr;
    Disconnect();
    return Error("I/O: " + why);
  }
  auto* reply = static_cast<redisReply*>(raw);
  RedisReply out = Convert(*reply);
  freeReplyObject(reply);
  return out;
}

long long RedisServer::CommandCalls(const std::string& command) {
  RedisReply info = Command({"INFO", "commandstats"});
  std::string key = "cmdstat_";
  for (char c : command) key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  key += ":calls=";
  size_t at = info.str.find(key);
  if (info.kind != RedisReply::kString || at == std::string::npos) return 0;
  return std::atoll(info.str.c_str() + at + key.size());
}

}  // namespace poolscaler::testing
