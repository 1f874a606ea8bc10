// poolscaler-load: publishes a shaped load (--shape phases, jobs/s per broker) to each broker it
// is given, and records every job the broker confirmed as "<id> <destination>" in --record.
//   NATS JetStream: stream JOBS (subjects jobs.>), each job routed by its size to
//                   jobs.parse.small / large / gpu (durable pull consumers parse-<tier>)
//   Redis Streams:  stream `events`, consumer group `analytics`
//   RabbitMQ:       durable queue `test-runs`
// It first creates what is missing (stream, consumers, group, queue); --setup-only stops there.
// It exits once the last busy phase is over (a trailing idle phase publishes nothing).
// SIGTERM/SIGINT stop publishing; what was published stays recorded.
#include <fmt/format.h>
#include <nats/nats.h>
#include <signal.h>

#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <map>
#include <thread>

#include "poolscaler/common/log.h"
#include "poolscaler/jobs/load_shape.h"
#include "poolscaler/jobs/queues.h"
#include "record_file.h"

namespace {

using namespace poolscaler;

struct Target {
  std::string name;  // "nats", "redis", "rabbitmq": also the job id prefix
  std::unique_ptr<jobs::JobPublisher> publisher;
  std::string destination;  // fixed destination (redis stream, rabbitmq queue); "" for nats
  int64_t published = 0;
  std::mt19937_64 sizes{};  // its own job sizes: the same --seed gives the same jobs
};

struct Options {
  std::string shape, nats, redis, rabbitmq, record;
  std::string nats_stream = "JOBS", nats_prefix = "jobs.parse";
  std::string redis_stream = "events", redis_group = "analytics";
  std::string rabbitmq_queue = "test-runs";
  uint64_t seed = 1;
  bool setup_only = false;
};

absl::StatusOr<std::vector<Target>> Connect(const Options& o) {
  std::vector<Target> targets;
  if (!o.nats.empty()) {
    jobs::NatsTopology t;
    t.stream = o.nats_stream;
    t.subjects = {"jobs.>"};
    for (jobs::Tier tier : {jobs::Tier::kSmall, jobs::Tier::kLarge, jobs::Tier::kGpu}) {
      t.consumers.emplace_back(fmt::format("parse-{}", jobs::TierName(tier)),
                               fmt::format("{}.{}", o.nats_prefix, jobs::TierName(tier)));
    }
    auto p = jobs::NatsPublisher(o.nats, t);
    if (!p.ok()) return p.status();
    targets.push_back({"nats", std::move(*p), "", 0, {}});
  }
  if (!o.redis.empty()) {
    auto p = jobs::RedisPublisher(o.redis, o.redis_stream, o.redis_group);
    if (!p.ok()) return p.status();
    targets.push_back({"redis", std::move(*p), o.redis_stream, 0, {}});
  }
  if (!o.rabbitmq.empty()) {
    auto p = jobs::RabbitMqPublisher(o.rabbitmq, o.rabbitmq_queue);
    if (!p.ok()) return p.status();
    targets.push_back({"rabbitmq", std::move(*p), o.rabbitmq_queue, 0, {}});
  }
  return targets;
}

// Publishes one job, retrying for a few seconds if the broker hiccups.
absl::Status PublishOne(Target& target, const std::string& destination, const std::string& id,
                        int64_t size_kb) {
  absl::Status st;
  for (int attempt = 0; attempt < 25; ++attempt) {
    st = target.publisher->Publish(destination, id, size_kb);
    if (st.ok()) return st;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return st;
}

int Run(const Options& o, const sigset_t& stop) {
  absl::StatusOr<jobs::LoadShape> shape = jobs::LoadShape{};
  if (!o.setup_only) shape = jobs::ParseLoadShape("--shape", o.shape);
  if (!shape.ok()) {
    std::fprintf(stderr, "%s\n", std::string(shape.status().message()).c_str());
    return 2;
  }
  jobs::RecordFile record;
  if (absl::Status st = record.Open(o.record); !st.ok()) {
    std::fprintf(stderr, "%s\n", std::string(st.message()).c_str());
    return 2;
  }
  absl::StatusOr<std::vector<Target>> targets = Connect(o);
  if (!targets.ok()) {
    log::Error("cannot set up the brokers", {{"error", std::string(targets.status().message())}});
    return 1;
  }
  log::Info("brokers ready", {{"targets", std::to_string(targets->size())}});
  if (o.setup_only) return 0;

  for (size_t i = 0; i < targets->size(); ++i) (*targets)[i].sizes.seed(o.seed + i);
  std::map<std::string, int64_t> per_destination;
  const TimePoint start = SteadyClock::now();
  // Nothing is published after the last busy phase: trailing idle phases are for the pools.
  const Duration last_job = shape->LastJobAt();
  TimePoint next_status = start;
  int code = 0;
  for (bool done = false; !done && code == 0;) {
    timespec zero{0, 0};
    if (sigtimedwait(&stop, nullptr, &zero) > 0) break;
    Duration t = SteadyClock::now() - start;
    done = t >= last_job;
    auto due = static_cast<int64_t>(std::floor(shape->JobsDueBy(std::min(t, last_job))));
    for (Target& target : *targets) {
      while (target.published < due && code == 0) {
        std::string id = fmt::format("{}-{:06d}", target.name, target.published + 1);
        int64_t size_kb = jobs::DrawSizeKb(target.sizes);
        std::string destination =
            target.destination.empty()
                ? fmt::format("{}.{}", o.nats_prefix, jobs::TierName(jobs::TierForSize(size_kb)))
                : target.destination;
        absl::Status st = PublishOne(target, destination, id, size_kb);
        if (st.ok()) st = record.Append(fmt::format("{} {}", id, destination));
        if (!st.ok()) {
          log::Error("cannot publish", {{"job", id}, {"error", std::string(st.message())}});
          code = 1;
          break;
        }
        target.published++;
        per_destination[destination]++;
      }
    }
    if (SteadyClock::now() >= next_status || done) {
      size_t phase = shape->PhaseIndexAt(t);
      std::string counts;
      for (const auto& [dest, n] : per_destination) counts += fmt::format(" {}={}", dest, n);
      std::printf("t=%.0fs phase=%s published%s\n", ToSeconds(t),
                  phase < shape->phases.size() ? shape->phases[phase].name.c_str() : "done",
                  counts.c_str());
      std::fflush(stdout);
      next_status += std::chrono::seconds(5);
    }
    if (!done) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  targets->clear();
  if (!o.nats.empty()) nats_Close();
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);  // polled in the loop; before nats.c's threads
  signal(SIGPIPE, SIG_IGN);
  Options o;
  CLI::App app{"poolscaler-load: publishes a shaped load of jobs to NATS, Redis and RabbitMQ"};
  app.add_option("--shape", o.shape,
                 "Phases NAME:DURATION@JOBS_PER_SECOND, comma-separated (per broker), e.g. "
                 "idle:5s,burst:30s@25,steady:45s@6,idle:60s");
  app.add_option("--nats", o.nats, "nats://host:port (stream JOBS, tiers by job size)");
  app.add_option("--redis", o.redis, "redis://host:port (stream events, group analytics)");
  app.add_option("--rabbitmq", o.rabbitmq, "amqp://host:port/vhost (queue test-runs)");
  app.add_option("--record", o.record, "Append \"<id> <destination>\" per confirmed job");
  app.add_option("--seed", o.seed, "Seed of the job sizes")->capture_default_str();
  app.add_flag("--setup-only", o.setup_only,
               "Create the stream, consumers, group and queue, then exit");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (o.nats.empty() && o.redis.empty() && o.rabbitmq.empty()) {
    std::fprintf(stderr, "poolscaler-load: give at least one of --nats, --redis, --rabbitmq\n");
    return 2;
  }
  if (!o.setup_only && o.shape.empty()) {
    std::fprintf(stderr, "poolscaler-load: --shape is required (unless --setup-only)\n");
    return 2;
  }
  log::Init(log::Level::kInfo);
  return Run(o, stop);
}
