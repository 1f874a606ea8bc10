#pragma once
// Parsing and printing of the duration strings used in config and trigger metadata
// ("250ms", "5s", "1m30s", "2h"; a bare number means seconds).
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "poolscaler/common/time.h"

namespace poolscaler {

// Parses `text` as a non-negative duration. Units: ns, us, ms, s, m, h; several may be chained
// ("1m30s"); a bare non-negative number is seconds. Errors name `field` and quote `text`.
absl::StatusOr<Duration> ParseDuration(std::string_view field, std::string_view text);

// Formats a duration the way ParseDuration reads it back ("250ms", "5s", "1m30s").
std::string FormatDuration(Duration d);

}  // namespace poolscaler
