#pragma once
// ScalerFixture: a real redis-server plus a whole poolscaler (the same Runtime `serve` runs) on
// free loopback ports, and a KEDA-like client pointed at it. A test for another broker overrides
// UsesRedis() to skip redis-server and adds its own "$NAME" → value expansions.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

#include "poolscaler/runtime/runtime.h"
#include "support/eventually.h"
#include "support/keda_client.h"
#include "support/redis_server.h"
#include "support/temp_dir.h"

namespace poolscaler::testing {

class ScalerFixture : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;
  // Whether SetUp starts redis-server (redis_); default true.
  virtual bool UsesRedis() const { return true; }
  // Called by StartScaler with the options it is about to start poolscaler with.
  virtual void AdjustOptions(runtime::Options& /*options*/) {}

  // Starts poolscaler; with a non-empty `yaml` it is written to a config file first. The text
  // may contain "$REDIS", replaced by the redis address, and any key of expansions_.
  void StartScaler(const std::string& yaml = "");
  // Rewrites the config file (atomically, like a ConfigMap update).
  void WriteConfig(const std::string& yaml);
  std::string Expand(const std::string& yaml) const;

  // Raw-mode metadata for stream `stream` and group `group` plus `extra` keys.
  std::map<std::string, std::string> RawMeta(const std::string& stream, const std::string& group,
                                             std::map<std::string, std::string> extra = {}) const;

  // GET on the scaler's HTTP port; returns the body ("" on failure) and sets *status.
  std::string HttpGet(const std::string& path, int* status = nullptr) const;
  // The value of one exposition line such as `poolscaler_pool_active{pool="x"}`, or -1.
  double MetricValue(const std::string& series) const;

  // Redis helpers.
  void CreateGroup(const std::string& stream, const std::string& group);
  void AddEntries(const std::string& stream, int n);
  // Reads up to `n` entries for consumer "c1"; returns their ids.
  std::vector<std::string> ReadGroup(const std::string& stream, const std::string& group, int n);
  void Ack(const std::string& stream, const std::string& group, const std::vector<std::string>& ids);

  std::unique_ptr<RedisServer> redis_;  // null when !UsesRedis()
  std::map<std::string, std::string> expansions_;  // "$NATS" → "nats://127.0.0.1:4222", ...
  TempDir dir_;
  std::string config_path_;
  std::unique_ptr<runtime::Runtime> scaler_;
  std::unique_ptr<KedaClient> keda_;
};

}  // namespace poolscaler::testing
