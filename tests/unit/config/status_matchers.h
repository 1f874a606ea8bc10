#pragma once
// Status matchers for config tests: `EXPECT_THAT(result, IsInvalidArgument(HasSubstr("...")))`.
#include <gmock/gmock.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace poolscaler::testing {

inline absl::Status StatusOf(const absl::Status& s) { return s; }
template <typename T>
absl::Status StatusOf(const absl::StatusOr<T>& s) {
  return s.status();
}

// The status (of a Status or StatusOr) is INVALID_ARGUMENT and its message matches `m`.
MATCHER_P(IsInvalidArgument, m, "") {
  absl::Status status = StatusOf(arg);
  if (status.code() != absl::StatusCode::kInvalidArgument) {
    *result_listener << "status is " << status.ToString();
    return false;
  }
  std::string message(status.message());
  *result_listener << "message is \"" << message << "\"";
  return ::testing::ExplainMatchResult(m, message, result_listener);
}

// The StatusOr holds a value; prints the error otherwise.
MATCHER(IsOk, "") {
  absl::Status status = StatusOf(arg);
  if (!status.ok()) *result_listener << "status is " << status.ToString();
  return status.ok();
}

}  // namespace poolscaler::testing
