#include "poolscaler/adapter/label_selector.h"

#include <fmt/format.h>

#include <algorithm>

#include "poolscaler/common/text.h"

namespace poolscaler::adapter {
namespace {

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
// Characters that end an identifier (labels.Parse's special symbols).
bool IsSpecial(char c) {
  return c == '=' || c == '!' || c == '(' || c == ')' || c == ',' || c == '<' || c == '>';
}

// A DNS-1123 label: lower-case alphanumerics and '-', alphanumeric at both ends.
bool IsDnsLabel(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return s.front() != '-' && s.back() != '-';
}

bool IsDnsSubdomain(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  for (size_t start = 0;;) {
    size_t dot = s.find('.', start);
    if (!IsDnsLabel(s.substr(start, dot == std::string_view::npos ? dot : dot - start))) {
      return false;
    }
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

// The name part of a qualified name, and a non-empty label value: at most 63 characters,
// alphanumeric at both ends, alphanumerics and "-_." inside.
bool IsName(std::string_view s) {
  if (s.empty() || s.size() > 63 || !IsAlnum(s.front()) || !IsAlnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return IsAlnum(c) || c == '-' || c == '_' || c == '.'; });
}

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  absl::StatusOr<std::vector<Requirement>> Selector() {
    std::vector<Requirement> out;
    SkipBlanks();
    if (AtEnd()) return out;
    while (true) {
      absl::StatusOr<Requirement> r = One();
      if (!r.ok()) return r.status();
      out.push_back(std::move(*r));
      SkipBlanks();
      if (AtEnd()) return out;
      if (text_[pos_] != ',') {
        return Error(fmt::format("expected \",\" or the end, found {}", Found()));
      }
      ++pos_;
    }
  }

 private:
  absl::Status Error(const std::string& why) const {
    return absl::InvalidArgumentError(
        fmt::format("labelSelector: {} at offset {} (value {})", why, pos_, Quote(text_)));
  }
  bool AtEnd() const { return pos_ >= text_.size(); }
  void SkipBlanks() {
    while (!AtEnd() && IsBlank(text_[pos_])) ++pos_;
  }
  std::string Found() const {
    if (AtEnd()) return "the end";
    return Quote(text_.substr(pos_, 1));
  }
  // The identifier at pos_ (possibly empty), consumed.
  std::string_view Identifier() {
    size_t start = pos_;
    while (!AtEnd() && !IsBlank(text_[pos_]) && !IsSpecial(text_[pos_])) ++pos_;
    return text_.substr(start, pos_ - start);
  }
  bool Consume(std::string_view symbol) {
    if (text_.substr(pos_, symbol.size()) != symbol) return false;
    pos_ += symbol.size();
    return true;
  }

  absl::StatusOr<std::string> Key() {
    SkipBlanks();
    size_t at = pos_;
    std::string_view key = Identifier();
    if (key.empty()) return Error(fmt::format("expected a label key, found {}", Found()));
    if (key == "in" || key == "notin") {
      pos_ = at;
      return Error(fmt::format("expected a label key, found the operator \"{}\"", key));
    }
    if (!IsLabelKey(key)) {
      pos_ = at;
      return Error(
          fmt::format("{} is not a valid label key ([prefix/]name, name at most 63 "
                      "characters: alphanumerics and -_. inside)",
                      Quote(key)));
    }
    return std::string(key);
  }

  absl::StatusOr<std::string> Value() {
    SkipBlanks();
    size_t at = pos_;
    std::string_view value = Identifier();
    if (!IsLabelValue(value)) {
      pos_ = at;
      return Error(
          fmt::format("{} is not a valid label value (at most 63 characters, "
                      "alphanumeric at both ends, -_. inside)",
                      Quote(value)));
    }
    return std::string(value);
  }

  absl::StatusOr<Requirement> One() {
    Requirement r;
    SkipBlanks();
    if (!AtEnd() && text_[pos_] == '!' && text_.substr(pos_, 2) != "!=") {
      ++pos_;
      absl::StatusOr<std::string> key = Key();
      if (!key.ok()) return key.status();
      r.key = std::move(*key);
      r.op = Requirement::Op::kDoesNotExist;
      return r;
    }
    absl::StatusOr<std::string> key = Key();
    if (!key.ok()) return key.status();
    r.key = std::move(*key);
    SkipBlanks();
    if (AtEnd() || text_[pos_] == ',') return r;  // kExists
    size_t op_at = pos_;
    if (Consume("==") || Consume("=")) {
      r.op = Requirement::Op::kEquals;
    } else if (Consume("!=")) {
      r.op = Requirement::Op::kNotEquals;
    } else if (text_[pos_] == '<' || text_[pos_] == '>') {
      return Error("the operators < and > are not supported");
    } else {
      std::string_view word = Identifier();
      if (word != "in" && word != "notin") {
        pos_ = op_at;
        return Error(fmt::format("expected =, ==, !=, in or notin after {}, found {}", Quote(r.key),
                                 word.empty() ? Found() : Quote(word)));
      }
      r.op = word == "in" ? Requirement::Op::kIn : Requirement::Op::kNotIn;
      return Set(std::move(r));
    }
    absl::StatusOr<std::string> value = Value();
    if (!value.ok()) return value.status();
    r.values.push_back(std::move(*value));
    return r;
  }

  // "(" value ("," value)* ")" after in/notin; a value may be empty ("(a,)", "()").
  absl::StatusOr<Requirement> Set(Requirement r) {
    SkipBlanks();
    if (!Consume("(")) {
      return Error(fmt::format("expected \"(\" after {}, found {}",
                               r.op == Requirement::Op::kIn ? "in" : "notin", Found()));
    }
    while (true) {
      absl::StatusOr<std::string> value = Value();
      if (!value.ok()) return value.status();
      r.values.push_back(std::move(*value));
      SkipBlanks();
      if (Consume(")")) break;
      if (!Consume(",")) return Error(fmt::format("expected \",\" or \")\", found {}", Found()));
    }
    std::sort(r.values.begin(), r.values.end());
    r.values.erase(std::unique(r.values.begin(), r.values.end()), r.values.end());
    return r;
  }

  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

bool IsLabelKey(std::string_view key) {
  size_t slash = key.find('/');
  if (slash == std::string_view::npos) return IsName(key);
  return IsDnsSubdomain(key.substr(0, slash)) && IsName(key.substr(slash + 1));
}

bool IsLabelValue(std::string_view value) { return value.empty() || IsName(value); }

std::string Requirement::ToString() const {
  std::string joined;
  for (size_t i = 0; i < values.size(); ++i) joined += (i > 0 ? "," : "") + values[i];
  switch (op) {
    case Op::kEquals: return fmt::format("{}={}", key, joined);
    case Op::kNotEquals: return fmt::format("{}!={}", key, joined);
    case Op::kIn: return fmt::format("{} in ({})", key, joined);
    case Op::kNotIn: return fmt::format("{} notin ({})", key, joined);
    case Op::kExists: return key;
    case Op::kDoesNotExist: return "!" + key;
  }
  return key;
}

absl::StatusOr<LabelSelector> LabelSelector::Parse(std::string_view text) {
  if (text.size() > kMaxLength) {
    return absl::InvalidArgumentError(fmt::format(
        "labelSelector: longer than {} characters (value {})", kMaxLength, Quote(text)));
  }
  absl::StatusOr<std::vector<Requirement>> reqs = Parser(text).Selector();
  if (!reqs.ok()) return reqs.status();
  LabelSelector s;
  s.requirements_ = std::move(*reqs);
  std::stable_sort(s.requirements_.begin(), s.requirements_.end(),
                   [](const Requirement& a, const Requirement& b) { return a.key < b.key; });
  return s;
}

bool LabelSelector::Matches(const std::map<std::string, std::string>& labels) const {
  for (const Requirement& r : requirements_) {
    auto it = labels.find(r.key);
    bool has = it != labels.end();
    bool in = has && std::binary_search(r.values.begin(), r.values.end(), it->second);
    bool ok = false;
    switch (r.op) {
      case Requirement::Op::kEquals: ok = has && it->second == r.values.front(); break;
      case Requirement::Op::kNotEquals: ok = !has || it->second != r.values.front(); break;
      case Requirement::Op::kIn: ok = in; break;
      case Requirement::Op::kNotIn: ok = !in; break;
      case Requirement::Op::kExists: ok = has; break;
      case Requirement::Op::kDoesNotExist: ok = !has; break;
    }
    if (!ok) return false;
  }
  return true;
}

std::string LabelSelector::ToString() const {
  std::string out;
  for (size_t i = 0; i < requirements_.size(); ++i) {
    out += (i > 0 ? "," : "") + requirements_[i].ToString();
  }
  return out;
}

}  // namespace poolscaler::adapter
