// Fuzzes ParseLocalRun (config/local_run.h). Input: a YAML file of manifests.
//
// Invariants:
//  - Never throws or crashes; errors are INVALID_ARGUMENT and every line starts with "f.yaml: ".
//  - Every accepted ScaledObject has a name, a scaler address, a polling interval of at least
//    1 s, 1 <= maxReplicaCount, minReplicaCount <= maxReplicaCount, and a workload with a
//    Deployment name and a non-empty command.
//  - A metadata value is never quoted in an error (it may be a secret): when the marker
//    "zz-s3cr3t-zz" appears in the input only as the whole value of a "...FromEnv: " key (before
//    a line end, "," or "}") and the input has no anchors, aliases, tags or complex keys (which
//    can turn a value into a key), it never appears in a message. (Keys are named in messages,
//    and mutations often make the marker part of one.)
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "poolscaler/config/local_run.h"

namespace {

// Whether every occurrence of `marker` in `text` is a whole YAML value.
bool OnlyAsValue(const std::string& text, const std::string& marker) {
  if (text.find_first_of("&*?!") != std::string::npos) return false;
  for (size_t at = text.find(marker); at != std::string::npos; at = text.find(marker, at + 1)) {
    size_t end = at + marker.size();
    bool after_colon = at >= 9 && text.compare(at - 9, 9, "FromEnv: ") == 0;
    bool ends = end == text.size() || text[end] == '\n' || text[end] == '\r' ||
                text[end] == ',' || text[end] == '}';
    if (!after_colon || !ends) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace poolscaler;
  if (size > 1 << 16) return 0;
  const std::string text(reinterpret_cast<const char*>(data), size);
  const std::string shown = text.substr(0, 300);
  absl::StatusOr<config::LocalRun> run = config::ParseLocalRun(text, "f.yaml");
  if (!run.ok()) {
    FUZZ_CHECK(run.status().code() == absl::StatusCode::kInvalidArgument, shown);
    std::string message(run.status().message());
    for (size_t start = 0; start < message.size();) {
      FUZZ_CHECK(message.compare(start, 8, "f.yaml: ") == 0, message);
      size_t nl = message.find('\n', start);
      if (nl == std::string::npos) break;
      start = nl + 1;
    }
    if (OnlyAsValue(text, "zz-s3cr3t-zz")) {
      FUZZ_CHECK(!fuzz::Contains(message, "zz-s3cr3t-zz"), message);
    }
    return 0;
  }
  for (const config::LocalScaledObject& so : run->scaled_objects) {
    FUZZ_CHECK(!so.name.empty() && !so.scaler_address.empty(), shown);
    FUZZ_CHECK(so.polling_interval >= std::chrono::seconds(1), shown);
    FUZZ_CHECK(so.max_replicas >= 1 && so.min_replicas <= so.max_replicas, shown);
    FUZZ_CHECK(!so.workload.deployment.empty() && !so.workload.argv.empty(), shown);
  }
  return 0;
}
