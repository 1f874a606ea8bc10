#pragma once
// The config most server-side tests start from, written once: a redis-streams source "orders"
// (stream orders, consumer group workers) and a pool "workers" (0..50 replicas) with one signal
// on it (lagThreshold 5). Each test adds what it is about: timing keys, more sources, more
// signal keys.
//
//   OrdersConfig c;
//   c.orders_keys = "    sampleInterval: 1s\n";
//   std::string yaml = c.Yaml();
#include <string>

namespace poolscaler::testing {

struct OrdersConfig {
  // Where "orders" reads; "$REDIS" for ScalerFixture, which puts its server's address there.
  std::string address = "127.0.0.1:6399";
  // More keys of the orders source, each a line indented by four spaces.
  std::string orders_keys;
  // More entries of `sources:` after orders, as YAML list items indented by two spaces.
  std::string more_sources;
  // More keys of the workers pool's signal, each a line indented by eight spaces.
  std::string signal_keys;

  // `sources:` alone (for tests that write their own pools).
  std::string SourcesYaml() const {
    return "sources:\n"
           "  - name: orders\n"
           "    type: redis-streams\n"
           "    address: " +
           address +
           "\n"
           "    stream: orders\n"
           "    consumerGroup: workers\n" +
           orders_keys + more_sources;
  }

  std::string Yaml() const {
    return SourcesYaml() +
           "pools:\n"
           "  - name: workers\n"
           "    minReplicas: 0\n"
           "    maxReplicas: 50\n"
           "    signals:\n"
           "      - source: orders\n"
           "        lagThreshold: 5\n" +
           signal_keys;
  }
};

}  // namespace poolscaler::testing
