#include "poolscaler/config/params.h"

#include <cctype>

#include <fmt/format.h>

#include "poolscaler/common/duration.h"
#include "poolscaler/common/numbers.h"

namespace poolscaler::config {
namespace {

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Keys whose value may be a credential. KEDA substitutes secret values into every *FromEnv key;
// the others catch a credential typed under a wrong or misspelt key.
bool LooksSecret(std::string_view key) {
  std::string lower = Lower(key);
  if (EndsWith(lower, "fromenv")) return true;
  for (const char* word : {"password", "passwd", "secret", "token", "credential", "apikey"}) {
    if (lower.find(word) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

ParamReader::ParamReader(const KeyValues& values, std::string path)
    : values_(values), path_(std::move(path)) {}

void ParamReader::SetYamlInfo(std::map<std::string, int, std::less<>> key_lines, int entry_line,
                              std::set<std::string, std::less<>> structured_keys) {
  key_lines_ = std::move(key_lines);
  entry_line_ = entry_line;
  structured_ = std::move(structured_keys);
}

std::string ParamReader::Where(std::string_view key) const {
  std::string where = path_ + PathKey(key);
  auto it = key_lines_.find(key);
  // A key the entry lacks points at the entry itself.
  int line = it != key_lines_.end() ? it->second : entry_line_;
  if (line > 0) where += fmt::format(" (line {})", line);
  return where;
}

bool ParamReader::Has(std::string_view key) const {
  return values_.find(std::string(key)) != values_.end();
}

std::optional<std::string> ParamReader::Raw(std::string_view key) {
  used_.insert(std::string(key));
  auto it = values_.find(std::string(key));
  if (it == values_.end()) return std::nullopt;
  if (structured_.count(key) != 0) {
    errors_.push_back(fmt::format("{}: expected a single value, not a list or map", Where(key)));
    return std::nullopt;
  }
  return it->second;
}

std::optional<std::string> ParamReader::String(std::string_view key) { return Raw(key); }

std::optional<std::string> ParamReader::RequiredString(std::string_view key) {
  if (!Has(key)) {
    used_.insert(std::string(key));
    errors_.push_back(fmt::format("{}: is required", Where(key)));
    return std::nullopt;
  }
  std::optional<std::string> value = Raw(key);
  if (value && value->empty()) {
    errors_.push_back(fmt::format("{}: must not be empty", Where(key)));
    return std::nullopt;
  }
  return value;
}

std::optional<double> ParamReader::Double(std::string_view key) {
  std::optional<std::string> text = Raw(key);
  if (!text) return std::nullopt;
  absl::StatusOr<double> v = ParseDouble(Where(key), *text);
  if (!v.ok()) {
    errors_.emplace_back(v.status().message());
    return std::nullopt;
  }
  return *v;
}

std::optional<double> ParamReader::PositiveDouble(std::string_view key) {
  std::optional<double> v = Double(key);
  if (v && *v <= 0) {
    FailValue(key, "must be greater than 0");
    return std::nullopt;
  }
  return v;
}

std::optional<double> ParamReader::NonNegativeDouble(std::string_view key) {
  std::optional<double> v = Double(key);
  if (v && *v < 0) {
    FailValue(key, "must not be negative");
    return std::nullopt;
  }
  return v;
}

std::optional<int64_t> ParamReader::Int(std::string_view key, int64_t min, int64_t max) {
  std::optional<std::string> text = Raw(key);
  if (!text) return std::nullopt;
  absl::StatusOr<int64_t> v = ParseInt(Where(key), *text);
  if (!v.ok()) {
    errors_.emplace_back(v.status().message());
    return std::nullopt;
  }
  if (*v < min || *v > max) {
    FailValue(key, fmt::format("must be between {} and {}", min, max));
    return std::nullopt;
  }
  return *v;
}

std::optional<bool> ParamReader::Bool(std::string_view key) {
  std::optional<std::string> text = Raw(key);
  if (!text) return std::nullopt;
  absl::StatusOr<bool> v = ParseBool(Where(key), *text);
  if (!v.ok()) {
    errors_.emplace_back(v.status().message());
    return std::nullopt;
  }
  return *v;
}

std::optional<Duration> ParamReader::DurationValue(std::string_view key) {
  std::optional<std::string> text = Raw(key);
  if (!text) return std::nullopt;
  absl::StatusOr<Duration> v = ParseDuration(Where(key), *text);
  if (!v.ok()) {
    errors_.emplace_back(v.status().message());
    return std::nullopt;
  }
  return *v;
}

std::optional<Secret> ParamReader::SecretValue(std::string_view key) {
  std::optional<std::string> text = Raw(key);  // Raw never quotes the value
  if (!text) return std::nullopt;
  return Secret(std::move(*text));
}

void ParamReader::Ignore(std::initializer_list<std::string_view> keys) {
  for (std::string_view key : keys) used_.insert(std::string(key));
}

void ParamReader::Fail(std::string_view key, std::string_view problem, bool secret) {
  auto it = values_.find(std::string(key));
  if (secret || LooksSecret(key) || it == values_.end() || structured_.count(key) != 0) {
    errors_.push_back(fmt::format("{}: {}", Where(key), problem));
    return;
  }
  FailValue(key, problem);
}

void ParamReader::FailValue(std::string_view key, std::string_view problem) {
  auto it = values_.find(std::string(key));
  std::string value = it == values_.end() ? "" : it->second;
  errors_.push_back(fmt::format("{}: {} (value {})", Where(key), problem, Quote(value)));
}

void ParamReader::FailEntry(std::string_view problem) {
  std::string where = path_;
  if (!where.empty() && where.back() == '.') where.pop_back();
  if (entry_line_ > 0) where += fmt::format(" (line {})", entry_line_);
  errors_.push_back(where.empty() ? std::string(problem) : fmt::format("{}: {}", where, problem));
}

std::vector<std::string> ParamReader::UnusedKeys() const {
  std::vector<std::string> unused;
  for (const auto& [key, value] : values_) {
    if (used_.count(key) == 0) unused.push_back(key);
  }
  return unused;
}

void ParamReader::RejectUnknown(std::string_view context) {
  for (const std::string& key : UnusedKeys()) {
    std::string message = fmt::format("{}: unknown key {}", Where(key), Quote(key));
    if (!LooksSecret(key) && structured_.count(key) == 0) {
      message += fmt::format(" (value {})", Quote(values_.at(key)));
    }
    if (!context.empty()) message += fmt::format("; {}", context);
    errors_.push_back(std::move(message));
    used_.insert(key);
  }
}

}  // namespace poolscaler::config
