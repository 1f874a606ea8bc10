// poolscaler's server benchmarks. Every figure is printed next to a baseline measured in the same
// run, because absolute times on a shared machine say little:
//   getmetrics   GetMetrics throughput and p50/p99 latency, poolscaler vs an empty
//                ExternalScaler (same gRPC callback API, same process, same client)
//   queries      broker round trips per sample interval while 1000 ScaledObjects over 10
//                streams are polled, vs the number of distinct sources (the ideal)
//   memory       RSS of `poolscaler serve` with 1000 pools, then with 1000 open StreamIsActive
//                streams too, vs the same process with no config
//   activation   first message → StreamIsActive true, vs the source's sample interval
// All traffic goes to 127.0.0.1; every loop is bounded by a duration or a count.
//   scaler_bench [getmetrics|queries|memory|activation|all] [--seconds N] [--soak-minutes N]
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "externalscaler.grpc.pb.h"
#include "poolscaler/runtime/runtime.h"
#include "support/process.h"
#include "support/redis_server.h"
#include "support/temp_dir.h"

namespace poolscaler::bench {
namespace {

using Clock = std::chrono::steady_clock;
using testing::Process;
using testing::RedisServer;
using testing::TempDir;

int g_seconds = 3;
int g_soak_minutes = 0;

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  return v[i];
}

externalscaler::ScaledObjectRef Ref(const std::string& name,
                                    const std::map<std::string, std::string>& meta) {
  externalscaler::ScaledObjectRef ref;
  ref.set_name(name);
  ref.set_namespace_("bench");
  for (const auto& [k, v] : meta) (*ref.mutable_scalermetadata())[k] = v;
  return ref;
}

std::unique_ptr<externalscaler::ExternalScaler::Stub> Stub(int port) {
  grpc::ChannelArguments args;
  args.SetInt("grpc.use_local_subchannel_pool", 1);  // one connection per stub
  return externalscaler::ExternalScaler::NewStub(grpc::CreateCustomChannel(
      "127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials(), args));
}

// The baseline: an ExternalScaler that answers GetMetrics with a constant, nothing else.
class EmptyScaler final : public externalscaler::ExternalScaler::CallbackService {
  grpc::ServerUnaryReactor* GetMetrics(grpc::CallbackServerContext* ctx,
                                       const externalscaler::GetMetricsRequest* req,
                                       externalscaler::GetMetricsResponse* resp) override {
    auto* v = resp->add_metricvalues();
    v->set_metricname(req->metricname());
    v->set_metricvalue(1);
    v->set_metricvaluefloat(1);
    auto* reactor = ctx->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

struct Load {
  double calls_per_second = 0;
  double p50_ms = 0, p99_ms = 0;
  long errors = 0;
};

// `threads` clients, one connection each, calling GetMetrics back to back for `seconds`.
Load RunLoad(int port, const externalscaler::GetMetricsRequest& req, int threads, int seconds) {
  std::vector<std::vector<double>> lat(static_cast<size_t>(threads));
  std::atomic<long> errors{0};
  const auto end = Clock::now() + std::chrono::seconds(seconds);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      auto stub = Stub(port);
      externalscaler::GetMetricsResponse resp;
      while (Clock::now() < end) {
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
        auto t0 = Clock::now();
        grpc::Status st = stub->GetMetrics(&ctx, req, &resp);
        lat[static_cast<size_t>(t)].push_back(Ms(Clock::now() - t0));
        if (!st.ok()) errors++;
      }
    });
  }
  for (auto& th : pool) th.join();
  std::vector<double> all;
  for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
  Load out;
  out.calls_per_second = static_cast<double>(all.size()) / seconds;
  out.p50_ms = Percentile(all, 0.50);
  out.p99_ms = Percentile(all, 0.99);
  out.errors = errors;
  return out;
}

bool GetMetricsBench() {
  auto redis = RedisServer::Start();
  if (!redis) return false;
  redis->Command({"XGROUP", "CREATE", "orders", "workers", "$", "MKSTREAM"});
  for (int i = 0; i < 7; ++i) redis->Command({"XADD", "orders", "*", "job", std::to_string(i)});
  TempDir dir;
  std::string cfg = dir.Write("c.yaml", "sources:\n  - {name: orders, type: redis-streams, address: " +
                                            redis->address() +
                                            ", stream: orders, consumerGroup: workers}\n"
                                            "pools:\n  - {name: p, signals: [{source: orders, lagThreshold: 5}]}\n");
  runtime::Options o;
  o.config_path = cfg;
  o.grpc_listen = "127.0.0.1:0";
  o.http_listen = "127.0.0.1:0";
  runtime::Runtime ours(o);
  if (!ours.Start().ok()) return false;

  EmptyScaler empty_service;
  int empty_port = 0;
  grpc::ServerBuilder b;
  b.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &empty_port);
  b.RegisterService(&empty_service);
  auto empty = b.BuildAndStart();

  externalscaler::GetMetricsRequest req;
  *req.mutable_scaledobjectref() = Ref("so", {{"pool", "p"}});
  req.set_metricname("pool-p");
  // Wait for the first sample, so poolscaler answers with a value, not UNAVAILABLE.
  auto probe = Stub(ours.grpc_port());
  for (int i = 0; i < 100; ++i) {
    grpc::ClientContext ctx;
    externalscaler::GetMetricsResponse resp;
    if (probe->GetMetrics(&ctx, req, &resp).ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }

  const int threads = 2;
  RunLoad(empty_port, req, threads, 1);  // warm-up, both
  RunLoad(ours.grpc_port(), req, threads, 1);
  Load base_total, ours_total;
  std::vector<double> b50, b99, o50, o99;
  for (int round = 0; round < 2; ++round) {  // alternate, so drift hits both alike
    Load base = RunLoad(empty_port, req, threads, g_seconds);
    Load mine = RunLoad(ours.grpc_port(), req, threads, g_seconds);
    base_total.calls_per_second += base.calls_per_second / 2;
    ours_total.calls_per_second += mine.calls_per_second / 2;
    ours_total.errors += mine.errors;
    base_total.errors += base.errors;
    b50.push_back(base.p50_ms); b99.push_back(base.p99_ms);
    o50.push_back(mine.p50_ms); o99.push_back(mine.p99_ms);
  }
  empty->Shutdown(std::chrono::system_clock::now());
  ours.Stop();
  auto avg = [](const std::vector<double>& v) { return (v[0] + v[1]) / 2; };
  std::printf("getmetrics: %d client threads, 2 rounds of %d s each, loopback\n", threads, g_seconds);
  std::printf("  empty handler : %9.0f calls/s  p50 %.3f ms  p99 %.3f ms\n",
              base_total.calls_per_second, avg(b50), avg(b99));
  std::printf("  poolscaler    : %9.0f calls/s  p50 %.3f ms  p99 %.3f ms  (%ld errors)\n",
              ours_total.calls_per_second, avg(o50), avg(o99), ours_total.errors);
  double ratio = ours_total.calls_per_second / base_total.calls_per_second;
  std::printf("  throughput ratio poolscaler/empty = %.2f (goal >= 0.90); p99 %.3f ms (goal < 1 ms)\n",
              ratio, avg(o99));
  if (ours_total.errors != 0 || base_total.errors != 0) {
    std::printf("getmetrics: FAILED: %ld errors from poolscaler, %ld from the empty handler\n",
                ours_total.errors, base_total.errors);
    return false;
  }
  return true;
}

bool QueriesBench() {
  auto redis = RedisServer::Start();
  if (!redis) return false;
  const int kSources = 10, kObjects = 1000;
  for (int s = 0; s < kSources; ++s) {
    redis->Command({"XGROUP", "CREATE", "s" + std::to_string(s), "g", "$", "MKSTREAM"});
  }
  runtime::Options o;
  o.grpc_listen = "127.0.0.1:0";
  o.http_listen = "127.0.0.1:0";
  runtime::Runtime rt(o);
  if (!rt.Start().ok()) return false;
  auto stub = Stub(rt.grpc_port());
  auto meta = [&](int i) {
    return std::map<std::string, std::string>{
        {"source", "redis-streams"}, {"address", redis->address()},
        {"stream", "s" + std::to_string(i % kSources)}, {"consumerGroup", "g"},
        {"lagThreshold", "5"}, {"sampleInterval", "1s"}};
  };
  // Every ScaledObject is asked once (registers its trigger), then the window is measured
  // while they are polled round-robin, as KEDA's polling loops would.
  auto poll = [&](int i) {
    grpc::ClientContext ctx;
    externalscaler::GetMetricsRequest req;
    *req.mutable_scaledobjectref() = Ref("so-" + std::to_string(i), meta(i));
    req.set_metricname("redis-streams-s" + std::to_string(i % kSources) + "-g");  // as announced
    externalscaler::GetMetricsResponse resp;
    return stub->GetMetrics(&ctx, req, &resp);
  };
  for (int i = 0; i < kObjects; ++i) poll(i);
  if (grpc::Status st = poll(0); !st.ok()) {
    std::printf("queries: GetMetrics fails: %s\n", st.error_message().c_str());
  }
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const int window = std::max(5, g_seconds * 2);
  long long before = redis->CommandCalls("xlen");
  auto end = Clock::now() + std::chrono::seconds(window);
  long polls = 0, ok = 0;
  while (Clock::now() < end) {
    for (int i = 0; i < kObjects && Clock::now() < end; ++i, ++polls) ok += poll(i).ok() ? 1 : 0;
  }
  long long after = redis->CommandCalls("xlen");
  rt.Stop();
  double per_interval = static_cast<double>(after - before) / window;  // interval = 1 s
  std::printf("queries: %d ScaledObjects (raw mode) over %d streams, sampleInterval 1s, %d s window\n",
              kObjects, kSources, window);
  std::printf("  %ld GetMetrics calls answered (%ld ok) while redis saw %lld sample round trips\n",
              polls, ok, after - before);
  std::printf("  broker round trips per interval = %.1f (ideal = %d distinct sources; KEDA's own "
              "scaler: one per ScaledObject per poll)\n",
              per_interval, kSources);
  // The figures mean something only if the calls worked.
  if (polls == 0 || ok != polls) {
    std::printf("queries: FAILED: %ld of %ld GetMetrics calls failed\n", polls - ok, polls);
    return false;
  }
  return true;
}

// A /proc/PID/status field in kB ("VmRSS:" all resident pages; "RssAnon:" heap, stacks and
// other private memory, without the shared libraries' code pages).
long StatusKb(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0) return std::stol(line.substr(field.size()));
  }
  return -1;
}
long RssKb(pid_t pid) { return StatusKb(pid, "VmRSS:"); }
long AnonKb(pid_t pid) { return StatusKb(pid, "RssAnon:"); }

bool MemoryBench() {
  auto redis = RedisServer::Start();
  if (!redis) return false;
  const int kSources = 10, kPools = 1000;
  TempDir dir;
  std::string yaml = "defaults: {sampleInterval: 1s}\nsources:\n";
  for (int s = 0; s < kSources; ++s) {
    redis->Command({"XGROUP", "CREATE", "s" + std::to_string(s), "g", "$", "MKSTREAM"});
    yaml += "  - {name: s" + std::to_string(s) + ", type: redis-streams, address: " +
            redis->address() + ", stream: s" + std::to_string(s) + ", consumerGroup: g}\n";
  }
  yaml += "pools:\n";
  for (int p = 0; p < kPools; ++p) {
    yaml += "  - {name: p" + std::to_string(p) + ", maxReplicas: 10, signals: [{source: s" +
            std::to_string(p % kSources) + ", lagThreshold: 5}]}\n";
  }
  std::string cfg = dir.Write("c.yaml", yaml);
  const std::string bin = POOLSCALER_BINARY;
  auto serve = [&](const std::vector<std::string>& extra, int grpc_port) {
    std::vector<std::string> argv{bin, "--log-level", "warn", "serve", "--grpc-plaintext",
                                  "--grpc-listen", "127.0.0.1:" + std::to_string(grpc_port),
                                  "--http-listen", "127.0.0.1:0"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return std::make_unique<Process>(argv, dir.path());
  };
  // Baseline: the same binary with nothing to do.
  int base_port = testing::FreeLoopbackPort();
  auto base = serve({}, base_port);
  std::this_thread::sleep_for(std::chrono::seconds(3));
  long base_kb = RssKb(base->pid());
  long base_anon_kb = AnonKb(base->pid());
  base.reset();

  int port = testing::FreeLoopbackPort();
  auto proc = serve({"--config", cfg}, port);
  std::this_thread::sleep_for(std::chrono::seconds(4));
  long pools_kb = RssKb(proc->pid());
  long pools_anon_kb = AnonKb(proc->pid());

  // 1000 StreamIsActive streams, held open by an async client without a thread each.
  grpc::ChannelArguments args;
  auto channel = grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(port),
                                           grpc::InsecureChannelCredentials(), args);
  auto stub = externalscaler::ExternalScaler::NewStub(channel);
  grpc::CompletionQueue cq;
  struct Stream {
    grpc::ClientContext ctx;
    externalscaler::IsActiveResponse first;
    bool started = false;  // the first completion is the call's start, the next its first read
    std::unique_ptr<grpc::ClientAsyncReader<externalscaler::IsActiveResponse>> reader;
  };
  std::vector<std::unique_ptr<Stream>> streams;
  for (int i = 0; i < kPools; ++i) {
    auto s = std::make_unique<Stream>();
    s->reader = stub->AsyncStreamIsActive(&s->ctx, Ref("so-" + std::to_string(i),
                                                       {{"pool", "p" + std::to_string(i)}}),
                                          &cq, s.get());
    streams.push_back(std::move(s));
  }
  // Each stream: StartCall completes, then read its first message.
  int started = 0, first = 0;
  auto deadline = std::chrono::system_clock::now() + std::chrono::seconds(20);
  void* tag = nullptr;
  bool ok = false;
  while (first < kPools && cq.AsyncNext(&tag, &ok, deadline) == grpc::CompletionQueue::GOT_EVENT) {
    auto* s = static_cast<Stream*>(tag);
    if (!ok) continue;
    if (!s->started) {
      s->started = true;
      started++;
      s->reader->Read(&s->first, s);
    } else {
      first++;
    }
  }
  std::this_thread::sleep_for(std::chrono::seconds(2));
  long streams_kb = RssKb(proc->pid());
  long streams_anon_kb = AnonKb(proc->pid());
  std::printf("memory: RSS of `poolscaler serve` (VmRSS; in brackets RssAnon, i.e. without the "
              "shared libraries' code)\n");
  std::printf("  no config (baseline)                         : %6.1f MB [%5.1f MB]\n",
              base_kb / 1024.0, base_anon_kb / 1024.0);
  std::printf("  %d pools over %d sources                    : %6.1f MB [%5.1f MB]\n", kPools,
              kSources, pools_kb / 1024.0, pools_anon_kb / 1024.0);
  std::printf("  + %d open StreamIsActive streams (%d got a first message): %6.1f MB [%5.1f MB] "
              "(goal < 40 MB)\n",
              kPools, first, streams_kb / 1024.0, streams_anon_kb / 1024.0);
  std::printf("  threads: %ld\n", StatusKb(proc->pid(), "Threads:"));
  std::printf("  cost of 1000 pools + 1000 streams over the baseline: %.1f MB\n",
              (streams_kb - base_kb) / 1024.0);
  for (int m = 1; m <= g_soak_minutes; ++m) {  // soak: scripts/soak, not CI
    std::this_thread::sleep_for(std::chrono::minutes(1));
    std::printf("  soak minute %3d: %6.1f MB\n", m, RssKb(proc->pid()) / 1024.0);
    std::fflush(stdout);
  }
  for (auto& s : streams) s->ctx.TryCancel();
  proc.reset();
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  return first == kPools;
}

bool ActivationBench() {
  auto redis = RedisServer::Start();
  if (!redis) return false;
  redis->Command({"XGROUP", "CREATE", "jobs", "g", "$", "MKSTREAM"});
  TempDir dir;
  std::string cfg = dir.Write(
      "c.yaml", "defaults: {sampleInterval: 250ms}\nsources:\n  - {name: jobs, type: redis-streams, address: " +
                    redis->address() + ", stream: jobs, consumerGroup: g}\n"
                    "pools:\n  - {name: p, signals: [{source: jobs, lagThreshold: 5}]}\n");
  runtime::Options o;
  o.config_path = cfg;
  o.grpc_listen = "127.0.0.1:0";
  o.http_listen = "127.0.0.1:0";
  runtime::Runtime rt(o);
  if (!rt.Start().ok()) return false;
  auto stub = Stub(rt.grpc_port());
  std::vector<double> latencies;
  for (int round = 0; round < 5; ++round) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(15));
    auto reader = stub->StreamIsActive(&ctx, Ref("so", {{"pool", "p"}}));
    externalscaler::IsActiveResponse msg;
    bool ok = reader->Read(&msg);  // the current state, sent when the stream opens
    if (!ok || msg.result()) {
      std::printf("activation: unexpected first message (ok=%d active=%d)\n", ok, msg.result());
      return false;
    }
    auto t0 = Clock::now();
    redis->Command({"XADD", "jobs", "*", "job", std::to_string(round)});
    while (reader->Read(&msg) && !msg.result()) {
    }
    if (!msg.result()) {  // the stream ended (deadline, error) before the pool went active
      std::printf("activation: FAILED: round %d never saw StreamIsActive true\n", round);
      return false;
    }
    latencies.push_back(Ms(Clock::now() - t0));
    ctx.TryCancel();
    reader->Finish();
    // Drain: consume and ack, then wait for the pool to go idle (cooldown 0).
    redis->Command({"XTRIM", "jobs", "MAXLEN", "0"});
    redis->Command({"XGROUP", "SETID", "jobs", "g", "$"});
    std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  }
  rt.Stop();
  std::printf("activation: first message -> StreamIsActive true, 5 rounds, sampleInterval 250 ms\n");
  std::printf("  p50 %.0f ms  max %.0f ms (goal < 1000 ms; bound: one sample interval + one "
              "evaluation tick = 500 ms)\n",
              Percentile(latencies, 0.5), *std::max_element(latencies.begin(), latencies.end()));
  return true;
}

}  // namespace
}  // namespace poolscaler::bench

int main(int argc, char** argv) {
  using namespace poolscaler::bench;
  std::string which = "all";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--seconds" && i + 1 < argc) {
      g_seconds = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--soak-minutes" && i + 1 < argc) {
      g_soak_minutes = std::max(0, std::atoi(argv[++i]));
    } else {
      which = a;
    }
  }
  bool ok = true;
  if (which == "all" || which == "getmetrics") ok &= GetMetricsBench();
  if (which == "all" || which == "queries") ok &= QueriesBench();
  if (which == "all" || which == "memory") ok &= MemoryBench();
  if (which == "all" || which == "activation") ok &= ActivationBench();
  std::printf("scaler_bench: %s\n", ok ? "done" : "FAILED");
  return ok ? 0 : 1;
}
