#pragma once
// A real redis-server for integration tests: a child process on a free loopback port, with its
// data in a fresh temporary directory, stopped by PID (never by name).
#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

struct redisContext;

namespace poolscaler::testing {

// One reply, copied out of hiredis.
struct RedisReply {
  enum Kind { kNil, kInteger, kString, kStatus, kError, kArray } kind = kNil;
  long long integer = 0;
  std::string str;
  std::vector<RedisReply> elements;
};

// Owns one redis-server child process and its temporary directory; the destructor stops the
// process and removes the directory. Not thread-safe: use it from the test's thread.
class RedisServer {
 public:
  // Starts redis-server (binary from $POOLSCALER_REDIS_SERVER or `redis-server` on PATH) on a free
  // 127.0.0.1 port (bind port 0 to find one), no persistence, data in a fresh mkdtemp dir, extra
  // config lines appended (e.g. "requirepass x"). Waits until it answers PING (<= 10 s).
  // Returns nullptr and prints why if it cannot start.
  static std::unique_ptr<RedisServer> Start(const std::string& extra_config = "");
  ~RedisServer();  // Stop() then remove the temp dir
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  int port() const { return port_; }
  std::string address() const;  // "127.0.0.1:PORT"
  pid_t pid() const { return pid_; }  // 0 when stopped
  void Stop();     // SIGTERM by PID, waitpid (SIGKILL after 5 s); never pkill
  bool Restart();  // start again on the same port, wait for PING
  // Runs one command on a fresh or cached connection (with password if the config set one);
  // argv style, binary safe. Connection failures come back as a kError reply.
  RedisReply Command(const std::vector<std::string>& args);
  // `calls` of one entry of INFO commandstats, e.g. CommandCalls("xinfo|groups"),
  // CommandCalls("xlen"); 0 if absent.
  long long CommandCalls(const std::string& command);

 private:
  RedisServer(std::string dir, int port, std::string password);
  // Forks and execs redis-server on port_, then waits for PING; prints why and returns false
  // if it does not come up.
  bool Launch();
  void Disconnect();

  struct ContextDeleter {
    void operator()(redisContext* context) const;
  };

  std::string dir_;       // temporary directory holding redis.conf, redis.log and data
  int port_ = 0;
  std::string password_;  // from a "requirepass" line of the extra config
  pid_t pid_ = 0;
  std::unique_ptr<redisContext, ContextDeleter> context_;  // cached connection for Command()
};

}  // namespace poolscaler::testing
