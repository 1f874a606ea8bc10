#include "yaml_entry.h"

#include <fmt/format.h>

namespace poolscaler::config {

int LineOf(const YAML::Node& node) {
  YAML::Mark mark = node.Mark();
  return mark.is_null() ? 0 : mark.line + 1;
}

std::string NodeError(const std::string& path, const YAML::Node& node, std::string_view problem) {
  std::string where = path.empty() ? "config" : path;
  if (int line = LineOf(node); line > 0) where += fmt::format(" (line {})", line);
  return fmt::format("{}: {}", where, problem);
}

std::optional<YamlEntry> ReadEntry(const YAML::Node& node, const std::string& path,
                                   std::vector<std::string>* errors) {
  if (!node.IsMap()) {
    errors->push_back(NodeError(path, node, "expected a map of keys and values"));
    return std::nullopt;
  }
  YamlEntry entry;
  entry.line = LineOf(node);
  std::string prefix = path.empty() ? "" : path + ".";
  for (const auto& item : node) {
    if (!item.first.IsScalar()) {
      errors->push_back(NodeError(path, item.first, "keys must be single values"));
      continue;
    }
    const std::string& key = item.first.Scalar();
    if (entry.values.count(key) != 0) {
      errors->push_back(NodeError(prefix + key, item.first, "duplicate key"));
      continue;
    }
    entry.lines[key] = LineOf(item.first);
    entry.nodes[key] = item.second;
    entry.values[key] = item.second.IsScalar() ? item.second.Scalar() : "";
    if (item.second.IsSequence() || item.second.IsMap()) entry.structured.insert(key);
  }
  return entry;
}

ParamReader MakeReader(const YamlEntry& entry, const std::string& path) {
  ParamReader reader(entry.values, path.empty() ? "" : path + ".");
  reader.SetYamlInfo(entry.lines, entry.line, entry.structured);
  return reader;
}

}  // namespace poolscaler::config
