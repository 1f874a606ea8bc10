#pragma once
// Real nats-server processes for integration tests (JetStream on, loopback ports, data in a fresh
// temporary directory, stopped by PID — never by name), a 3-node cluster helper, and a small
// nats.c client for publishing, creating streams/consumers, fetching, acking and nak'ing.
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "support/process.h"  // FreeLoopbackPort, used by tests with a NatsServer

typedef struct __natsConnection natsConnection;
typedef struct __natsMsg natsMsg;
typedef struct __natsSubscription natsSubscription;
typedef struct __jsCtx jsCtx;

namespace poolscaler::testing {

// Owns one nats-server child (`nats-server -c FILE` with JetStream) and its temporary directory.
// Not thread-safe.
class NatsServer {
 public:
  // Starts nats-server (binary from $POOLSCALER_NATS_SERVER or `nats-server`) on `port` (0: a
  // free one) with server_name `name` (default "n1") and `extra_config` appended to its config
  // file (authorization, cluster blocks). Waits until the client port accepts connections
  // (<= 10 s). Returns nullptr and prints why on failure.
  static std::unique_ptr<NatsServer> Start(const std::string& extra_config = "", int port = 0,
                                           const std::string& name = "n1");
  ~NatsServer();
  NatsServer(const NatsServer&) = delete;
  NatsServer& operator=(const NatsServer&) = delete;

  int port() const { return port_; }
  const std::string& name() const { return name_; }
  std::string url() const;  // "nats://127.0.0.1:PORT"
  pid_t pid() const { return pid_; }
  void Stop();     // SIGTERM by PID, waitpid (SIGKILL after 5 s)
  void Kill();     // SIGKILL by PID (a crash), waitpid
  bool Restart();  // start again on the same port and store dir
  // Start again on the same port and store dir with `extra_config` instead of the first one
  // (streams and consumers made without authorization stay, now behind it).
  bool RestartWith(const std::string& extra_config);
  std::string LogTail() const;

 private:
  NatsServer(std::string dir, int port, std::string name) : dir_(std::move(dir)), port_(port), name_(std::move(name)) {}
  void WriteConfig(const std::string& extra_config) const;
  bool Launch();

  std::string dir_;
  int port_ = 0;
  std::string name_;
  pid_t pid_ = 0;
};

// Three nats-servers n1..n3 routed to each other on loopback (cluster "c1"), JetStream on.
class NatsCluster {
 public:
  // Starts n1..n3 (each as NatsServer::Start); tries again on new ports (3 attempts) when a node
  // does not start. Returns nullptr and prints why on failure.
  static std::unique_ptr<NatsCluster> Start();
  NatsServer& node(size_t i) { return *nodes_[i]; }
  size_t size() const { return nodes_.size(); }
  // "nats://127.0.0.1:A,nats://127.0.0.1:B,nats://127.0.0.1:C"
  std::string urls() const;
  // The node whose server_name is `name`, or nullptr.
  NatsServer* ByName(const std::string& name);

 private:
  static std::unique_ptr<NatsCluster> TryStart();
  std::vector<std::unique_ptr<NatsServer>> nodes_;
};

// A nats.c client for test set-up. Every call fails the current test (ADD_FAILURE) on error and
// returns false / 0. Not thread-safe.
class NatsClient {
 public:
  // Connects to `urls` (comma-separated) with optional user/password (or a .creds file),
  // retrying for up to 10 s.
  static std::unique_ptr<NatsClient> Connect(const std::string& urls, const std::string& user = "",
                                             const std::string& password = "",
                                             const std::string& creds_file = "");
  ~NatsClient();

  // Creates a stream (file storage) with `subjects` and `replicas`, retrying while JetStream
  // is not ready (<= 10 s).
  bool AddStream(const std::string& stream, const std::vector<std::string>& subjects,
                 int replicas = 1);
  // Creates a durable pull consumer with explicit ack, ack_wait 5 min, filtered on `filter`.
  bool AddPullConsumer(const std::string& stream, const std::string& durable,
                       const std::string& filter, int replicas = 0);
  bool Publish(const std::string& subject, int n);
  // Fetches up to `n` messages for the durable consumer; keeps them un-acked; returns how many.
  int Fetch(const std::string& stream, const std::string& durable, int n);
  // Acks / naks the first `n` held messages of that consumer (and forgets them).
  int Ack(const std::string& durable, int n);
  int Nak(const std::string& durable, int n);
  // The stream's / consumer's cluster leader (server name), "" if unknown.
  std::string StreamLeader(const std::string& stream);
  std::string ConsumerLeader(const std::string& stream, const std::string& durable);
  // num_pending + num_ack_pending of the consumer, or -1 when JetStream does not answer (no
  // test failure: for probing a broker that is coming back).
  int64_t Outstanding(const std::string& stream, const std::string& durable);
  natsConnection* connection() { return nc_; }

 private:
  NatsClient() = default;
  natsSubscription* Subscription(const std::string& stream, const std::string& durable);
  int Settle(const std::string& durable, int n, bool ack);

  natsConnection* nc_ = nullptr;
  jsCtx* js_ = nullptr;
  struct Held {
    std::string durable;
    natsSubscription* sub = nullptr;
    std::vector<natsMsg*> messages;
  };
  std::vector<Held> held_;
};

}  // namespace poolscaler::testing
