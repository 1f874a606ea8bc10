#pragma once
// Kubernetes label selectors in their text form, as the HPA sends them in `?labelSelector=`
// (k8s.io/apimachinery labels.Parse): comma-separated requirements
//   key=value  key==value  key!=value  key in (a,b)  key notin (a,b)  key  !key
// with keys that are qualified names ([prefix/]name) and values that are label values (at most
// 63 characters, alphanumeric at both ends, `-_.` inside, or empty). `<` and `>` (Gt/Lt, which
// the HPA never sends) are refused. Pure; thread-compatible.
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace poolscaler::adapter {

struct Requirement {
  enum class Op { kEquals, kNotEquals, kIn, kNotIn, kExists, kDoesNotExist };
  std::string key;
  Op op = Op::kExists;
  // kEquals / kNotEquals: one value; kIn / kNotIn: at least one, sorted, without duplicates;
  // kExists / kDoesNotExist: none.
  std::vector<std::string> values;

  bool operator==(const Requirement&) const = default;
  // The requirement in selector syntax ("pool=a", "tier in (x,y)", "!gpu").
  std::string ToString() const;
};

class LabelSelector {
 public:
  // Longest selector text accepted.
  static constexpr size_t kMaxLength = 4096;

  // Parses `text`; "" (or only blanks) is the empty selector, which matches everything.
  // INVALID_ARGUMENT "labelSelector: <why> at offset N (value "<text>")" otherwise.
  static absl::StatusOr<LabelSelector> Parse(std::string_view text);

  // Whether a series with `labels` is selected (every requirement holds).
  bool Matches(const std::map<std::string, std::string>& labels) const;

  // Requirements sorted by key (then as written), like Kubernetes' internal selector.
  const std::vector<Requirement>& requirements() const { return requirements_; }
  bool empty() const { return requirements_.empty(); }
  // Canonical text: requirements joined by ",", in requirements() order. Parse(ToString())
  // gives an equal selector.
  std::string ToString() const;

 private:
  std::vector<Requirement> requirements_;
};

// Whether `key` is a valid label key / `value` a valid label value (see above).
bool IsLabelKey(std::string_view key);
bool IsLabelValue(std::string_view value);

}  // namespace poolscaler::adapter
