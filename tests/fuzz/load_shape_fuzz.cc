// Fuzzes ParseLoadShape (jobs/load_shape.h). Input: the --shape text.
//
// Invariants:
//  - Never throws or crashes; errors are INVALID_ARGUMENT starting with "--shape: ".
//  - Every accepted phase has a non-empty name of letters, digits, '-' and '_', a length above
//    0 and a rate in [0, 100000].
//  - Total() is the sum of the lengths, LastJobAt() <= Total(), PhaseIndexAt() stays in range,
//    JobsDueBy() never decreases and reaches the sum of rate × length at Total().
#include <cctype>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "poolscaler/jobs/load_shape.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace poolscaler;
  if (size > 1 << 12) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::string shown(text.substr(0, 200));
  absl::StatusOr<jobs::LoadShape> shape = jobs::ParseLoadShape("--shape", text);
  if (!shape.ok()) {
    FUZZ_CHECK(shape.status().code() == absl::StatusCode::kInvalidArgument, shown);
    FUZZ_CHECK(shape.status().message().substr(0, 9) == "--shape: ", shown);
    return 0;
  }
  Duration total{};
  double jobs = 0;
  for (const jobs::LoadPhase& p : shape->phases) {
    FUZZ_CHECK(!p.name.empty(), shown);
    for (char c : p.name) {
      FUZZ_CHECK(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_', shown);
    }
    FUZZ_CHECK(p.length > Duration::zero(), shown);
    FUZZ_CHECK(p.jobs_per_second >= 0 && p.jobs_per_second <= 100000, shown);
    total += p.length;
    jobs += p.jobs_per_second * ToSeconds(p.length);
  }
  FUZZ_CHECK(shape->Total() == total, shown);
  FUZZ_CHECK(shape->LastJobAt() <= total, shown);
  double previous = 0;
  for (int i = 0; i <= 16; ++i) {
    Duration t = total / 16 * i;
    FUZZ_CHECK(shape->PhaseIndexAt(t) <= shape->phases.size(), shown);
    double due = shape->JobsDueBy(t);
    FUZZ_CHECK(due >= previous - 1e-6 * std::max(1.0, previous), shown);
    previous = due;
  }
  double at_end = shape->JobsDueBy(total);
  FUZZ_CHECK(std::fabs(at_end - jobs) <= 1e-6 * std::max(1.0, jobs), shown);
  return 0;
}
