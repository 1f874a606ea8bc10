#include "amqp_connection.h"

#include <amqp.h>
#include <amqp_ssl_socket.h>
#include <amqp_tcp_socket.h>

#include <algorithm>
#include <cmath>
#include <optional>

#include <fmt/format.h>
#include "absl/status/status.h"
#include "poolscaler/common/text.h"

namespace poolscaler::sources {
namespace {

constexpr Duration kMinCallTimeout = std::chrono::milliseconds(1);
constexpr Duration kCloseTimeout = std::chrono::milliseconds(500);
constexpr amqp_channel_t kChannel = 1;
constexpr int kFrameMax = 131072;
constexpr int kReplySuccess = 200;
constexpr int kAccessRefused = 403;
constexpr int kNotFound = 404;
constexpr int kNotAllowed = 530;

timeval ToTimeval(Duration d) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::max(d, kMinCallTimeout)).count();
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(us / 1'000'000);
  tv.tv_usec = static_cast<suseconds_t>(us % 1'000'000);
  return tv;
}

std::string Text(amqp_bytes_t bytes) {
  return std::string(static_cast<const char*>(bytes.bytes), bytes.len);
}

// A server's close method (connection.close or channel.close): code and text.
struct ServerClose {
  bool connection = false;
  int code = 0;
  std::string text;
};

std::optional<ServerClose> CloseOf(const amqp_rpc_reply_t& reply) {
  if (reply.reply_type != AMQP_RESPONSE_SERVER_EXCEPTION) return std::nullopt;
  if (reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
    auto* m = static_cast<amqp_connection_close_t*>(reply.reply.decoded);
    return ServerClose{true, m->reply_code, Text(m->reply_text)};
  }
  if (reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
    auto* m = static_cast<amqp_channel_close_t*>(reply.reply.decoded);
    return ServerClose{false, m->reply_code, Text(m->reply_text)};
  }
  return ServerClose{false, 0, fmt::format("unexpected method 0x{:08x}", reply.reply.id)};
}

}  // namespace

struct AmqpConnection::State {
  amqp_connection_state_t conn = nullptr;
  bool channel_open = false;
  ~State() {
    if (conn != nullptr) amqp_destroy_connection(conn);
  }
};

AmqpConnection::AmqpConnection(config::RabbitMqParams params, const Clock& clock)
    : params_(std::move(params)), clock_(clock), claim_(clock) {}

AmqpConnection::~AmqpConnection() {
  if (state_ && state_->conn != nullptr) {
    timeval tv = ToTimeval(kCloseTimeout);
    amqp_set_rpc_timeout(state_->conn, &tv);
    amqp_connection_close(state_->conn, kReplySuccess);
  }
}

std::string AmqpConnection::Where() const {
  return fmt::format("rabbitmq at {} vhost {}", params_.Endpoint(), Quote(params_.vhost));
}

std::string AmqpConnection::Scrub(std::string text) const {
  for (const std::string* secret : {&params_.password.Reveal(), &params_.username}) {
    if (secret->size() < 4) continue;
    for (size_t at = text.find(*secret); at != std::string::npos; at = text.find(*secret, at)) {
      text.replace(at, secret->size(), "***");
    }
  }
  return text;
}

void AmqpConnection::Drop() { state_.reset(); }

absl::Status AmqpConnection::IoFailure(std::string what) {
  Drop();
  last_error_ = Scrub(std::move(what));
  backoff_.RecordFailure(clock_.Now());
  return absl::UnavailableError(last_error_);
}

absl::StatusOr<QueueDeclareResult> AmqpConnection::DeclarePassive(const std::string& queue,
                                                                  Duration call_timeout,
                                                                  TimePoint deadline) {
  CallClaim::Held claim = claim_.Acquire(deadline);
  if (!claim) {
    return absl::UnavailableError(
        fmt::format("{}: the shared connection stayed busy past the deadline", Where()));
  }
  bool reused = state_ != nullptr;
  if (!state_) {
    Duration wait = backoff_.Remaining(clock_.Now());
    if (wait > Duration::zero()) {
      return absl::UnavailableError(fmt::format("reconnecting to {} in {:.1f}s; last error: {}",
                                                Where(), std::ceil(ToSeconds(wait) * 10) / 10,
                                                last_error_));
    }
    if (absl::Status s = Connect(call_timeout, deadline); !s.ok()) return s;
  }
  bool io_failed = false;
  auto result = Declare(queue, call_timeout, deadline, &io_failed);
  if (io_failed && reused && clock_.Now() < deadline) {
    // The kept connection died while idle (broker restarted, heartbeat lapsed): one fresh try.
    Drop();
    if (absl::Status s = Connect(call_timeout, deadline); !s.ok()) return s;
    result = Declare(queue, call_timeout, deadline, &io_failed);
  }
  if (io_failed) return IoFailure(std::string(result.status().message()));
  if (result.ok()) backoff_.RecordSuccess();
  return result;
}

absl::Status AmqpConnection::Connect(Duration call_timeout, TimePoint deadline) {
  const timeval tv = ToTimeval(std::min(call_timeout, deadline - clock_.Now()));
  auto state = std::make_unique<State>();
  state->conn = amqp_new_connection();
  if (state->conn == nullptr) return absl::ResourceExhaustedError("rabbitmq-c: out of memory");
  amqp_socket_t* socket = nullptr;
  if (params_.tls) {
    socket = amqp_ssl_socket_new(state->conn);
    if (socket == nullptr) return absl::InternalError(fmt::format("{}: cannot create a TLS socket", Where()));
    amqp_ssl_socket_set_verify_peer(socket, 1);
    amqp_ssl_socket_set_verify_hostname(socket, 1);
    if (!params_.tls_ca_file.empty() &&
        amqp_ssl_socket_set_cacert(socket, params_.tls_ca_file.c_str()) != AMQP_STATUS_OK) {
      return absl::FailedPreconditionError(
          fmt::format("{}: cannot load tlsCaFile {}", Where(), Quote(params_.tls_ca_file)));
    }
    if (!params_.tls_cert_file.empty() &&
        amqp_ssl_socket_set_key(socket, params_.tls_cert_file.c_str(),
                                params_.tls_key_file.c_str()) != AMQP_STATUS_OK) {
      return absl::FailedPreconditionError(
          fmt::format("{}: cannot load tlsCertFile {} / tlsKeyFile {}", Where(),
                      Quote(params_.tls_cert_file), Quote(params_.tls_key_file)));
    }
  } else {
    socket = amqp_tcp_socket_new(state->conn);
    if (socket == nullptr) return absl::InternalError(fmt::format("{}: cannot create a socket", Where()));
  }
  timeval open_tv = tv;
  int rc = amqp_socket_open_noblock(socket, params_.host.c_str(), params_.port, &open_tv);
  if (rc != AMQP_STATUS_OK) {
    return IoFailure(fmt::format("cannot connect to {}: {}", Where(), amqp_error_string2(rc)));
  }
  amqp_set_handshake_timeout(state->conn, &tv);
  amqp_set_rpc_timeout(state->conn, &tv);
  const std::string user = params_.username.empty() ? "guest" : params_.username;
  const std::string password = params_.username.empty() ? "guest" : params_.password.Reveal();
  amqp_rpc_reply_t reply =
      amqp_login(state->conn, params_.vhost.c_str(), 0, kFrameMax, kAmqpHeartbeatSeconds,
                 AMQP_SASL_METHOD_PLAIN, user.c_str(), password.c_str());
  const std::string who = params_.username.empty() ? "the default guest user" : "the given credentials";
  if (std::optional<ServerClose> closed = CloseOf(reply)) {
    std::string text = Scrub(closed->text);
    if (closed->code == kNotAllowed && text.find("vhost") != std::string::npos) {
      return absl::NotFoundError(fmt::format("{}: vhost {} not found: {}", Where(),
                                             Quote(params_.vhost), text));
    }
    if (closed->code == kAccessRefused && text.find("vhost") != std::string::npos) {
      return absl::PermissionDeniedError(
          fmt::format("{}: {} may not access vhost {}: {}", Where(), who, Quote(params_.vhost), text));
    }
    if (closed->code == kAccessRefused) {
      return absl::UnauthenticatedError(fmt::format("{} refused the login ({}; wrong or unknown?): {}",
                                                    Where(), who, text));
    }
    return absl::FailedPreconditionError(
        fmt::format("{} refused the connection ({}): {}", Where(), closed->code, text));
  }
  if (reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION) {
    const int error = reply.library_error;
    if (error == AMQP_STATUS_CONNECTION_CLOSED || error == AMQP_STATUS_SOCKET_CLOSED) {
      // Brokers without authentication_failure_close just drop a refused login.
      return IoFailure(fmt::format("{} closed the connection during login ({}; credentials "
                                   "wrong or unknown?): {}", Where(), who, amqp_error_string2(error)));
    }
    if (error == AMQP_STATUS_SSL_ERROR || error == AMQP_STATUS_SSL_HOSTNAME_VERIFY_FAILED ||
        error == AMQP_STATUS_SSL_PEER_VERIFY_FAILED || error == AMQP_STATUS_SSL_CONNECTION_FAILED) {
      std::string hint = params_.tls_cert_file.empty()
                             ? "; if the broker verifies clients, give tlsCertFile and tlsKeyFile"
                             : "";
      return IoFailure(
          fmt::format("TLS to {} failed: {}{}", Where(), amqp_error_string2(error), hint));
    }
    return IoFailure(fmt::format("login to {} failed: {}", Where(), amqp_error_string2(error)));
  }
  if (reply.reply_type != AMQP_RESPONSE_NORMAL) {
    return IoFailure(fmt::format("login to {} failed", Where()));
  }
  state_ = std::move(state);
  return absl::OkStatus();
}

absl::StatusOr<QueueDeclareResult> AmqpConnection::Declare(const std::string& queue,
                                                           Duration call_timeout,
                                                           TimePoint deadline, bool* io_failed) {
  *io_failed = false;
  amqp_connection_state_t conn = state_->conn;
  const timeval tv = ToTimeval(std::min(call_timeout, deadline - clock_.Now()));
  amqp_set_rpc_timeout(conn, &tv);
  auto library_failure = [&](const amqp_rpc_reply_t& reply, std::string_view what) {
    *io_failed = true;
    int error = reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION ? reply.library_error : 0;
    std::string why = error == AMQP_STATUS_TIMEOUT
                          ? fmt::format("no answer within {}ms",
                                        std::chrono::duration_cast<std::chrono::milliseconds>(
                                            std::min(call_timeout, deadline - clock_.Now()))
                                            .count())
                          : std::string(amqp_error_string2(error));
    return absl::UnavailableError(fmt::format("{}: {}: {}", Where(), what, why));
  };
  auto server_failure = [&](const ServerClose& close, std::string_view what) -> absl::Status {
    amqp_connection_state_t c = state_->conn;
    if (close.connection) {
      amqp_connection_close_ok_t ok{};
      amqp_send_method(c, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &ok);
      *io_failed = true;  // the connection is gone
      return absl::UnavailableError(
          fmt::format("{} closed the connection ({}): {}", Where(), close.code, Scrub(close.text)));
    }
    amqp_channel_close_ok_t ok{};
    amqp_send_method(c, kChannel, AMQP_CHANNEL_CLOSE_OK_METHOD, &ok);
    state_->channel_open = false;
    std::string text = Scrub(close.text);
    if (close.code == kNotFound) {
      return absl::NotFoundError(fmt::format("queue {} not found in vhost {} on rabbitmq at {}: {}",
                                             Quote(queue), Quote(params_.vhost),
                                             params_.Endpoint(), text));
    }
    if (close.code == kAccessRefused) {
      return absl::PermissionDeniedError(fmt::format("{}: {} refused: {}", Where(), what, text));
    }
    return absl::FailedPreconditionError(
        fmt::format("{}: {} refused ({}): {}", Where(), what, close.code, text));
  };

  if (!state_->channel_open) {
    amqp_channel_open(conn, kChannel);
    amqp_rpc_reply_t reply = amqp_get_rpc_reply(conn);
    if (std::optional<ServerClose> closed = CloseOf(reply)) return server_failure(*closed, "channel.open");
    if (reply.reply_type != AMQP_RESPONSE_NORMAL) return library_failure(reply, "channel.open");
    state_->channel_open = true;
  }
  amqp_bytes_t name{queue.size(), const_cast<char*>(queue.data())};
  amqp_queue_declare_ok_t* ok =
      amqp_queue_declare(conn, kChannel, name, /*passive=*/1, 0, 0, 0, amqp_empty_table);
  amqp_rpc_reply_t reply = amqp_get_rpc_reply(conn);
  QueueDeclareResult result;
  if (ok != nullptr && reply.reply_type == AMQP_RESPONSE_NORMAL) {
    result.ready = ok->message_count;
    result.consumers = ok->consumer_count;
  }
  absl::Status status;
  if (std::optional<ServerClose> closed = CloseOf(reply)) {
    status = server_failure(*closed, fmt::format("queue.declare {}", Quote(queue)));
  } else if (reply.reply_type != AMQP_RESPONSE_NORMAL || ok == nullptr) {
    status = library_failure(reply, fmt::format("queue.declare {}", Quote(queue)));
  }
  if (state_ && !*io_failed) amqp_maybe_release_buffers(conn);
  if (!status.ok()) return status;
  return result;
}

std::shared_ptr<AmqpConnection> AmqpConnectionPool::Get(const config::RabbitMqParams& params) {
  return connections_.Get(config::RabbitMqConnectionKey(params),
                          [&] { return std::make_shared<AmqpConnection>(params, clock_); });
}

size_t AmqpConnectionPool::Size() { return connections_.Size(); }

}  // namespace poolscaler::sources
