// Fuzzes DecodePoolsJson (local/pools_status.h): the /pools body `poolscaler local` reads.
// Input: the body.
//
// Invariants:
//  - Never throws or crashes (nlohmann::json type errors included); errors are INVALID_ARGUMENT.
//  - Every decoded pool has a non-empty name; an unavailable pool has no decision fields
//    unless the body gave them, and every desired count is a whole number of replicas >= 0.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_check.h"
#include "poolscaler/local/pools_status.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace poolscaler;
  if (size > 1 << 14) return 0;
  const std::string body(reinterpret_cast<const char*>(data), size);
  const std::string shown = body.substr(0, 300);
  absl::StatusOr<std::map<std::string, local::PoolStatus>> pools = local::DecodePoolsJson(body);
  if (!pools.ok()) {
    FUZZ_CHECK(pools.status().code() == absl::StatusCode::kInvalidArgument, shown);
    return 0;
  }
  for (const auto& [name, st] : *pools) {
    FUZZ_CHECK(!name.empty(), shown);
    if (st.desired) FUZZ_CHECK(*st.desired >= 0, shown);
    if (st.raw_desired) FUZZ_CHECK(*st.raw_desired >= 0, shown);
  }
  return 0;
}
