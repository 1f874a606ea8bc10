// Fuzzes LabelSelector::Parse (adapter/label_selector.h). Input: the selector text, as it would
// arrive in ?labelSelector= after %-decoding.
//
// Invariants:
//  - Errors are INVALID_ARGUMENT, start with "labelSelector: " and stay under 1300 bytes (the
//    text is quoted and cut, so a huge selector cannot flood a log line or a Status message).
//  - Every accepted requirement has a valid key; = and != hold one valid value; in/notin at
//    least one, sorted and unique; exists/!exists none; requirements are sorted by key.
//  - ToString() parses back to equal requirements.
//  - The labels built from the = / in requirements satisfy those requirements; Matches never
//    crashes on them or on an empty label set.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "poolscaler/adapter/label_selector.h"

using poolscaler::adapter::IsLabelKey;
using poolscaler::adapter::IsLabelValue;
using poolscaler::adapter::LabelSelector;
using poolscaler::adapter::Requirement;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > LabelSelector::kMaxLength + 16) return 0;
  const std::string text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<LabelSelector> s = LabelSelector::Parse(text);
  if (!s.ok()) {
    const std::string message(s.status().message());
    FUZZ_CHECK(s.status().code() == absl::StatusCode::kInvalidArgument, s.status().ToString());
    FUZZ_CHECK(message.starts_with("labelSelector: "), message);
    // At most two quoted values (each cut at 80 input bytes, a control byte escaped as \u0000:
    // under 490 bytes) and fixed text.
    FUZZ_CHECK(message.size() < 1300, message);
    return 0;
  }
  const auto& reqs = s->requirements();
  for (size_t i = 0; i < reqs.size(); ++i) {
    const Requirement& r = reqs[i];
    FUZZ_CHECK(IsLabelKey(r.key), r.key);
    FUZZ_CHECK(i == 0 || reqs[i - 1].key <= r.key, s->ToString());
    for (const std::string& v : r.values) FUZZ_CHECK(IsLabelValue(v), v);
    switch (r.op) {
      case Requirement::Op::kEquals:
      case Requirement::Op::kNotEquals: FUZZ_CHECK(r.values.size() == 1, r.ToString()); break;
      case Requirement::Op::kIn:
      case Requirement::Op::kNotIn:
        FUZZ_CHECK(!r.values.empty(), r.ToString());
        FUZZ_CHECK(std::adjacent_find(r.values.begin(), r.values.end(),
                                      [](const std::string& a, const std::string& b) {
                                        return a >= b;
                                      }) == r.values.end(),
                   r.ToString());
        break;
      case Requirement::Op::kExists:
      case Requirement::Op::kDoesNotExist: FUZZ_CHECK(r.values.empty(), r.ToString()); break;
    }
  }
  absl::StatusOr<LabelSelector> again = LabelSelector::Parse(s->ToString());
  FUZZ_CHECK(again.ok(), s->ToString() + " does not parse back: " + again.status().ToString());
  FUZZ_CHECK(again->requirements() == reqs, s->ToString());

  // Labels that satisfy every positive requirement; a requirement set that contradicts itself
  // (a=x,a!=x) need not match, but nothing may crash.
  std::map<std::string, std::string> labels;
  bool positive_only = true;
  for (const Requirement& r : reqs) {
    if (r.op == Requirement::Op::kEquals || r.op == Requirement::Op::kIn) {
      labels.emplace(r.key, r.values.front());
    } else if (r.op == Requirement::Op::kExists) {
      labels.emplace(r.key, "x");
    } else {
      positive_only = false;
    }
  }
  bool consistent = true;
  for (const Requirement& r : reqs) {
    if (r.op == Requirement::Op::kEquals && labels[r.key] != r.values.front()) consistent = false;
    if (r.op == Requirement::Op::kIn &&
        !std::binary_search(r.values.begin(), r.values.end(), labels[r.key])) {
      consistent = false;
    }
  }
  const bool matched = s->Matches(labels);
  if (positive_only && consistent) FUZZ_CHECK(matched, s->ToString());
  (void)s->Matches({});
  return 0;
}
