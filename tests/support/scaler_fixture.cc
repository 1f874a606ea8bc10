#include "support/scaler_fixture.h"

#include <httplib.h>

#include <sstream>

namespace poolscaler::testing {

void ScalerFixture::SetUp() {
  if (!UsesRedis()) return;
  redis_ = RedisServer::Start();
  ASSERT_NE(redis_, nullptr) << "redis-server did not start";
}

void ScalerFixture::TearDown() {
  keda_.reset();
  if (scaler_) scaler_->Stop();
  scaler_.reset();
  redis_.reset();
}

std::string ScalerFixture::Expand(const std::string& yaml) const {
  std::string out = yaml;
  std::map<std::string, std::string> all = expansions_;
  if (redis_) all["$REDIS"] = redis_->address();
  for (const auto& [name, value] : all) {
    for (size_t at = out.find(name); at != std::string::npos; at = out.find(name, at + value.size())) {
      out.replace(at, name.size(), value);
    }
  }
  return out;
}

void ScalerFixture::WriteConfig(const std::string& yaml) {
  config_path_ = dir_.Write("poolscaler.yaml", Expand(yaml));
}

void ScalerFixture::StartScaler(const std::string& yaml) {
  runtime::Options o;
  if (!yaml.empty()) {
    WriteConfig(yaml);
    o.config_path = config_path_;
  }
  o.grpc_listen = "127.0.0.1:0";
  o.http_listen = "127.0.0.1:0";
  o.sampler_threads = 2;
  o.config_poll = std::chrono::milliseconds(100);
  o.evaluate_tick = std::chrono::milliseconds(50);
  o.shutdown_grace = std::chrono::seconds(1);
  AdjustOptions(o);
  scaler_ = std::make_unique<runtime::Runtime>(o);
  absl::Status st = scaler_->Start();
  ASSERT_TRUE(st.ok()) << st.message();
  keda_ = std::make_unique<KedaClient>("127.0.0.1:" + std::to_string(scaler_->grpc_port()));
}

std::map<std::string, std::string> ScalerFixture::RawMeta(
    const std::string& stream, const std::string& group,
    std::map<std::string, std::string> extra) const {
  std::map<std::string, std::string> m = {{"scalerAddress", "poolscaler.keda:9090"},
                                          {"source", "redis-streams"},
                                          {"address", redis_->address()},
                                          {"stream", stream}};
  if (!group.empty()) m["consumerGroup"] = group;
  for (auto& [k, v] : extra) m[k] = v;
  return m;
}

std::string ScalerFixture::HttpGet(const std::string& path, int* status) const {
  httplib::Client client("127.0.0.1", scaler_->http_port());
  client.set_read_timeout(5, 0);
  auto res = client.Get(path.c_str());
  if (status) *status = res ? res->status : 0;
  return res ? res->body : "";
}

double ScalerFixture::MetricValue(const std::string& series) const {
  std::istringstream in(HttpGet("/metrics"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return -1;
}

void ScalerFixture::CreateGroup(const std::string& stream, const std::string& group) {
  RedisReply r = redis_->Command({"XGROUP", "CREATE", stream, group, "$", "MKSTREAM"});
  ASSERT_NE(r.kind, RedisReply::kError) << r.str;
}

void ScalerFixture::AddEntries(const std::string& stream, int n) {
  for (int i = 0; i < n; ++i) {
    RedisReply r = redis_->Command({"XADD", stream, "*", "job", std::to_string(i)});
    ASSERT_EQ(r.kind, RedisReply::kString) << r.str;
  }
}

std::vector<std::string> ScalerFixture::ReadGroup(const std::string& stream,
                                                  const std::string& group, int n) {
  RedisReply r = redis_->Command({"XREADGROUP", "GROUP", group, "c1", "COUNT", std::to_string(n),
                                  "STREAMS", stream, ">"});
  std::vector<std::string> ids;
  // [[stream, [[id, [fields...]], ...]]]
  if (r.kind == RedisReply::kArray && !r.elements.empty() && r.elements[0].elements.size() == 2) {
    for (const RedisReply& entry : r.elements[0].elements[1].elements) {
      if (!entry.elements.empty()) ids.push_back(entry.elements[0].str);
    }
  }
  return ids;
}

void ScalerFixture::Ack(const std::string& stream, const std::string& group,
                        const std::vector<std::string>& ids) {
  if (ids.empty()) return;
  std::vector<std::string> args = {"XACK", stream, group};
  args.insert(args.end(), ids.begin(), ids.end());
  RedisReply r = redis_->Command(args);
  ASSERT_EQ(r.kind, RedisReply::kInteger) << r.str;
}

}  // namespace poolscaler::testing
