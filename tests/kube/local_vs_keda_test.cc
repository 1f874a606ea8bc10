// `poolscaler local`'s emulation of KEDA and the HPA against the real thing: one poolscaler, one
// backlog trace (a step up, a burst, a step down, a flap, the drain), and the same manifest file
// applied to the cluster and given to `poolscaler local --hpa-sync-period` equal to the cluster's.
// Two ScaledObjects: one without `behavior` (the HPA's legacy path: at most max(2 × current, 4)
// per sync, the highest recommendation of 300 s) and one with a 22 s scale-down window (not a
// multiple of the sync period, so that which sync ends the window does not depend on a few
// milliseconds). Both worlds read the same pool target at the same moments, so their replica
// timelines must match: the same values in the same order, each change within one HPA sync (plus 1
// s of polling) of the other's.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "kube/kube_e2e.h"
#include "support/process.h"
#include "support/redis_server.h"

namespace poolscaler::testing {
namespace {

using std::chrono::seconds;

constexpr double kSyncSeconds = 5;  // tests/kube/CMakeLists.txt POOLSCALER_KUBE_HPA_SYNC

// One value held from `t` on.
struct Step {
  double t;
  int replicas;
};
using Timeline = std::vector<Step>;

void Push(Timeline& line, double t, int replicas) {
  if (line.empty() || line.back().replicas != replicas) line.push_back({t, replicas});
}

// Drops values held for less than `min_hold` seconds (a 1 that the HPA replaced 0.2 s later may
// fall between two reads of the API server), then merges equal neighbours.
Timeline Settled(const Timeline& line, double end, double min_hold = 1.0) {
  Timeline out;
  for (size_t i = 0; i < line.size(); ++i) {
    double until = i + 1 < line.size() ? line[i + 1].t : end;
    if (until - line[i].t < min_hold && i + 1 < line.size()) continue;
    Push(out, line[i].t, line[i].replicas);
  }
  return out;
}

std::string Text(const Timeline& line) {
  std::string s;
  char buf[32];
  for (const Step& st : line) {
    std::snprintf(buf, sizeof(buf), "%s%d@%.1f", s.empty() ? "" : " ", st.replicas, st.t);
    s += buf;
  }
  return s;
}

std::string Manifests(const std::string& ns, const std::string& address) {
  auto deployment = [&](const std::string& name) {
    return "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: " + name +
           "\n  namespace: " + ns +
           "\nspec:\n  replicas: 0\n  selector:\n    matchLabels: {app: " + name +
           "}\n  template:\n    metadata:\n      labels: {app: " + name +
           "}\n    spec:\n      terminationGracePeriodSeconds: 1\n      containers:\n"
           "        - name: worker\n"
           "          image: registry.invalid/poolscaler-e2e-worker:never\n"
           "          command: [sleep, \"900\"]\n";
  };
  auto scaled_object = [&](const std::string& name, const std::string& behavior) {
    PoolScaledObject so;
    so.ns = ns;
    so.name = name;
    so.address = address;
    so.max_replicas = 20;
    so.cooldown_period = 10;
    so.advanced = behavior;
    return so.Yaml();
  };

  const std::string windowed =
      "  advanced:\n"
      "    horizontalPodAutoscalerConfig:\n"
      "      behavior:\n"
      "        scaleDown:\n"
      "          stabilizationWindowSeconds: 22\n"
      "          policies: [{type: Percent, value: 100, periodSeconds: 15}]\n"
      "          tolerance: 0\n"
      "        scaleUp:\n"
      "          stabilizationWindowSeconds: 0\n"
      "          policies: [{type: Percent, value: 1000, periodSeconds: 15}]\n"
      "          tolerance: 0\n";
  return deployment("legacy") + "---\n" + deployment("windowed") + "---\n" +
         scaled_object("legacy", "") + "---\n" + scaled_object("windowed", windowed);
}

// decisions.csv of `poolscaler local`: t (0), pool (1), desired (11); the columns before
// `limits` never hold a comma.
std::map<std::string, Timeline> LocalTimelines(const std::string& csv_path, double offset) {
  std::map<std::string, Timeline> out;
  std::ifstream in(csv_path);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::stringstream ss(line);
    for (std::string c; cells.size() < 12 && std::getline(ss, c, ',');) cells.push_back(c);
    if (cells.size() < 12) continue;
    Push(out[cells[1]], std::atof(cells[0].c_str()) + offset, std::atoi(cells[11].c_str()));
  }
  return out;
}

class LocalVsKedaTest : public KubeE2ETest {};

TEST_F(LocalVsKedaTest, SameTimelinesWithinOneHpaSync) {
  const std::string ns = "e2e-local-vs-keda";
  KubeNamespace space(*cluster_, ns);
  ASSERT_TRUE(space.ok()) << space.error();
  auto redis = RedisServer::Start();
  ASSERT_TRUE(redis);
  ASSERT_NE(redis->Command({"XGROUP", "CREATE", "jobs", "workers", "$", "MKSTREAM"}).kind,
            RedisReply::kError);
  // Nobody consumes: the backlog is the stream's length, set by adding or trimming.
  auto backlog = [&](long long n) {
    long long len = redis->Command({"XLEN", "jobs"}).integer;
    for (long long i = len; i < n; ++i) redis->Command({"XADD", "jobs", "*", "job", "x"});
    if (n < len) redis->Command({"XTRIM", "jobs", "MAXLEN", "=", std::to_string(n)});
  };
  // poolscaler passes ceil(backlog / 10) through: no band, no windows, wide rates.
  std::string error;
  auto scaler = PoolscalerProcess::Start(
      "sources:\n"
      "  - {name: backlog, type: redis-streams, address: " +
          redis->address() +
          ", stream: jobs, consumerGroup: workers, sampleInterval: 1s}\n"
          "pools:\n"
          "  - name: work\n"
          "    minReplicas: 0\n"
          "    maxReplicas: 20\n"
          "    behavior:\n"
          "      scaleUp: {tolerance: 0, policies: [{type: Percent, value: 1000, periodSeconds: "
          "15}]}\n"
          "      scaleDown: {tolerance: 0, stabilizationWindowSeconds: 0}\n"
          "    signals: [{source: backlog, lagThreshold: 10}]\n",
      dir_, {}, &error);
  ASSERT_TRUE(scaler) << error;

  const std::string manifests = Manifests(ns, scaler->grpc_address());
  const std::string file = dir_.Write("local-vs-keda.yaml", manifests);
  Apply(manifests);
  ASSERT_TRUE(WaitReady("scaledobject/legacy", ns)) << Describe(ns);
  ASSERT_TRUE(WaitReady("scaledobject/windowed", ns)) << Describe(ns);

  const std::string report = dir_.path() + "/report";
  ResetClock();
  const double local_start = Now();
  Process local({POOLSCALER_BINARY, "local", "--config", file, "--duration", "200s", "--plain",
                 "--report", report, "--hpa-sync-period", "5s"},
                dir_.path());

  std::map<std::string, Timeline> real;
  auto watch = [&](double until) {
    while (Now() < until) {
      for (const char* d : {"legacy", "windowed"}) {
        std::optional<int> r = cluster_->DeploymentReplicas(ns, d);
        if (r) Push(real[d], Now(), *r);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  };
  // The trace (backlog; the pool target is a tenth of it).
  watch(5);
  backlog(50);  // step up: 5
  watch(40);
  backlog(150);  // burst: 15 for 20 s
  watch(60);
  backlog(50);
  watch(90);
  backlog(20);  // step down: 2
  watch(125);
  for (int i = 0; i < 6; ++i) {  // flap 5 / 2 every 5 s
    backlog(i % 2 == 0 ? 50 : 20);
    watch(130 + 5 * i);
  }
  backlog(0);  // drain: inactive, KEDA takes both to 0 after cooldownPeriod 10 s
  watch(175);
  const double end = Now();
  local.Signal(SIGTERM);
  ASSERT_TRUE(local.Wait(seconds(30)).has_value()) << local.Stderr();

  std::map<std::string, Timeline> emulated = LocalTimelines(report + "/decisions.csv", local_start);
  std::string table = "| ScaledObject | real KEDA + HPA | poolscaler local | largest gap |\n";
  for (const char* d : {"legacy", "windowed"}) {
    Timeline r = Settled(real[d], end);
    Timeline l = Settled(emulated[d], end);
    double gap = 0;
    bool same = r.size() == l.size();
    for (size_t i = 0; same && i < r.size(); ++i) {
      same = r[i].replicas == l[i].replicas;
      gap = std::max(gap, std::abs(r[i].t - l[i].t));
    }
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.1f s", gap);
    table += std::string("| ") + d + " | " + Text(r) + " | " + Text(l) + " | " +
             (same ? buf : "values differ") + " |\n";
    EXPECT_TRUE(same) << d << ": real " << Text(r) << "\nlocal " << Text(l) << "\n"
                      << local.Stdout() << Describe(ns);
    EXPECT_LE(gap, kSyncSeconds + 1.0) << d << ": real " << Text(r) << "\nlocal " << Text(l);
  }
  // The legacy HPA keeps its burst maximum for 300 s: it reaches 0 only through KEDA.
  ASSERT_FALSE(real["legacy"].empty());
  EXPECT_EQ(real["legacy"].back().replicas, 0);
  Figure("kube local vs KEDA", "\n" + table);
}

}  // namespace
}  // namespace poolscaler::testing
