// The poolscaler binary as users run it: version, check-config on every shipped example and on
// broken files, and `serve` with reload on SIGHUP, probe, and a clean SIGTERM.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <fstream>
#include <regex>

#include "support/eventually.h"
#include "support/process.h"
#include "support/redis_server.h"
#include "support/temp_dir.h"

namespace poolscaler::testing {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

const std::string kBinary = POOLSCALER_BINARY;
const std::string kExamples = std::string(POOLSCALER_SOURCE_DIR) + "/deploy/examples/";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

struct Listening {
  std::string grpc;  // "127.0.0.1:PORT"
  int http_port = 0;  // 0: never came up
};

// Waits for `serve`'s start-up log line, which names the ports the kernel chose.
Listening WaitForServing(Process& serve) {
  std::smatch m;
  std::regex serving(R"re("grpc":"(\d+)","http":"(\d+)")re");
  std::string err;
  if (!Eventually([&] {
        err = serve.Stderr();
        return std::regex_search(err, m, serving);
      })) {
    return {};
  }
  return {"127.0.0.1:" + m[1].str(), std::stoi(m[2].str())};
}

TEST(CliTest, VersionPrintsTheVersion) {
  TempDir dir;
  RunResult r = RunToEnd({kBinary, "version"}, dir.path());
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("poolscaler 0."));
}

TEST(CliTest, ShippedExampleConfigsAreValid) {
  TempDir dir;
  RunResult r = RunToEnd({kBinary, "check-config", kExamples + "poolscaler-config.yaml"}, dir.path(),
                    {"REDIS_PASSWORD=s3cr3t-pw-xyz"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("ok (1 source, 1 pool)"));
  EXPECT_THAT(r.out, Not(HasSubstr("s3cr3t")));  // the password is not printed

  // scripts/demo's config, with the brokers' addresses it fills in, and its ScaledObjects.
  std::string demo = std::regex_replace(ReadFile(kExamples + "demo.yaml"),
                                        std::regex(R"(\$\{[A-Z_]+_ADDRESS\})"), "127.0.0.1:6379");
  std::string path = dir.Write("demo.yaml", demo);
  r = RunToEnd({kBinary, "check-config", path, "--scaled-objects", kExamples + "demo-local.yaml"},
               dir.path());
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("ok (5 sources, 5 pools)"));
  EXPECT_THAT(r.out, HasSubstr("pool parse-gpu: 0..4 replicas"));
  EXPECT_THAT(r.out, HasSubstr("demo-local.yaml: ok (5 ScaledObjects, 5 poolscaler triggers)"));
  EXPECT_THAT(r.out, Not(HasSubstr("warning")));

  r = RunToEnd({kBinary, "check-config", kExamples + "resources-and-lag.yaml"}, dir.path());
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("pool test-workers: 0..10 replicas, metric pool-test-workers, "
                               "3 signals"));

  // The tiered NATS example reads its password file at check time: point it at a test file.
  std::string nats = ReadFile(kExamples + "nats-jobs.yaml");
  std::string password_file = dir.Write("nats-password", "n4ts-s3cr3t-pw\n");
  for (size_t at; (at = nats.find("/var/run/secrets/nats/password")) != std::string::npos;) {
    nats.replace(at, 30, password_file);
  }
  ASSERT_NE(nats.find("subjects `jobs.>`"), std::string::npos);
  path = dir.Write("nats-jobs.yaml", nats);
  r = RunToEnd({kBinary, "check-config", path}, dir.path());
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("ok (3 sources, 3 pools)"));
  EXPECT_THAT(r.out, HasSubstr("pool parse-small: 0..50 replicas"));
  EXPECT_THAT(r.out, HasSubstr("pool parse-large: 0..10 replicas"));
  EXPECT_THAT(r.out, HasSubstr("pool parse-gpu: 0..5 replicas"));
  EXPECT_THAT(r.out, Not(HasSubstr("n4ts-s3cr3t")));
  // The ScaledObjects name exactly those pools, with matching maxReplicaCount.
  std::string rabbit = ReadFile(kExamples + "automation-center.yaml");
  std::string rabbit_password = dir.Write("rabbit-password", "r4bb1t-s3cr3t-pw\n");
  for (size_t at; (at = rabbit.find("/var/run/secrets/rabbitmq/password")) != std::string::npos;) {
    rabbit.replace(at, 34, rabbit_password);
  }
  ASSERT_NE(rabbit.find("targetUtilization: 70"), std::string::npos);  // CPU 70 %, the old HPA rule
  path = dir.Write("automation-center.yaml", rabbit);
  r = RunToEnd({kBinary, "check-config", path}, dir.path());
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("ok (2 sources, 1 pool)"));
  EXPECT_THAT(r.out, HasSubstr("pool automation-workers: 2..10 replicas, metric "
                               "pool-automation-workers, 2 signals"));
  EXPECT_THAT(r.out, Not(HasSubstr("r4bb1t")));
  EXPECT_THAT(ReadFile(kExamples + "automation-center-scaledobject.yaml"),
              AllOf(HasSubstr("pool: automation-workers"), HasSubstr("minReplicaCount: 2"),
                    HasSubstr("maxReplicaCount: 10")));

  std::string objects = ReadFile(kExamples + "nats-jobs-scaledobjects.yaml");
  for (const char* pool_and_max : {"maxReplicaCount: 50", "maxReplicaCount: 10", "maxReplicaCount: 5",
                                   "pool: parse-small", "pool: parse-large", "pool: parse-gpu"}) {
    EXPECT_THAT(objects, HasSubstr(pool_and_max));
  }
}

TEST(CliTest, CheckConfigPrintsEveryErrorWithItsPath) {
  TempDir dir;
  std::string path = dir.Write("bad.yaml", R"(sources:
  - name: orders
    type: redis-streams
    address: 127.0.0.1:99999
    stream: orders
pools:
  - name: workers
    maxReplicas: -3
    signals:
      - source: ordrs
)");
  RunResult r = RunToEnd({kBinary, "check-config", path}, dir.path());
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("sources[0].address (line 4)"));
  EXPECT_THAT(r.err, HasSubstr("99999"));
  EXPECT_THAT(r.err, HasSubstr("pools[0].maxReplicas (line 8)"));
  EXPECT_THAT(r.err, HasSubstr("pools[0].signals[0].source (line 10)"));
  EXPECT_THAT(r.err, HasSubstr("ordrs"));
  EXPECT_THAT(r.err, HasSubstr("3 errors"));
}

TEST(CliTest, CheckConfigOnAMissingFileFails) {
  TempDir dir;
  RunResult r = RunToEnd({kBinary, "check-config", dir.path() + "/nope.yaml"}, dir.path());
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("nope.yaml"));
}

TEST(CliTest, ServeRefusesAnInvalidConfig) {
  TempDir dir;
  std::string path = dir.Write("bad.yaml", "pools:\n  - name: x\n    signals: []\n");
  RunResult r = RunToEnd({kBinary, "serve", "--grpc-plaintext", "--config", path, "--grpc-listen", "127.0.0.1:0",
                     "--http-listen", "127.0.0.1:0"},
                    dir.path());
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("pools[0].signals"));
}

// `serve` with a real redis: reload on SIGHUP (file polling off), probe, clean SIGTERM.
TEST(CliTest, ServeReloadsOnSighupAndStopsCleanlyOnSigterm) {
  auto redis = RedisServer::Start();
  ASSERT_NE(redis, nullptr);
  redis->Command({"XGROUP", "CREATE", "jobs", "workers", "$", "MKSTREAM"});
  for (int i = 0; i < 12; ++i) redis->Command({"XADD", "jobs", "*", "n", std::to_string(i)});
  TempDir dir;
  auto config = [&](int max) {
    return "sources:\n  - name: jobs\n    type: redis-streams\n    address: " + redis->address() +
           "\n    stream: jobs\n    consumerGroup: workers\n    sampleInterval: 100ms\n"
           "pools:\n  - name: workers\n    maxReplicas: " + std::to_string(max) +
           "\n    signals:\n      - source: jobs\n        lagThreshold: 2\n";
  };
  std::string path = dir.Write("poolscaler.yaml", config(10));
  Process serve({kBinary, "serve", "--grpc-plaintext", "--config", path, "--grpc-listen", "127.0.0.1:0",
                 "--http-listen", "127.0.0.1:0", "--config-check-interval", "0"},
                dir.path());
  Listening at = WaitForServing(serve);
  ASSERT_NE(at.http_port, 0) << serve.Stderr();
  std::string grpc_addr = at.grpc;
  int http_port = at.http_port;

  auto probe = [&] {
    return RunToEnd({kBinary, "probe", "--address", grpc_addr, "pool=workers"}, dir.path()).out;
  };
  ASSERT_TRUE(Eventually([&] { return probe().find("value=6 ") != std::string::npos; }))
      << probe();
  EXPECT_THAT(probe(), HasSubstr("metric=pool-workers target=1 value=6 active=true hpa_replicas=6"));

  dir.Write("poolscaler.yaml", config(4));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_THAT(probe(), HasSubstr("value=6 "));  // no polling: nothing changes yet
  serve.Signal(SIGHUP);
  ASSERT_TRUE(Eventually([&] { return probe().find("value=4 ") != std::string::npos; }))
      << probe();
  httplib::Client http("127.0.0.1", http_port);
  auto metrics = http.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_THAT(metrics->body, HasSubstr("poolscaler_config_reloads_total{result=\"success\"} 1"));

  serve.Signal(SIGTERM);
  std::optional<int> code = serve.Wait(std::chrono::seconds(10));
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0);
  EXPECT_THAT(serve.Stderr(), HasSubstr(R"("msg":"stopped")"));
  // Every log line is one JSON object.
  std::istringstream lines(serve.Stderr());
  std::string line;
  while (std::getline(lines, line)) {
    EXPECT_EQ(line.front(), '{') << line;
    EXPECT_EQ(line.back(), '}') << line;
  }
}

// Secrets reach Redis and nothing else: not the logs (even at debug level, even when the
// password is wrong), not errors KEDA sees, not /metrics or /pools.
TEST(CliTest, PasswordsNeverReachLogsErrorsOrMetrics) {
  const std::string good = "pw-good-Zq81xv", wrong = "pw-wrong-Kt27nm";
  auto redis = RedisServer::Start("requirepass " + good);
  ASSERT_NE(redis, nullptr);
  redis->Command({"XGROUP", "CREATE", "jobs", "workers", "$", "MKSTREAM"});
  TempDir dir;
  std::string path = dir.Write("poolscaler.yaml",
      "sources:\n  - name: jobs\n    type: redis-streams\n    address: " + redis->address() +
      "\n    stream: jobs\n    consumerGroup: workers\n    passwordEnv: REDIS_PASSWORD\n"
      "    sampleInterval: 100ms\npools:\n  - name: workers\n    signals:\n"
      "      - source: jobs\n");
  Process serve({kBinary, "--log-level", "debug", "serve", "--grpc-plaintext", "--config", path, "--grpc-listen",
                 "127.0.0.1:0", "--http-listen", "127.0.0.1:0"},
                dir.path(), {"REDIS_PASSWORD=" + good});
  Listening at = WaitForServing(serve);
  ASSERT_NE(at.http_port, 0) << serve.Stderr();
  std::string grpc_addr = at.grpc;
  auto probe = [&](std::vector<std::string> metadata) {
    std::vector<std::string> argv = {kBinary, "probe", "--address", grpc_addr};
    argv.insert(argv.end(), metadata.begin(), metadata.end());
    return RunToEnd(argv, dir.path()).out;
  };
  ASSERT_TRUE(Eventually([&] { return probe({"pool=workers"}).find("value=0 ") != std::string::npos; }));

  // Raw mode with the right password works; with a wrong one KEDA sees UNAVAILABLE/auth errors.
  std::vector<std::string> raw = {"source=redis-streams", "address=" + redis->address(),
                                  "stream=jobs", "consumerGroup=workers", "sampleInterval=100ms"};
  auto with = [&](const std::string& pw) {
    std::vector<std::string> v = raw;
    v.push_back("passwordFromEnv=" + pw);
    return v;
  };
  ASSERT_TRUE(Eventually([&] { return probe(with(good)).find("value=0 ") != std::string::npos; }));
  std::string refused;
  ASSERT_TRUE(Eventually([&] {
    refused = probe(with(wrong));
    return refused.find("GetMetrics failed") != std::string::npos &&
           refused.find("AUTH") != std::string::npos;
  })) << refused;
  httplib::Client http("127.0.0.1", at.http_port);
  std::string metrics = http.Get("/metrics")->body;
  std::string pools = http.Get("/pools")->body;
  serve.Signal(SIGTERM);
  ASSERT_TRUE(serve.Wait(std::chrono::seconds(10)).has_value());
  for (const std::string& secret : {good, wrong}) {
    EXPECT_THAT(serve.Stderr(), Not(HasSubstr(secret)));
    EXPECT_THAT(refused, Not(HasSubstr(secret)));
    EXPECT_THAT(metrics, Not(HasSubstr(secret)));
    EXPECT_THAT(pools, Not(HasSubstr(secret)));
  }
  EXPECT_THAT(serve.Stderr(), HasSubstr("debug"));  // debug records were written
}

TEST(CliTest, ProbeReportsTheFailingCall) {
  TempDir dir;
  RunResult r = RunToEnd({kBinary, "probe", "--address", "127.0.0.1:1", "--timeout-ms", "300",
                     "pool=x"},
                    dir.path());
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.out, HasSubstr("GetMetricSpec failed"));
}

}  // namespace
}  // namespace poolscaler::testing

namespace poolscaler::testing {
namespace {

// Plaintext gRPC must be asked for: `serve` with neither TLS files nor --grpc-plaintext refuses
// to start, and so does asking for both.
TEST(CliTest, ServeNeedsTlsOrAnExplicitPlaintextFlag) {
  TempDir dir;
  RunResult r = RunToEnd(
      {kBinary, "serve", "--grpc-listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0"},
      dir.path());
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("--grpc-plaintext"));
  std::string pem = dir.Write("x.pem", "not a certificate\n");
  r = RunToEnd({kBinary, "serve", "--grpc-plaintext", "--grpc-tls-cert", pem,
                         "--grpc-tls-key", pem},
                        dir.path());
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("exclude each other"));
}

}  // namespace
}  // namespace poolscaler::testing
