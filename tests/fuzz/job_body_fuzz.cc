// Fuzzes ParseJobBody (jobs/queues.h): the "<id> <size_kb>" body workers read from every broker.
// Input: the body.
//
// Invariants:
//  - Never throws or crashes; errors are INVALID_ARGUMENT.
//  - An accepted body has a non-empty id without a space, and JobBody(id, size) parses back to
//    the same id and size (what the demo publishes, workers read unchanged).
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_check.h"
#include "poolscaler/jobs/queues.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace poolscaler;
  if (size > 1 << 12) return 0;
  const std::string body(reinterpret_cast<const char*>(data), size);
  const std::string shown = body.substr(0, 200);
  auto parsed = jobs::ParseJobBody(body);
  if (!parsed.ok()) {
    FUZZ_CHECK(parsed.status().code() == absl::StatusCode::kInvalidArgument, shown);
    return 0;
  }
  const auto& [id, size_kb] = *parsed;
  FUZZ_CHECK(!id.empty(), shown);
  FUZZ_CHECK(id.find(' ') == std::string::npos, shown);
  auto again = jobs::ParseJobBody(jobs::JobBody(id, size_kb));
  FUZZ_CHECK(again.ok(), shown);
  FUZZ_CHECK(again->first == id && again->second == size_kb, shown);
  return 0;
}
