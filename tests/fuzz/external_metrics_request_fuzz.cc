// Fuzzes an external metrics API request end to end in memory: ParseApiPath, LabelSelector::Parse
// and the answer built by ExternalMetricsApi::Get over a real config, SampleStore, PoolTable and
// ScalerCore (one pool and two sources with readings; adapter/metrics_api.h). Input: the path,
// then optionally "\n" and the labelSelector (absent without the newline).
//
// Invariants:
//  - The code is 200, 400, 404 or 503, and the body is JSON: a Status (kind, apiVersion v1,
//    status Failure, the code, the reason Kubernetes gives it) for every error.
//  - A 200 on a metric is an ExternalMetricValueList with one item whose value is a canonical
//    quantity (it parses and canonicalizes to itself) and whose labels match the selector.
//  - The resource label is one of the bounded set.
#include <fmt/format.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "fuzz_check.h"
#include "poolscaler/adapter/label_selector.h"
#include "poolscaler/adapter/metrics_api.h"
#include "poolscaler/adapter/objects.h"
#include "poolscaler/common/quantity.h"
#include "poolscaler/config/config.h"
#include "poolscaler/pools/from_config.h"
#include "poolscaler/pools/pool_table.h"
#include "support/orders_config.h"

namespace {

using namespace poolscaler;

const std::string kConfig = [] {
  poolscaler::testing::OrdersConfig c;
  c.more_sources =
      "  - name: usage\n"
      "    type: prometheus\n"
      "    serverAddress: http://127.0.0.1:9\n"
      "    query: up\n"
      "  - name: idle\n"
      "    type: redis-streams\n"
      "    address: 127.0.0.1:6399\n"
      "    stream: idle\n";
  return c.Yaml();
}();

// Everything the API reads, built once.
struct World {
  World() {
    cfg = std::make_shared<config::Config>(*config::ParseConfig(kConfig));
    std::vector<pools::PoolDefinition> defs = pools::DefinitionsFromConfig(*cfg);
    for (const config::SourceSpec& s : cfg->sources) {
      store.Register(s.Key(), s.name, s.Describe(), std::chrono::hours(1000000));
    }
    const TimePoint now = RealClock::Instance().Now();
    store.Record(
        cfg->FindSource("orders")->Key(),
        sources::Reading{{{"outstanding", 58}, {"pending", 3}, {"undelivered", 55}, {"length", 60}},
                         ""},
        now, {});
    store.Record(cfg->FindSource("usage")->Key(), sources::Reading{{{"value", 1.0 / 3}}, ""}, now,
                 {});
    table.SetConfigPools(std::move(defs));
    table.EvaluateAll(store, now);
  }
  std::shared_ptr<const config::Config> cfg;
  sampler::SampleStore store;
  pools::PoolTable table;
  server::ScalerCore core{
      {[this] { return cfg; }, nullptr, &table, &store, &RealClock::Instance()}};
  adapter::ExternalMetricsApi api{{&core, [this] { return cfg; }, &store, &RealClock::Instance()}};
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 8192) return 0;
  static World* world = new World();  // never destroyed: shared by every input
  const std::string input(reinterpret_cast<const char*>(data), size);
  const size_t nl = input.find('\n');
  const std::string path = input.substr(0, nl);
  std::optional<std::string> selector;
  if (nl != std::string::npos) selector = input.substr(nl + 1);

  const adapter::ApiResponse r = world->api.Get(path, selector);
  FUZZ_CHECK(r.code == 200 || r.code == 400 || r.code == 404 || r.code == 503,
             fmt::format("code {} for {}", r.code, input));
  FUZZ_CHECK(r.resource == "discovery" || r.resource == "other" ||
                 r.resource == adapter::kPoolDesired || r.resource == adapter::kSourceLag,
             r.resource);
  const nlohmann::json j = nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  FUZZ_CHECK(!j.is_discarded(), r.body);
  if (r.code != 200) {
    FUZZ_CHECK(j["kind"] == "Status" && j["apiVersion"] == "v1" && j["status"] == "Failure" &&
                   j["code"] == r.code && j["reason"] == adapter::StatusReason(r.code),
               r.body);
    return 0;
  }
  if (j["kind"] != "ExternalMetricValueList") {
    FUZZ_CHECK(r.resource == "discovery", r.body);
    return 0;
  }
  FUZZ_CHECK(j["items"].size() == 1, r.body);
  const nlohmann::json& item = j["items"][0];
  const std::string value = item["value"];
  absl::StatusOr<Quantity> q = Quantity::Parse("value", value);
  FUZZ_CHECK(q.ok() && q->ToCanonicalString() == value, value);
  std::map<std::string, std::string> labels = item["metricLabels"];
  absl::StatusOr<adapter::LabelSelector> sel = adapter::LabelSelector::Parse(selector.value_or(""));
  FUZZ_CHECK(sel.ok() && sel->Matches(labels), r.body + " for selector " + selector.value_or(""));
  return 0;
}
