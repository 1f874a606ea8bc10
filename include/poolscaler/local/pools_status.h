#pragma once
// What poolscaler's GET /pools says about each pool, for the live view and the report: the lag
// it sees, its decision and the limits that applied. Display only: the driver's scaling uses
// the gRPC answers, like KEDA.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "poolscaler/common/time.h"

namespace httplib {
class Client;
}

namespace poolscaler::local {

struct PoolStatus {
  bool available = false;
  std::string error;                   // why not, when unavailable
  std::optional<double> lag;           // the first signal's value
  std::optional<int64_t> desired;      // poolscaler's decision
  std::optional<int64_t> raw_desired;  // the demand before activation, behavior, max, budget
  bool active = false;
  std::vector<std::string> limited_by;  // e.g. "budget:gpu", "scale-up-rate"
};

// Decodes a /pools body (a JSON array of pools by name); INVALID_ARGUMENT for anything else.
absl::StatusOr<std::map<std::string, PoolStatus>> DecodePoolsJson(const std::string& body);

// GETs a /pools URL ("http://127.0.0.1:9091/pools"). Not thread-safe (one caller).
class PoolsFetcher {
 public:
  // INVALID_ARGUMENT naming the URL when it is not http://host:port/path.
  static absl::StatusOr<std::unique_ptr<PoolsFetcher>> Create(const std::string& url);
  ~PoolsFetcher();
  // One GET bounded by `timeout`; UNAVAILABLE when unreachable or not 200.
  absl::StatusOr<std::map<std::string, PoolStatus>> Fetch(Duration timeout);

 private:
  PoolsFetcher(std::string url, std::string path, std::unique_ptr<httplib::Client> client);
  std::string url_, path_;
  std::unique_ptr<httplib::Client> client_;
};

}  // namespace poolscaler::local
