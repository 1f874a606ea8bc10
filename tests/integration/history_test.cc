// Restart safety from history: a real `prometheus` scrapes poolscaler every second; a pool at
// 20 replicas (120 s scale-down window) has its backlog cut to 2 replicas of work and poolscaler
// is restarted without any Kubernetes. With `history:` pointing at that Prometheus, the new
// process reads the targets the old one served before it serves, so every answer in the window
// stays at 20. (Without it, restart_test.cc's WithoutAWorkloadTheRestartForgetsTheWindow shows 2.)
#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <memory>
#include <regex>
#include <string>
#include <thread>

#include "support/eventually.h"
#include "support/process.h"
#include "support/scaler_fixture.h"

namespace poolscaler::testing {
namespace {

constexpr char kPrometheus[] = "/usr/bin/prometheus";

class HistoryTest : public ScalerFixture {
 protected:
  void SetUp() override {
    ScalerFixture::SetUp();
    http_port_ = FreeLoopbackPort();
    ASSERT_NE(http_port_, 0);
    const std::string d = dir_.path() + "/";
    dir_.Write("prometheus.yml",
               "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
               "scrape_configs:\n"
               "  - job_name: poolscaler\n"
               "    static_configs: [{targets: ['127.0.0.1:" +
                   std::to_string(http_port_) + "']}]\n");
    StartedServer prometheus = StartOnFreePort(
        [&](int port) {
          return std::vector<std::string>{kPrometheus, "--config.file=" + d + "prometheus.yml",
                                          "--storage.tsdb.path=" + d + "tsdb",
                                          "--web.listen-address=127.0.0.1:" + std::to_string(port),
                                          "--log.level=warn"};
        },
        dir_.path(),
        [&](int port) {
          httplib::Client c("127.0.0.1", port);
          auto r = c.Get("/-/ready");
          return r && r->status == 200;
        },
        std::chrono::seconds(30));
    ASSERT_EQ(prometheus.error, "");
    ASSERT_NE(prometheus.port, http_port_);
    prometheus_port_ = prometheus.port;
    prometheus_ = std::move(prometheus.process);
    CreateGroup("jobs", "workers");
  }
  void TearDown() override {
    ScalerFixture::TearDown();
    prometheus_.reset();  // SIGTERM by PID
  }
  void AdjustOptions(runtime::Options& o) override {
    o.http_listen = "127.0.0.1:" + std::to_string(http_port_);
  }
  std::string Config() const {
    return "defaults: {sampleInterval: 1s}\n"
           "history: {serverAddress: 'http://127.0.0.1:" +
           std::to_string(prometheus_port_) +
           "', step: 1s}\n"
           "sources:\n"
           "  - {name: jobs, type: redis-streams, address: $REDIS, stream: jobs, "
           "consumerGroup: workers}\n"
           "pools:\n"
           "  - name: work\n"
           "    maxReplicas: 100\n"
           "    scaleDownWindowSeconds: 120\n"
           "    signals: [{source: jobs, lagThreshold: 10}]\n";
  }
  // Prometheus's latest value of poolscaler_pool_desired_replicas{pool="work"}, -1 if none.
  double Stored() const {
    httplib::Client c("127.0.0.1", prometheus_port_);
    auto r = c.Get("/api/v1/query?query=poolscaler_pool_desired_replicas%7Bpool%3D%22work%22%7D");
    if (!r || r->status != 200) return -1;
    std::smatch m;
    static const std::regex value(R"re("value":\[[0-9.]+,"([^"]+)"\])re");
    if (!std::regex_search(r->body, m, value)) return -1;
    return std::atof(m[1].str().c_str());
  }
  long long Answer() {
    Poll p = keda_->PollOnce({{"pool", "work"}});
    return p.status.ok() ? p.HpaReplicas() : -1;
  }
  void Backlog(int entries) {
    redis_->Command({"DEL", "jobs"});
    CreateGroup("jobs", "workers");
    AddEntries("jobs", entries);
  }

  int http_port_ = 0, prometheus_port_ = 0;
  std::unique_ptr<Process> prometheus_;
};

TEST_F(HistoryTest, ARestartRestoresTheWindowFromPrometheus) {
  Backlog(200);  // 20 replicas of work
  StartScaler(Config());
  ASSERT_TRUE(Eventually([&] { return Answer() == 20; }, std::chrono::seconds(20)));
  // Prometheus has stored the 20 (the first scrape may come a few seconds after start).
  ASSERT_TRUE(Eventually([&] { return Stored() == 20; }, std::chrono::seconds(30)))
      << prometheus_->Stderr();
  Backlog(20);  // 2 replicas of work: the window holds 20
  std::this_thread::sleep_for(std::chrono::seconds(3));
  ASSERT_EQ(Answer(), 20);

  scaler_.reset();  // the restart (Runtime::Stop, then a new process's start-up)
  const auto started = SteadyClock::now();
  StartScaler(Config());
  // Ready (what the Service's readiness probe waits for) before it takes KEDA's calls.
  ASSERT_TRUE(Eventually([&] {
    int status = 0;
    HttpGet("/readyz", &status);
    return status == 200;
  }));
  const double start_seconds = ToSeconds(SteadyClock::now() - started);
  const std::string pools = HttpGet("/pools");
  EXPECT_NE(pools.find("\"windowSeed\": \"prometheus\""), std::string::npos) << pools;
  EXPECT_EQ(MetricValue("poolscaler_pool_window_seeded{pool=\"work\"}"), 1);
  long long lowest = 1 << 30;
  for (int i = 0; i < 20; ++i) {  // 5 s of answers right after the restart
    long long a = Answer();
    ASSERT_GE(a, 0) << "answer " << i;
    lowest = std::min(lowest, a);
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  std::printf(
      "[figures] history: ready %.2f s after the restart (history read included); lowest answer in "
      "the 5 s after "
      "the restart %lld (served 20, work for 2)\n",
      start_seconds, lowest);
  EXPECT_EQ(lowest, 20);
}

TEST_F(HistoryTest, AnUnreachableHistoryStartsEmptyAndSaysSo) {
  prometheus_.reset();
  Backlog(20);
  StartScaler(Config());
  EXPECT_TRUE(Eventually([&] { return Answer() == 2; }, std::chrono::seconds(20)));
  const std::string pools = HttpGet("/pools");
  EXPECT_NE(pools.find("\"windowSeed\": \"none\""), std::string::npos) << pools;
  EXPECT_EQ(MetricValue("poolscaler_pool_window_seeded{pool=\"work\"}"), 0) << HttpGet("/metrics");
}

}  // namespace
}  // namespace poolscaler::testing
