// poolscaler-worker: one replica of a queue-fed worker pool, as `poolscaler local` runs them.
// Takes one job at a time from NATS JetStream (durable pull consumer), Redis Streams (consumer
// group) or RabbitMQ (basic.consume, prefetch 1), works on it for --job-ms, appends
// "<id> <delivery> <worker>" to --record, then acks. SIGTERM/SIGINT: finishes the job in hand,
// acks it, leaves the broker tidily and exits 0. Broker failures exit 1 (the driver, like a
// Deployment, starts a replacement).
#include <fmt/format.h>
#include <nats/nats.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "poolscaler/common/duration.h"
#include "poolscaler/common/log.h"
#include "poolscaler/jobs/queues.h"
#include "record_file.h"

namespace {

using namespace poolscaler;

// SIGTERM and SIGINT stay blocked in every thread (set before nats.c starts any) and are
// polled between jobs, so no system call is ever interrupted mid-job.
sigset_t StopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

bool StopRequested(const sigset_t& set) {
  timespec zero{0, 0};
  return sigtimedwait(&set, nullptr, &zero) > 0;
}

// Sleeps `ms` of work, whatever signals arrive meanwhile (the job is finished, not abandoned).
void Work(int64_t ms) {
  timespec until;
  clock_gettime(CLOCK_MONOTONIC, &until);
  until.tv_sec += ms / 1000;
  until.tv_nsec += (ms % 1000) * 1000000;
  if (until.tv_nsec >= 1000000000) {
    until.tv_sec += 1;
    until.tv_nsec -= 1000000000;
  }
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, nullptr) == EINTR) {
  }
}

struct Options {
  std::string broker, url, stream, consumer, group, queue, name, record;
  int64_t job_ms = 200;
  std::string claim_idle = "30s";
};

absl::StatusOr<std::unique_ptr<jobs::JobConsumer>> Connect(const Options& o) {
  auto need = [](const std::string& value, const char* flag) -> absl::Status {
    if (!value.empty()) return absl::OkStatus();
    return absl::InvalidArgumentError(fmt::format("{} is required for this --broker", flag));
  };
  if (o.broker == "nats") {
    if (absl::Status st = need(o.stream, "--stream"); !st.ok()) return st;
    if (absl::Status st = need(o.consumer, "--consumer"); !st.ok()) return st;
    return jobs::NatsConsumer(o.url, o.stream, o.consumer);
  }
  if (o.broker == "redis") {
    if (absl::Status st = need(o.stream, "--stream"); !st.ok()) return st;
    if (absl::Status st = need(o.group, "--group"); !st.ok()) return st;
    absl::StatusOr<Duration> idle = ParseDuration("--claim-idle", o.claim_idle);
    if (!idle.ok()) return idle.status();
    return jobs::RedisConsumer(o.url, o.stream, o.group, o.name, *idle);
  }
  if (absl::Status st = need(o.queue, "--queue"); !st.ok()) return st;
  return jobs::RabbitMqConsumer(o.url, o.queue);
}

int Run(const Options& o) {
  const sigset_t stop = StopSignals();
  jobs::RecordFile record;
  if (absl::Status st = record.Open(o.record); !st.ok()) {
    log::Error("cannot start", {{"error", std::string(st.message())}});
    return 2;
  }
  absl::StatusOr<std::unique_ptr<jobs::JobConsumer>> consumer = Connect(o);
  if (!consumer.ok()) {
    log::Error("cannot start",
               {{"worker", o.name}, {"error", std::string(consumer.status().message())}});
    return consumer.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  log::Info("worker ready", {{"worker", o.name}, {"broker", o.broker}});
  int64_t done = 0;
  int code = 0;
  while (!StopRequested(stop)) {
    absl::StatusOr<std::optional<jobs::Delivery>> job = (*consumer)->Next(std::chrono::seconds(1));
    if (!job.ok()) {
      log::Error("cannot take a job",
                 {{"worker", o.name}, {"error", std::string(job.status().message())}});
      if (job.status().code() == absl::StatusCode::kInvalidArgument) continue;  // a bad body
      code = 1;
      break;
    }
    if (!job->has_value()) continue;
    const jobs::Delivery& d = **job;
    Work(o.job_ms);
    // Recorded before the ack: a job acked but not recorded would look lost; one recorded but
    // not acked is delivered again and recorded twice, which the record shows as a redelivery.
    if (absl::Status st = record.Append(fmt::format("{} {} {}", d.id, d.delivery_count, o.name));
        !st.ok()) {
      log::Error("cannot record a job", {{"worker", o.name}, {"error", std::string(st.message())}});
      code = 1;
      break;
    }
    bool last = StopRequested(stop);
    if (absl::Status st = (*consumer)->Ack(last); !st.ok()) {
      log::Error("cannot ack",
                 {{"worker", o.name}, {"job", d.id}, {"error", std::string(st.message())}});
      code = 1;
      break;
    }
    ++done;
    if (last) break;
  }
  (*consumer)->Close();
  consumer->reset();
  if (o.broker == "nats") nats_Close();
  log::Info("worker stopped",
            {{"worker", o.name}, {"jobs", std::to_string(done)}, {"exit", std::to_string(code)}});
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  sigset_t stop = StopSignals();
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  signal(SIGPIPE, SIG_IGN);
  Options o;
  // Kubernetes sets HOSTNAME to the pod name; poolscaler local sets POD_NAME.
  const char* pod = std::getenv("POD_NAME");
  if (pod == nullptr) pod = std::getenv("HOSTNAME");
  o.name = pod != nullptr && *pod != '\0' ? std::string(pod) : fmt::format("worker-{}", getpid());
  CLI::App app{"poolscaler-worker: consumes jobs one at a time, works on each, acks it"};
  app.add_option("--broker", o.broker, "nats | redis | rabbitmq")
      ->required()
      ->check(CLI::IsMember({"nats", "redis", "rabbitmq"}));
  app.add_option("--url", o.url, "nats://host:port, redis://host:port or amqp://host:port/vhost")
      ->required();
  app.add_option("--stream", o.stream, "JetStream stream or Redis stream");
  app.add_option("--consumer", o.consumer, "JetStream durable pull consumer");
  app.add_option("--group", o.group, "Redis consumer group");
  app.add_option("--queue", o.queue, "RabbitMQ queue");
  app.add_option("--name", o.name,
                 "Worker name: Redis consumer name, recorded with each job (default $POD_NAME, "
                 "$HOSTNAME, or worker-PID)")
      ->capture_default_str();
  app.add_option("--job-ms", o.job_ms, "Milliseconds of work per job")
      ->check(CLI::Range(int64_t{0}, int64_t{3600000}))
      ->capture_default_str();
  app.add_option("--record", o.record, "Append \"<id> <delivery> <worker>\" per job to this file");
  app.add_option("--claim-idle", o.claim_idle,
                 "Redis: claim entries another consumer left pending this long")
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  log::Init(log::Level::kInfo);
  return Run(o);
}
