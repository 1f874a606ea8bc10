// Fuzzes the Redis Streams lag arithmetic (sources/redis_lag.h): ParseStreamId, FormatStreamId
// and UndeliveredFromLag.
//
// Input: the whole input is a stream id for ParseStreamId. Its first 17 bytes, when present,
// are also a GroupInfo: length (8 bytes), lag (8 bytes) and a flag byte (bit 0: lag present).
//
// Invariants:
//  - ParseStreamId accepts exactly "digits" and "digits-digits" with both parts within uint64,
//    to the values a digit-by-digit reading gives; FormatStreamId parses back to the same id,
//    and equals the input when the input was already canonical ("ms-seq", no leading zeros).
//  - UndeliveredFromLag is nullopt exactly when lag is missing or negative; otherwise it is
//    min(lag, length) clamped at 0, so never more than lag or than a non-negative length.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "fuzz_check.h"
#include "poolscaler/sources/redis_lag.h"

namespace {

using poolscaler::sources::FormatStreamId;
using poolscaler::sources::GroupInfo;
using poolscaler::sources::ParseStreamId;
using poolscaler::sources::StreamId;
using poolscaler::sources::UndeliveredFromLag;

// A digit-by-digit reading of [0-9]+ as uint64; nullopt otherwise or on overflow.
std::optional<uint64_t> ReferenceU64(std::string_view text) {
  if (text.empty()) return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    const auto digit = static_cast<uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

std::optional<StreamId> ReferenceId(std::string_view text) {
  size_t dash = text.find('-');
  std::optional<uint64_t> ms = ReferenceU64(text.substr(0, dash));
  if (!ms) return std::nullopt;
  if (dash == std::string_view::npos) return StreamId{*ms, 0};
  std::optional<uint64_t> seq = ReferenceU64(text.substr(dash + 1));
  if (!seq) return std::nullopt;
  return StreamId{*ms, *seq};
}

void CheckStreamId(std::string_view text) {
  const std::string shown(text);
  std::optional<StreamId> id = ParseStreamId(text);
  std::optional<StreamId> reference = ReferenceId(text);
  FUZZ_CHECK(id.has_value() == reference.has_value(),
             fmt::format("\"{}\": parsed {} but reference {}", shown, id.has_value(),
                         reference.has_value()));
  if (!id) return;
  FUZZ_CHECK(*id == *reference, shown);
  const std::string printed = FormatStreamId(*id);
  FUZZ_CHECK(ParseStreamId(printed) == id, fmt::format("\"{}\" -> \"{}\"", shown, printed));
  const bool canonical = fmt::format("{}-{}", reference->ms, reference->seq) == text;
  if (canonical) FUZZ_CHECK(printed == text, fmt::format("\"{}\" -> \"{}\"", shown, printed));
}

void CheckUndelivered(const uint8_t* data) {
  GroupInfo info;
  std::memcpy(&info.length, data, sizeof info.length);
  int64_t lag = 0;
  std::memcpy(&lag, data + 8, sizeof lag);
  if ((data[16] & 1) != 0) info.lag = lag;
  const std::string shown =
      fmt::format("length {} lag {}", info.length, info.lag ? fmt::format("{}", *info.lag) : "nil");
  std::optional<int64_t> undelivered = UndeliveredFromLag(info);
  FUZZ_CHECK(undelivered.has_value() == (info.lag.has_value() && *info.lag >= 0), shown);
  if (!undelivered) return;
  FUZZ_CHECK(*undelivered >= 0 && *undelivered <= *info.lag, shown);
  FUZZ_CHECK(*undelivered <= std::max<int64_t>(info.length, 0), shown);
  FUZZ_CHECK(*undelivered == std::max<int64_t>(0, std::min(*info.lag, info.length)), shown);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 256) return 0;
  CheckStreamId(std::string_view(reinterpret_cast<const char*>(data), size));
  if (size >= 17) CheckUndelivered(data);
  return 0;
}
