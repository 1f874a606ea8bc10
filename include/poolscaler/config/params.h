#pragma once
// ParamReader: typed, error-collecting access to a flat key → string map. Both the YAML config
// (one map per source or signal entry) and KEDA trigger metadata are read through it, so both
// report errors the same way: `<path><key>: <problem> (value "<value>")`, secrets never quoted.
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "poolscaler/common/secret.h"
#include "poolscaler/common/text.h"
#include "poolscaler/common/time.h"

namespace poolscaler::config {

using KeyValues = std::map<std::string, std::string>;

// Not thread-safe; one reader per parse.
class ParamReader {
 public:
  // `path` prefixes every key in messages: "" for metadata, "sources[2]." for YAML.
  ParamReader(const KeyValues& values, std::string path);

  bool Has(std::string_view key) const;
  // Each getter marks the key used. A missing optional key gives std::nullopt; a bad value
  // records an error and gives std::nullopt.
  std::optional<std::string> String(std::string_view key);
  std::optional<std::string> RequiredString(std::string_view key);  // missing/empty → error
  std::optional<double> Double(std::string_view key);
  std::optional<double> PositiveDouble(std::string_view key);     // > 0
  std::optional<double> NonNegativeDouble(std::string_view key);  // >= 0
  std::optional<int64_t> Int(std::string_view key, int64_t min, int64_t max);
  std::optional<bool> Bool(std::string_view key);
  std::optional<Duration> DurationValue(std::string_view key);    // "250ms", "5s", >= 0
  // A secret value: never quoted in errors.
  std::optional<Secret> SecretValue(std::string_view key);
  // Marks keys as accepted without reading them (KEDA's own keys such as scalerAddress).
  void Ignore(std::initializer_list<std::string_view> keys);

  // Records a custom error about `key`. The value is quoted unless `secret`, the key is missing,
  // or the key looks secret (*FromEnv, or its name contains password/secret/token/...).
  void Fail(std::string_view key, std::string_view problem, bool secret = false);
  // Records an error about the entry as a whole (not about one key).
  void FailEntry(std::string_view problem);
  // Records `<path><key>: unknown key "<key>" (value "<value>")` for every key no getter or
  // Ignore touched; `context`, if not empty, is appended to each message after "; ".
  // Values of keys that look secret (*FromEnv, password, token, ...) are not quoted.
  void RejectUnknown(std::string_view context = "");
  // Keys no getter or Ignore has touched yet, in key order.
  std::vector<std::string> UnusedKeys() const;

  // YAML only: the 1-based line of each key and of the entry, so messages read
  // "<path><key> (line N): …", and the keys whose value is a list or map rather than a single
  // value (a getter on one of those records "expected a single value" and gives std::nullopt).
  void SetYamlInfo(std::map<std::string, int, std::less<>> key_lines, int entry_line,
                   std::set<std::string, std::less<>> structured_keys);
  // "<path><key>" plus " (line N)" when the line is known (the entry's line for a missing key):
  // the start of every message.
  std::string Where(std::string_view key) const;

  // Whether *Env / *File credentials are read (true) or only checked for shape (false).
  bool resolve_secrets() const { return resolve_secrets_; }
  void set_resolve_secrets(bool on) { resolve_secrets_ = on; }

  const std::vector<std::string>& errors() const { return errors_; }
  bool ok() const { return errors_.empty(); }
  const std::string& path() const { return path_; }

 private:
  std::optional<std::string> Raw(std::string_view key);
  void FailValue(std::string_view key, std::string_view problem);  // always quotes the value

  const KeyValues& values_;
  std::string path_;
  std::set<std::string, std::less<>> used_;
  std::vector<std::string> errors_;
  std::map<std::string, int, std::less<>> key_lines_;
  int entry_line_ = 0;
  bool resolve_secrets_ = true;
  std::set<std::string, std::less<>> structured_;
};

}  // namespace poolscaler::config
