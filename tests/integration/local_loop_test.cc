// The main job, for real (issue 10): real nats-server, redis-server and rabbitmq-server;
// `poolscaler serve` with deploy/examples/demo.yaml; `poolscaler-load` publishing a short burst,
// a steady phase and idle; `poolscaler local` running deploy/examples/demo-local.yaml — KEDA's
// calls over gRPC, the HPA's rule, and real poolscaler-worker processes. Asserts that no job is
// lost (each processed exactly once, or again only after a redelivery), that every pool scales
// up under the burst within maxReplicaCount and the GPU budget, that pools return to zero only
// after KEDA's cooldownPeriod, that every worker stopped cleanly, and that the view rendered.
#include <dirent.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <regex>

#include "local_loop_helpers.h"
#include "poolscaler/config/local_run.h"
#include "support/eventually.h"
#include "support/nats_server.h"
#include "support/process.h"
#include "support/rabbitmq_server.h"
#include "support/redis_server.h"
#include "support/temp_dir.h"

namespace poolscaler::testing {
namespace {

using ::testing::HasSubstr;

const std::string kBinary = POOLSCALER_BINARY;
const std::string kLoad = POOLSCALER_LOAD_BINARY;
const std::string kWorkerDir = POOLSCALER_WORKER_DIR;
const std::string kExamples = std::string(POOLSCALER_SOURCE_DIR) + "/deploy/examples/";

// The demo's load, shortened: 12 s of burst and 10 s of steady load per broker, then idle.
const std::string kShape = "idle:2s,burst:12s@24,steady:10s@6,idle:60s";
// The GPU tier's budget in demo.yaml (2 GPUs, one per parse-gpu replica).
constexpr double kGpuBudget = 2;

// Which worker record file holds the jobs published to each destination (demo-local.yaml).
const std::map<std::string, std::string> kRecordOf = {{"jobs.parse.small", "parse-small"},
                                                      {"jobs.parse.large", "parse-large"},
                                                      {"jobs.parse.gpu", "parse-gpu"},
                                                      {"events", "analytics"},
                                                      {"test-runs", "test-runs"}};

std::string Fill(std::string text, const std::map<std::string, std::string>& values) {
  for (const auto& [name, value] : values) {
    for (size_t at; (at = text.find(name)) != std::string::npos;)
      text.replace(at, name.size(), value);
  }
  return text;
}

// The ports `serve` chose, from its start-up log line.
std::string WaitForServing(Process& serve, int* http_port) {
  std::smatch m;
  std::regex serving(R"re("grpc":"(\d+)","http":"(\d+)")re");
  std::string err;
  if (!Eventually(
          [&] {
            err = serve.Stderr();
            return std::regex_search(err, m, serving);
          },
          std::chrono::seconds(20))) {
    return "";
  }
  *http_port = std::stoi(m[2].str());
  return "127.0.0.1:" + m[1].str();
}

// Processes whose command line mentions `needle` (the test's temporary directory).
std::vector<std::string> ProcessesMentioning(const std::string& needle) {
  std::vector<std::string> found;
  if (DIR* d = opendir("/proc")) {
    while (dirent* e = readdir(d)) {
      if (std::atoi(e->d_name) <= 0) continue;
      std::string cmdline = Slurp(std::string("/proc/") + e->d_name + "/cmdline");
      std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
      if (cmdline.find(needle) != std::string::npos) found.push_back(cmdline);
    }
    closedir(d);
  }
  return found;
}

TEST(LocalLoopTest, BurstScalesRealWorkersWithinLimitsLosesNoJobAndReturnsToZero) {
  const auto started = std::chrono::steady_clock::now();
  auto redis = RedisServer::Start();
  auto nats = NatsServer::Start();
  auto rabbit = RabbitMqServer::Start();
  ASSERT_TRUE(redis && nats && rabbit);
  const double brokers_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  TempDir dir;
  const std::map<std::string, std::string> brokers = {
      {"${NATS_ADDRESS}", "127.0.0.1:" + std::to_string(nats->port())},
      {"${REDIS_ADDRESS}", redis->address()},
      {"${RABBITMQ_AMQP_ADDRESS}", "127.0.0.1:" + std::to_string(rabbit->amqp_port())},
      {"${RABBITMQ_HTTP_ADDRESS}", "127.0.0.1:" + std::to_string(rabbit->http_port())},
      {"${WORK_DIR}", dir.path()}};
  const std::vector<std::string> load_targets = {"--nats",     nats->url(),
                                                 "--redis",    "redis://" + redis->address(),
                                                 "--rabbitmq", rabbit->amqp_url("%2F")};
  std::vector<std::string> setup = {kLoad, "--setup-only"};
  setup.insert(setup.end(), load_targets.begin(), load_targets.end());
  RunResult r = RunToEnd(setup, dir.path());
  ASSERT_EQ(r.code, 0) << r.err;

  std::string config = dir.Write("demo.yaml", Fill(Slurp(kExamples + "demo.yaml"), brokers));
  Process serve({kBinary, "serve", "--grpc-plaintext", "--config", config, "--grpc-listen",
                 "127.0.0.1:0", "--http-listen", "127.0.0.1:0"},
                dir.path());
  int http_port = 0;
  std::string grpc = WaitForServing(serve, &http_port);
  ASSERT_FALSE(grpc.empty()) << serve.Stderr();
  std::map<std::string, std::string> values = brokers;
  values["${SCALER_ADDRESS}"] = grpc;
  std::string local_file =
      dir.Write("demo-local.yaml", Fill(Slurp(kExamples + "demo-local.yaml"), values));
  absl::StatusOr<config::LocalRun> run = config::ParseLocalRun(Slurp(local_file), local_file);
  ASSERT_TRUE(run.ok()) << run.status();

  std::vector<std::string> load_argv = {kLoad, "--shape", kShape, "--record",
                                        dir.path() + "/published.txt"};
  load_argv.insert(load_argv.end(), load_targets.begin(), load_targets.end());
  const auto loop_started = std::chrono::steady_clock::now();
  Process load(load_argv, dir.path());
  const std::string report = dir.path() + "/report";
  Process local(
      {kBinary, "local", "--config", local_file, "--shape", kShape, "--duration", "150s",
       "--stop-when-idle", "--pools-url",
       "http://127.0.0.1:" + std::to_string(http_port) + "/pools", "--report", report, "--plain"},
      dir.path(), {"PATH=" + kWorkerDir + ":/usr/bin:/bin"});
  std::optional<int> local_code = local.Wait(std::chrono::seconds(180));
  const double loop_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - loop_started).count();
  ASSERT_EQ(local_code, 0) << local.Stdout() << local.Stderr();
  ASSERT_EQ(load.Wait(std::chrono::seconds(60)), 0) << load.Stderr();
  const std::string out = local.Stdout();

  // It ended because every pool was back at zero after the load, not because time ran out.
  EXPECT_THAT(out, HasSubstr("(the load is over and every pool is at zero)"));
  // Every worker process is gone (their --record files are in our directory).
  EXPECT_THAT(ProcessesMentioning("--record=" + dir.path() + "/"), ::testing::IsEmpty());

  // No job lost: each published job was processed, once — or again only after the broker
  // redelivered it — and by the pool of the destination it was published to.
  JobLedger ledger;
  ReadPublished(dir.path() + "/published.txt", ledger);
  std::vector<std::string> wrong_place;
  for (const auto& [destination, pool] : kRecordOf) {
    ReadProcessed(dir.path() + "/" + pool + ".jobs", destination, ledger, &wrong_place);
  }
  EXPECT_THAT(ledger.problems, ::testing::IsEmpty());
  EXPECT_THAT(wrong_place, ::testing::IsEmpty());
  std::map<std::string, int> published_to;
  int lost = 0, duplicated_without_redelivery = 0, redelivered = 0;
  for (const auto& [id, destination] : ledger.published) {
    published_to[destination]++;
    auto it = ledger.processed.find(id);
    if (it == ledger.processed.end()) {
      ADD_FAILURE() << "job " << id << " (" << destination << ") was never processed";
      ++lost;
      continue;
    }
    const std::vector<long long>& deliveries = it->second;
    if (deliveries.size() > 1) {
      ++redelivered;
      long long highest = *std::max_element(deliveries.begin(), deliveries.end());
      if (highest < 2) {
        ADD_FAILURE() << "job " << id << " processed " << deliveries.size()
                      << " times, never redelivered";
        ++duplicated_without_redelivery;
      }
    }
  }
  for (const auto& [destination, pool] : kRecordOf) {
    EXPECT_GT(published_to[destination], 0) << "nothing published to " << destination;
  }

  // The decisions, per ScaledObject.
  std::vector<std::map<std::string, std::string>> rows = ReadCsv(report + "/decisions.csv");
  ASSERT_FALSE(rows.empty());
  for (const config::LocalScaledObject& so : run->scaled_objects) {
    SCOPED_TRACE(so.name);
    double peak_running = 0, peak_metric = 0, last_active_t = -1;
    bool budget_hit = false;
    std::vector<const std::map<std::string, std::string>*> mine;
    for (const auto& row : rows) {
      if (row.at("pool") != so.name) continue;
      mine.push_back(&row);
      double running = std::stod(row.at("running")), metric = std::stod(row.at("metric_value"));
      double desired = std::stod(row.at("desired")), t = std::stod(row.at("t"));
      peak_running = std::max(peak_running, running);
      peak_metric = std::max(peak_metric, metric);
      EXPECT_LE(desired, static_cast<double>(so.max_replicas)) << "at t=" << t;
      EXPECT_LE(running, desired) << "more workers running than decided at t=" << t;
      if (so.name == "parse-gpu") {
        EXPECT_LE(metric, kGpuBudget)
            << "poolscaler's desired count above the GPU budget at t=" << t;
        EXPECT_LE(desired, kGpuBudget) << "at t=" << t;
        budget_hit = budget_hit || row.at("limits").find("budget:gpu") != std::string::npos;
      }
      if (row.at("active") == "1") last_active_t = t;
      // 1 → 0 only after cooldownPeriod without activity (KEDA's rule).
      if (row.at("reason") == "deactivate") {
        EXPECT_GE(t - last_active_t, ToSeconds(so.cooldown_period) - 0.001) << "at t=" << t;
      }
    }
    ASSERT_FALSE(mine.empty());
    EXPECT_GE(peak_running, 2) << "did not scale up under the burst";
    if (so.name == "parse-gpu") {
      EXPECT_EQ(peak_metric, kGpuBudget);
      EXPECT_TRUE(budget_hit) << "the GPU budget never limited parse-gpu";
    }
    const auto& last = *mine.back();
    EXPECT_EQ(last.at("desired"), "0");
    EXPECT_EQ(last.at("running"), "0");
    EXPECT_EQ(last.at("active"), "0");
    EXPECT_EQ(last.at("error"), "");
  }

  // Every worker left cleanly on SIGTERM: started = stopped cleanly, none killed or crashed.
  std::regex totals(R"(^(\S+)\s+\d+\s+\d+\s+\d+\s+\d+\s+(\d+)/(\d+)/(\d+)/(\d+)/(\d+))");
  int summarized = 0;
  for (const std::string& line : Lines(Slurp(report + "/summary.txt"))) {
    std::smatch m;
    if (!std::regex_search(line, m, totals)) continue;
    ++summarized;
    EXPECT_EQ(m[2].str(), m[3].str()) << line;
    EXPECT_EQ(m[4].str() + m[5].str() + m[6].str(), "000") << line;
  }
  EXPECT_EQ(summarized, static_cast<int>(run->scaled_objects.size()));

  // The live view rendered (--plain): the progress header, pool lines with a sparkline, events.
  // (Alternations, not bracket expressions: the block characters are several bytes each.)
  EXPECT_TRUE(std::regex_search(
      out, std::regex("\\[00:[0-9]{2} / 02:30  (█|░){20} +[0-9]+ %  load: burst")))
      << out;
  EXPECT_TRUE(std::regex_search(
      out, std::regex("\n  parse-gpu +lag +[0-9]+ [^\n]*\\|( |▁|▂|▃|▄|▅|▆|▇|█)*(▁|▂|▃|▄|▅|▆|▇|█)")))
      << out;
  EXPECT_THAT(out, HasSubstr("parse-gpu: 0 → 1 (KEDA: StreamIsActive pushed active)"));
  EXPECT_THAT(out, HasSubstr("(KEDA: inactive for cooldownPeriod 10 s)"));
  EXPECT_NE(Slurp(report + "/plot.svg").find("<polyline"), std::string::npos);

  // The terminal view: the same driver for a few seconds under script(1), which gives it a tty.
  // (script runs the command with $SHELL -c, which would take the test's own PATH.)
  std::string tty_command = "PATH=" + kWorkerDir + ":/usr/bin:/bin " + kBinary +
                            " local --config " + local_file + " --duration 3s --worker-logs " +
                            dir.path() + "/tty-workers";
  RunResult tty =
      RunToEnd({"/usr/bin/script", "-qefc", tty_command, "/dev/null"}, dir.path(), {"TERM=xterm"});
  EXPECT_EQ(tty.code, 0) << tty.err;
  EXPECT_THAT(tty.out, HasSubstr("\x1b[?25l\x1b[2J"));  // cursor hidden, screen cleared
  EXPECT_TRUE(
      std::regex_search(tty.out, std::regex("\x1b\\[Hpoolscaler local  00:0[0-9] / 00:03  ")))
      << tty.out;
  EXPECT_THAT(tty.out, HasSubstr("lag, last 40 s\x1b[K"));
  EXPECT_THAT(tty.out, HasSubstr("\x1b[?25h"));  // and shown again at the end

  serve.Signal(SIGTERM);
  EXPECT_EQ(serve.Wait(std::chrono::seconds(10)), 0);
  std::printf(
      "[figures] local loop: %zu jobs published, %d lost, %d redelivered, %d processed twice "
      "without redelivery; brokers started in %.0f s, loop %.0f s, whole test %.0f s\n",
      ledger.published.size(), lost, redelivered, duplicated_without_redelivery, brokers_seconds,
      loop_seconds,
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
}

}  // namespace
}  // namespace poolscaler::testing
