#include "poolscaler/sources/rabbitmq.h"

#include <algorithm>
#include <exception>
#include <map>
#include <regex>

#include <fmt/format.h>
#include "absl/status/status.h"
#include "poolscaler/common/text.h"
#include "poolscaler/sources/counter_window.h"
#include "poolscaler/sources/rabbitmq_json.h"
#include "amqp_connection.h"
#include "http_client.h"

namespace poolscaler::sources {
namespace {

using Params = config::RabbitMqParams;

constexpr size_t kMaxAmqpQueueName = 255;  // AMQP short string
constexpr char kColumns[] =
    "columns=name,messages_ready,messages_unacknowledged,consumers,message_stats";

// The per-queue counter windows behind the rate measures.
struct QueueRates {
  explicit QueueRates(Duration window) : publish(window), deliver(window), ack(window) {}
  CounterWindow publish, deliver, ack;
};

// One queue's measures before combining.
struct QueueMeasures {
  double ready = 0, unacked = 0, consumers = 0, publish = 0, deliver = 0, ack = 0;
};

double Combine(const std::vector<double>& values, Params::Operation op) {
  if (values.empty()) return 0;
  double sum = 0, max = values.front();
  for (double v : values) {
    sum += v;
    max = std::max(max, v);
  }
  switch (op) {
    case Params::Operation::kMax: return max;
    case Params::Operation::kAvg: return sum / static_cast<double>(values.size());
    case Params::Operation::kSum: break;
  }
  return sum;
}

// A rabbitmq source over the management API. Not thread-safe (see Source).
class HttpSource final : public Source {
 public:
  HttpSource(config::SourceSpec spec, const Clock& clock)
      : spec_(std::move(spec)),
        params_(std::get<Params>(spec_.params)),
        clock_(clock),
        http_(HttpOptions{params_.username.empty() ? "guest" : params_.username,
                          params_.username.empty() ? Secret("guest") : params_.password,
                          params_.tls_ca_file, params_.tls_cert_file, params_.tls_key_file}) {
    if (params_.use_regex) {
      regex_ = std::regex(params_.queue, std::regex::ECMAScript | std::regex::optimize);
    }
  }

  const config::SourceSpec& spec() const override { return spec_; }

  absl::StatusOr<Reading> Sample(TimePoint deadline) override {
    try {
      return SampleOnce(deadline);
    } catch (const std::exception& e) {
      return absl::InternalError(fmt::format("rabbitmq sample failed: {}", e.what()));
    } catch (...) {
      return absl::InternalError("rabbitmq sample failed with an unknown exception");
    }
  }

 private:
  absl::StatusOr<Reading> SampleOnce(TimePoint deadline);
  absl::StatusOr<HttpResponse> Get(const std::string& path, TimePoint deadline) {
    Duration timeout = std::min(spec_.timeout, deadline - clock_.Now());
    auto response = http_.Get(Base() + path, timeout);
    if (!response.ok()) {
      return absl::Status(response.status().code(),
                          fmt::format("rabbitmq management API at {}: {}", params_.Endpoint(),
                                      Scrub(std::string(response.status().message()))));
    }
    return response;
  }
  // The status for a non-200 answer to a queue request.
  absl::Status Refused(const HttpResponse& response, TimePoint deadline);
  std::string Base() const { return params_.Endpoint() + "/api"; }
  std::string VhostPath() const { return "/" + EncodePathSegment(params_.vhost); }
  std::string Scrub(std::string text) const {
    for (const std::string* secret : {&params_.password.Reveal(), &params_.username}) {
      if (secret->size() < 4) continue;
      for (size_t at = text.find(*secret); at != std::string::npos; at = text.find(*secret, at)) {
        text.replace(at, secret->size(), "***");
      }
    }
    return text;
  }
  QueueMeasures Measure(const QueueStats& q, TimePoint now);

  const config::SourceSpec spec_;
  const Params& params_;  // inside spec_
  const Clock& clock_;
  HttpClient http_;
  std::regex regex_;
  std::map<std::string, QueueRates> rates_;  // by queue name
};

absl::StatusOr<Reading> HttpSource::SampleOnce(TimePoint deadline) {
  std::vector<QueueStats> queues;
  if (params_.use_regex) {
    auto response = Get(fmt::format("/queues{}?{}", VhostPath(), kColumns), deadline);
    if (!response.ok()) return response.status();
    if (response->status != 200) return Refused(*response, deadline);
    auto list = DecodeQueueList(response->body);
    if (!list.ok()) {
      return absl::FailedPreconditionError(fmt::format(
          "unexpected queue list from rabbitmq at {}: {}", params_.Endpoint(), std::string(list.status().message())));
    }
    for (QueueStats& q : *list) {
      if (std::regex_search(q.name, regex_)) queues.push_back(std::move(q));
    }
    if (queues.empty()) {
      return absl::NotFoundError(fmt::format("no queue in vhost {} on rabbitmq at {} matches regex {}",
                                             Quote(params_.vhost), params_.Endpoint(),
                                             Quote(params_.queue)));
    }
  } else {
    auto response = Get(fmt::format("/queues{}/{}", VhostPath(), EncodePathSegment(params_.queue)),
                        deadline);
    if (!response.ok()) return response.status();
    if (response->status != 200) return Refused(*response, deadline);
    auto queue = DecodeQueue(response->body);
    if (!queue.ok()) {
      return absl::FailedPreconditionError(fmt::format(
          "unexpected queue info from rabbitmq at {}: {}", params_.Endpoint(), std::string(queue.status().message())));
    }
    queues.push_back(std::move(*queue));
  }
  for (const QueueStats& q : queues) {
    if (!q.ready || !q.unacked || !q.consumers) {
      return absl::UnavailableError(fmt::format(
          "rabbitmq at {} has no statistics for queue {} in vhost {} yet", params_.Endpoint(),
          Quote(q.name), Quote(params_.vhost)));
    }
  }
  const TimePoint now = clock_.Now();
  std::vector<QueueMeasures> measured;
  for (const QueueStats& q : queues) measured.push_back(Measure(q, now));
  // Forget the windows of queues that are gone.
  std::erase_if(rates_, [&](const auto& entry) {
    return std::none_of(queues.begin(), queues.end(),
                        [&](const QueueStats& q) { return q.name == entry.first; });
  });
  auto combine = [&](double QueueMeasures::*field) {
    std::vector<double> values;
    for (const QueueMeasures& m : measured) values.push_back(m.*field);
    return Combine(values, params_.operation);
  };
  std::vector<double> outstanding;
  for (const QueueMeasures& m : measured) outstanding.push_back(m.ready + m.unacked);
  Reading reading;
  reading.measures[config::kMeasureReady] = combine(&QueueMeasures::ready);
  reading.measures[config::kMeasureUnacked] = combine(&QueueMeasures::unacked);
  reading.measures[config::kMeasureOutstanding] = Combine(outstanding, params_.operation);
  reading.measures[config::kMeasureConsumers] = combine(&QueueMeasures::consumers);
  reading.measures[config::kMeasurePublishRate] = combine(&QueueMeasures::publish);
  reading.measures[config::kMeasureDeliverRate] = combine(&QueueMeasures::deliver);
  reading.measures[config::kMeasureAckRate] = combine(&QueueMeasures::ack);
  // Counters for drain-time mode: summed whatever the operation (a max of counters is no
  // counter).
  double arrived = 0, completed = 0;
  for (const QueueStats& q : queues) {
    arrived += q.publish_count;
    completed += q.ack_count + q.no_ack_count;
  }
  reading.measures[config::kMeasureArrivedTotal] = arrived;
  reading.measures[config::kMeasureCompletedTotal] = completed;
  if (params_.use_regex) reading.note = fmt::format("{} queues matched", queues.size());
  return reading;
}

QueueMeasures HttpSource::Measure(const QueueStats& q, TimePoint now) {
  QueueRates& rates = rates_.try_emplace(q.name, params_.rate_window).first->second;
  rates.publish.Add(now, q.publish_count);
  rates.deliver.Add(now, q.deliver_get_count);
  rates.ack.Add(now, q.ack_count);
  QueueMeasures m;
  m.ready = *q.ready;
  m.unacked = *q.unacked;
  m.consumers = *q.consumers;
  // Until the window has two samples, the broker's own recent rate.
  m.publish = rates.publish.Rate().value_or(q.publish_rate);
  m.deliver = rates.deliver.Rate().value_or(q.deliver_get_rate);
  m.ack = rates.ack.Rate().value_or(q.ack_rate);
  return m;
}

absl::Status HttpSource::Refused(const HttpResponse& response, TimePoint deadline) {
  std::string reason = Scrub(ManagementErrorReason(response.body));
  std::string suffix = reason.empty() ? "" : fmt::format(": {}", reason);
  const std::string where = fmt::format("rabbitmq management API at {}", params_.Endpoint());
  const char* who = params_.username.empty() ? "the default guest user" : "the given credentials";
  switch (response.status) {
    case 401:
      return absl::UnauthenticatedError(fmt::format(
          "{} refused the login ({}; wrong or unknown, or the user lacks the management tag?) "
          "(HTTP 401){}", where, who, suffix));
    case 403:
      return absl::PermissionDeniedError(fmt::format("{}: {} may not read vhost {} (HTTP 403){}",
                                                     where, who, Quote(params_.vhost), suffix));
    case 404: {
      // Which is missing: the vhost or the queue?
      auto vhost = Get("/vhosts" + VhostPath(), deadline);
      if (vhost.ok() && vhost->status == 404) {
        return absl::NotFoundError(fmt::format("vhost {} not found on rabbitmq at {}",
                                               Quote(params_.vhost), params_.Endpoint()));
      }
      if (params_.use_regex) {
        return absl::NotFoundError(fmt::format("{}: no queue list for vhost {} (HTTP 404){}", where,
                                               Quote(params_.vhost), suffix));
      }
      return absl::NotFoundError(fmt::format("queue {} not found in vhost {} on rabbitmq at {}",
                                             Quote(params_.queue), Quote(params_.vhost),
                                             params_.Endpoint()));
    }
    default:
      break;
  }
  std::string message = fmt::format("{}: HTTP {}{}", where, response.status, suffix);
  if (response.status >= 500) return absl::UnavailableError(message);
  return absl::FailedPreconditionError(message);
}

// A rabbitmq source over AMQP. Holds a shared connection; not thread-safe (see Source).
class AmqpSource final : public Source {
 public:
  AmqpSource(config::SourceSpec spec, std::shared_ptr<AmqpConnection> connection)
      : spec_(std::move(spec)),
        params_(std::get<Params>(spec_.params)),
        connection_(std::move(connection)) {}

  const config::SourceSpec& spec() const override { return spec_; }

  absl::StatusOr<Reading> Sample(TimePoint deadline) override {
    try {
      auto result = connection_->DeclarePassive(params_.queue, spec_.timeout, deadline);
      if (!result.ok()) return result.status();
      Reading reading;
      reading.measures[config::kMeasureReady] = result->ready;
      reading.measures[config::kMeasureConsumers] = result->consumers;
      return reading;
    } catch (const std::exception& e) {
      return absl::InternalError(fmt::format("rabbitmq sample failed: {}", e.what()));
    } catch (...) {
      return absl::InternalError("rabbitmq sample failed with an unknown exception");
    }
  }

 private:
  const config::SourceSpec spec_;
  const Params& params_;  // inside spec_
  std::shared_ptr<AmqpConnection> connection_;
};

}  // namespace

RabbitMqFactory::RabbitMqFactory() : RabbitMqFactory(RealClock::Instance()) {}

RabbitMqFactory::RabbitMqFactory(const Clock& clock)
    : clock_(clock), pool_(std::make_shared<AmqpConnectionPool>(clock)) {}

RabbitMqFactory::~RabbitMqFactory() = default;

size_t RabbitMqFactory::AmqpConnections() const { return pool_->Size(); }

absl::StatusOr<std::unique_ptr<Source>> RabbitMqFactory::Create(const config::SourceSpec& spec) {
  const auto* params = std::get_if<Params>(&spec.params);
  if (spec.kind != config::kRabbitMq || params == nullptr) {
    return absl::InvalidArgumentError(fmt::format("source {}: kind {} is not {}", Quote(spec.name),
                                                  Quote(spec.kind), config::kRabbitMq));
  }
  const bool amqp = params->protocol == Params::Protocol::kAmqp;
  std::string problem;
  if (params->host.empty()) problem = "no host";
  else if (params->port < 1 || params->port > 65535) problem = fmt::format("port {} out of range", params->port);
  else if (params->queue.empty()) problem = "no queue";
  else if (params->vhost.empty()) problem = "no vhost";
  else if (amqp && params->use_regex) problem = "useRegex needs the management API (http:// host)";
  else if (amqp && params->mode == Params::Mode::kMessageRate) problem = "MessageRate needs the management API (http:// host)";
  else if (amqp && params->queue.size() > kMaxAmqpQueueName) problem = "queue name longer than 255 bytes";
  if (problem.empty() && params->use_regex) {
    try {
      std::regex check(params->queue, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      problem = fmt::format("queueName {} is not a valid regex: {}", Quote(params->queue), e.what());
    }
  }
  if (!problem.empty()) {
    return absl::InvalidArgumentError(fmt::format("source {}: {}", Quote(spec.name), problem));
  }
  if (amqp) return std::make_unique<AmqpSource>(spec, pool_->Get(*params));
  return std::make_unique<HttpSource>(spec, clock_);
}

}  // namespace poolscaler::sources
