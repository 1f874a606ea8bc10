// RabbitMQ jobs with rabbitmq-c: basic.consume with prefetch 1 and manual acks (cancelled
// before the last ack, so nothing is left prefetched to a worker that leaves); a publisher with
// publisher confirms and persistent messages on a durable queue.
#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <fmt/format.h>

#include "poolscaler/jobs/queues.h"

namespace poolscaler::jobs {
namespace {

constexpr amqp_channel_t kChannel = 1;

std::string ReplyText(const amqp_rpc_reply_t& r) {
  switch (r.reply_type) {
    case AMQP_RESPONSE_NORMAL:
      return "ok";
    case AMQP_RESPONSE_NONE:
      return "no reply";
    case AMQP_RESPONSE_LIBRARY_EXCEPTION:
      return amqp_error_string2(r.library_error);
    case AMQP_RESPONSE_SERVER_EXCEPTION:
      if (r.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
        auto* m = static_cast<amqp_connection_close_t*>(r.reply.decoded);
        return fmt::format("connection closed by the broker: {} {}", m->reply_code,
                           std::string(static_cast<char*>(m->reply_text.bytes), m->reply_text.len));
      }
      if (r.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
        auto* m = static_cast<amqp_channel_close_t*>(r.reply.decoded);
        return fmt::format("channel closed by the broker: {} {}", m->reply_code,
                           std::string(static_cast<char*>(m->reply_text.bytes), m->reply_text.len));
      }
      return fmt::format("broker exception (method {:#x})", r.reply.id);
  }
  return "unknown reply";
}

// One connection with channel 1 open; closed when destroyed. `where` is host:port/vhost (no
// credentials).
class AmqpLink {
 public:
  static absl::StatusOr<std::unique_ptr<AmqpLink>> Open(const std::string& url) {
    std::string buffer = url;  // amqp_parse_url edits it in place; the info points into it
    amqp_connection_info info;
    amqp_default_connection_info(&info);
    if (amqp_parse_url(buffer.data(), &info) != AMQP_STATUS_OK) {
      return absl::InvalidArgumentError(
          "rabbitmq url: expected amqp://[user:password@]host:port[/vhost] (value not shown: it "
          "may hold a password)");
    }
    auto link = std::unique_ptr<AmqpLink>(new AmqpLink());
    link->where_ = fmt::format("{}:{}/{}", info.host, info.port, info.vhost);
    link->conn_ = amqp_new_connection();
    amqp_socket_t* socket = amqp_tcp_socket_new(link->conn_);
    timeval tv{5, 0};
    if (socket == nullptr ||
        amqp_socket_open_noblock(socket, info.host, info.port, &tv) != AMQP_STATUS_OK) {
      return absl::UnavailableError(fmt::format("cannot connect to rabbitmq at {}", link->where_));
    }
    amqp_set_rpc_timeout(link->conn_, &tv);
    amqp_rpc_reply_t r = amqp_login(link->conn_, info.vhost, 0, 131072, 0, AMQP_SASL_METHOD_PLAIN,
                                    info.user, info.password);
    if (r.reply_type != AMQP_RESPONSE_NORMAL) {
      return absl::UnauthenticatedError(
          fmt::format("rabbitmq login at {}: {}", link->where_, ReplyText(r)));
    }
    amqp_channel_open(link->conn_, kChannel);
    if (r = amqp_get_rpc_reply(link->conn_); r.reply_type != AMQP_RESPONSE_NORMAL) {
      return absl::UnavailableError(
          fmt::format("rabbitmq channel.open at {}: {}", link->where_, ReplyText(r)));
    }
    link->open_ = true;
    return link;
  }
  ~AmqpLink() {
    if (conn_ == nullptr) return;
    if (open_) {
      amqp_channel_close(conn_, kChannel, AMQP_REPLY_SUCCESS);
      amqp_connection_close(conn_, AMQP_REPLY_SUCCESS);
    }
    amqp_destroy_connection(conn_);
  }
  amqp_connection_state_t conn() const { return conn_; }
  const std::string& where() const { return where_; }
  // The last RPC's reply, as an error naming `what` unless it was normal.
  absl::Status Check(const std::string& what) const {
    amqp_rpc_reply_t r = amqp_get_rpc_reply(conn_);
    if (r.reply_type == AMQP_RESPONSE_NORMAL) return absl::OkStatus();
    return absl::UnavailableError(fmt::format("{} at {}: {}", what, where_, ReplyText(r)));
  }

 private:
  AmqpLink() = default;
  amqp_connection_state_t conn_ = nullptr;
  bool open_ = false;
  std::string where_;
};

absl::Status DeclareQueue(AmqpLink& link, const std::string& queue) {
  amqp_queue_declare(link.conn(), kChannel, amqp_cstring_bytes(queue.c_str()), 0, 1, 0, 0,
                     amqp_empty_table);
  return link.Check("queue.declare " + queue);
}

class RabbitJobConsumer final : public JobConsumer {
 public:
  RabbitJobConsumer(std::unique_ptr<AmqpLink> link, std::string tag)
      : link_(std::move(link)), tag_(std::move(tag)) {}

  absl::StatusOr<std::optional<Delivery>> Next(Duration wait) override {
    amqp_connection_state_t conn = link_->conn();
    amqp_maybe_release_buffers(conn);
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(wait).count();
    timeval tv{static_cast<time_t>(us / 1000000), static_cast<suseconds_t>(us % 1000000)};
    amqp_envelope_t env;
    amqp_rpc_reply_t r = amqp_consume_message(conn, &env, &tv, 0);
    if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION && r.library_error == AMQP_STATUS_TIMEOUT) {
      return std::nullopt;
    }
    if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
        r.library_error == AMQP_STATUS_UNEXPECTED_STATE) {
      // Some other frame came first: a consumer cancelled by the broker or a closed channel.
      amqp_frame_t frame;
      if (amqp_simple_wait_frame(conn, &frame) == AMQP_STATUS_OK &&
          frame.frame_type == AMQP_FRAME_METHOD) {
        return absl::UnavailableError(fmt::format("consuming at {}: the broker sent method {:#x}",
                                                  link_->where(), frame.payload.method.id));
      }
      return absl::UnavailableError(
          fmt::format("consuming at {}: unexpected frame", link_->where()));
    }
    if (r.reply_type != AMQP_RESPONSE_NORMAL) {
      return absl::UnavailableError(
          fmt::format("consuming at {}: {}", link_->where(), ReplyText(r)));
    }
    std::string body(static_cast<char*>(env.message.body.bytes), env.message.body.len);
    uint64_t tag = env.delivery_tag;
    bool redelivered = env.redelivered != 0;
    amqp_destroy_envelope(&env);
    absl::StatusOr<std::pair<std::string, int64_t>> parsed = ParseJobBody(body);
    if (!parsed.ok()) {
      amqp_basic_reject(conn, kChannel, tag, 0);  // unreadable: dropped, not redelivered forever
      return parsed.status();
    }
    current_ = tag;
    return Delivery{parsed->first, parsed->second, redelivered ? 2 : 1};
  }

  absl::Status Ack(bool last) override {
    if (current_ == 0) return absl::FailedPreconditionError("ack: no job outstanding");
    if (last && !tag_.empty()) {
      amqp_basic_cancel(link_->conn(), kChannel, amqp_cstring_bytes(tag_.c_str()));
      if (absl::Status st = link_->Check("basic.cancel"); !st.ok()) return st;
      tag_.clear();
    }
    int rc = amqp_basic_ack(link_->conn(), kChannel, current_, 0);
    current_ = 0;
    if (rc != AMQP_STATUS_OK) {
      return absl::UnavailableError(
          fmt::format("basic.ack at {}: {}", link_->where(), amqp_error_string2(rc)));
    }
    return absl::OkStatus();
  }

  void Close() override { link_.reset(); }  // channel.close and connection.close are RPCs

 private:
  std::unique_ptr<AmqpLink> link_;
  std::string tag_;       // consumer tag; empty once cancelled
  uint64_t current_ = 0;  // delivery tag of the outstanding job
};

class RabbitJobPublisher final : public JobPublisher {
 public:
  RabbitJobPublisher(std::unique_ptr<AmqpLink> link, std::string queue)
      : link_(std::move(link)), queue_(std::move(queue)) {}

  absl::Status Publish(const std::string& destination, const std::string& id,
                       int64_t size_kb) override {
    if (destination != queue_) {
      return absl::InvalidArgumentError(fmt::format(
          "rabbitmq publisher of queue {} asked to publish to {}", queue_, destination));
    }
    amqp_connection_state_t conn = link_->conn();
    std::string body = JobBody(id, size_kb);
    amqp_basic_properties_t props;
    props._flags = AMQP_BASIC_DELIVERY_MODE_FLAG;
    props.delivery_mode = 2;  // persistent
    int rc =
        amqp_basic_publish(conn, kChannel, amqp_empty_bytes, amqp_cstring_bytes(queue_.c_str()), 1,
                           0, &props, amqp_cstring_bytes(body.c_str()));
    if (rc != AMQP_STATUS_OK) {
      return absl::UnavailableError(
          fmt::format("publish to {} at {}: {}", queue_, link_->where(), amqp_error_string2(rc)));
    }
    ++sequence_;
    return WaitConfirm();
  }

 private:
  // Reads frames until the broker acks (or nacks) message `sequence_`.
  absl::Status WaitConfirm() {
    amqp_connection_state_t conn = link_->conn();
    bool returned = false;
    while (true) {
      amqp_frame_t frame;
      timeval tv{5, 0};
      int rc = amqp_simple_wait_frame_noblock(conn, &frame, &tv);
      if (rc != AMQP_STATUS_OK) {
        return absl::UnavailableError(fmt::format("no publisher confirm from {}: {}",
                                                  link_->where(), amqp_error_string2(rc)));
      }
      if (frame.frame_type != AMQP_FRAME_METHOD) continue;
      switch (frame.payload.method.id) {
        case AMQP_BASIC_ACK_METHOD: {
          auto* ack = static_cast<amqp_basic_ack_t*>(frame.payload.method.decoded);
          if (ack->delivery_tag < sequence_) continue;
          if (returned)
            return absl::NotFoundError(
                fmt::format("queue {} not found at {}", queue_, link_->where()));
          return absl::OkStatus();
        }
        case AMQP_BASIC_NACK_METHOD:
          return absl::UnavailableError(
              fmt::format("rabbitmq at {} refused a message for {}", link_->where(), queue_));
        case AMQP_BASIC_RETURN_METHOD: {  // unroutable (mandatory): the message follows
          amqp_message_t message;
          if (amqp_read_message(conn, frame.channel, &message, 0).reply_type ==
              AMQP_RESPONSE_NORMAL) {
            amqp_destroy_message(&message);
          }
          returned = true;
          continue;
        }
        default:
          return absl::UnavailableError(
              fmt::format("publishing at {}: the broker sent method {:#x}", link_->where(),
                          frame.payload.method.id));
      }
    }
  }

  std::unique_ptr<AmqpLink> link_;
  const std::string queue_;
  uint64_t sequence_ = 0;  // publish sequence number since confirm.select
};

}  // namespace

absl::StatusOr<std::unique_ptr<JobConsumer>> RabbitMqConsumer(const std::string& url,
                                                              const std::string& queue) {
  absl::StatusOr<std::unique_ptr<AmqpLink>> link = AmqpLink::Open(url);
  if (!link.ok()) return link.status();
  amqp_connection_state_t conn = (*link)->conn();
  amqp_basic_qos(conn, kChannel, 0, 1, 0);
  if (absl::Status st = (*link)->Check("basic.qos"); !st.ok()) return st;
  amqp_basic_consume_ok_t* ok =
      amqp_basic_consume(conn, kChannel, amqp_cstring_bytes(queue.c_str()), amqp_empty_bytes, 0, 0,
                         0, amqp_empty_table);
  if (absl::Status st = (*link)->Check("basic.consume " + queue); !st.ok() || ok == nullptr) {
    return st.ok() ? absl::UnavailableError("basic.consume " + queue + ": no reply") : st;
  }
  std::string tag(static_cast<char*>(ok->consumer_tag.bytes), ok->consumer_tag.len);
  return std::make_unique<RabbitJobConsumer>(std::move(*link), std::move(tag));
}

absl::StatusOr<std::unique_ptr<JobPublisher>> RabbitMqPublisher(const std::string& url,
                                                                const std::string& queue) {
  absl::StatusOr<std::unique_ptr<AmqpLink>> link = AmqpLink::Open(url);
  if (!link.ok()) return link.status();
  if (absl::Status st = DeclareQueue(**link, queue); !st.ok()) return st;
  amqp_confirm_select((*link)->conn(), kChannel);
  if (absl::Status st = (*link)->Check("confirm.select"); !st.ok()) return st;
  return std::make_unique<RabbitJobPublisher>(std::move(*link), queue);
}

}  // namespace poolscaler::jobs
