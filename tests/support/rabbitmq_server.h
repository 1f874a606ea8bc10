#pragma once
// A real rabbitmq-server for integration tests (management plugin on), with its own epmd, node
// name, data and log directories in a temporary directory, and every port (AMQP, management,
// distribution, epmd) a free loopback port. Run as user `rabbitmq` when the test runs as root.
// Started under setsid; stopped by its PIDs (the server's process group, then any descendant
// left, then epmd) — never by name. Also a rabbitmq-c client and management API calls for
// test set-up.
#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "support/process.h"

namespace poolscaler::testing {

class RabbitMqServer {
 public:
  // Starts epmd and rabbitmq-server and waits until the management API answers (<= 90 s); tries
  // again on new ports (3 attempts) when either does not start.
  // `extra_config` is appended to rabbitmq.conf with "$AMQPS_PORT" and "$HTTPS_PORT" replaced by
  // free loopback ports (for TLS listeners). Returns nullptr and prints why on failure.
  static std::unique_ptr<RabbitMqServer> Start(const std::string& extra_config = "");
  ~RabbitMqServer();
  RabbitMqServer(const RabbitMqServer&) = delete;
  RabbitMqServer& operator=(const RabbitMqServer&) = delete;

  int amqp_port() const { return amqp_port_; }
  int http_port() const { return http_port_; }
  int amqps_port() const { return amqps_port_; }
  int https_port() const { return https_port_; }
  std::string amqp_url(const std::string& vhost = "") const;  // amqp://127.0.0.1:P[/vhost]
  std::string http_url() const;                                // http://127.0.0.1:P
  void Stop();      // the server only (epmd stays), SIGTERM then SIGKILL after 20 s
  void Kill();      // a crash: SIGKILL to the server's process group and its helpers at once
  void Signal(int sig) const;  // to the server's process group (SIGSTOP / SIGCONT)
  bool Restart();   // start again with the same ports and data (after Stop or Kill too)
  std::string LogTail() const;

  // Management API as guest: method + path ("/api/vhosts/v1") + JSON body; returns the HTTP
  // status (0 when unreachable).
  int Api(const std::string& method, const std::string& path, const std::string& body = "",
          std::string* response = nullptr) const;
  // Creates vhost `vhost` and gives guest full permissions on it.
  bool AddVhost(const std::string& vhost) const;
  bool AddUser(const std::string& user, const std::string& password, const std::string& vhost) const;
  bool AddQueue(const std::string& vhost, const std::string& queue) const;

 private:
  RabbitMqServer() = default;
  static std::unique_ptr<RabbitMqServer> TryStart(const std::string& extra_config);
  bool Launch();
  bool WaitReady();

  std::string dir_;
  int amqp_port_ = 0, http_port_ = 0, dist_port_ = 0, epmd_port_ = 0;
  int amqps_port_ = 0, https_port_ = 0;
  pid_t epmd_pid_ = 0;
  pid_t server_pid_ = 0;  // leader of the server's process group
};

// A rabbitmq-c client on one vhost, for publishing and consuming in tests. Fails the current
// test (ADD_FAILURE) on errors. Not thread-safe.
class AmqpTestClient {
 public:
  static std::unique_ptr<AmqpTestClient> Connect(int port, const std::string& vhost);
  ~AmqpTestClient();
  bool Publish(const std::string& queue, int n);
  // Persistent messages with publisher confirms: true once the broker has confirmed each one
  // (written to disk for a durable queue), so they survive a SIGKILL of the broker.
  bool PublishPersistent(const std::string& queue, int n);
  // basic.get `n` messages without acknowledging them (they stay unacked); returns how many.
  int Get(const std::string& queue, int n);
  int Ack(int n);             // acks the first n held messages
  int Requeue(int n);         // basic.reject requeue=true of the first n held messages

 private:
  AmqpTestClient() = default;
  void* conn_ = nullptr;  // amqp_connection_state_t
  std::vector<uint64_t> held_;
};

}  // namespace poolscaler::testing
