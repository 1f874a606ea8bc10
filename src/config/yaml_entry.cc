#include "yaml_entry.h"

#include <fmt/format.h>

namespace poolscaler::config {

namespace {

// Whether `line` is a document start marker: "---" alone or followed by a space or tab.
bool IsDocumentMarker(std::string_view line) {
  if (!line.starts_with("---")) return false;
  if (line.size() == 3) return true;
  char next = line[3];
  return next == ' ' || next == '\t' || next == '\r';
}

}  // namespace

std::vector<YAML::Node> LoadAllDocuments(const std::string& text) {
  struct Part {
    size_t begin = 0;       // offset of the part in `text`
    size_t first_line = 0;  // 0-based line it starts on
    bool marked = false;    // starts with a "---" marker
  };
  std::vector<Part> parts{{0, 0, false}};
  size_t line_no = 0;
  for (size_t at = 0; at < text.size(); ++line_no) {
    size_t end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    if (IsDocumentMarker(std::string_view(text).substr(at, end - at))) {
      parts.push_back({at, line_no, true});
    }
    at = end + 1;
  }
  std::vector<YAML::Node> docs;
  for (size_t i = 0; i < parts.size(); ++i) {
    size_t end = i + 1 < parts.size() ? parts[i + 1].begin : text.size();
    if (!parts[i].marked && end == 0) continue;
    std::string part(parts[i].first_line, '\n');
    part.append(text, parts[i].begin, end - parts[i].begin);
    YAML::Node doc = YAML::Load(part);
    if (!parts[i].marked && doc.IsNull()) continue;  // only blank lines or comments before "---"
    docs.push_back(doc);
  }
  return docs;
}

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
