#pragma once
#include "absl/status/status.h"

namespace poolscaler {

// The canonical upper-case name of a status code ("UNAVAILABLE"), as gRPC spells it; used as a
// bounded metric label.
const char* StatusCodeName(absl::StatusCode code);

}  // namespace poolscaler
