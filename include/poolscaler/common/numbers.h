#pragma once
// Strict number parsing for config and trigger metadata: the whole string must be a number,
// finite, and errors name the field and quote the value.
#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"

namespace poolscaler {

// A finite double; surrounding spaces are rejected like any other junk.
absl::StatusOr<double> ParseDouble(std::string_view field, std::string_view text);
// A base-10 signed integer that fits in int64.
absl::StatusOr<int64_t> ParseInt(std::string_view field, std::string_view text);
// A Kubernetes resource quantity (parsed by Quantity::Parse, quantity.h) that must be >= 0, as
// a double: "500m" → 0.5, "16Gi" → 17179869184. For costs and budgets.
absl::StatusOr<double> ParseNonNegativeQuantity(std::string_view field, std::string_view text);
// "true"/"false" (any case), as Kubernetes YAML writers put them in metadata strings.
absl::StatusOr<bool> ParseBool(std::string_view field, std::string_view text);

}  // namespace poolscaler
