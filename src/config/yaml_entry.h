#pragma once
// Internal to the config module: one YAML map (the file's top level, `defaults`, a source, a
// pool, a signal) flattened into a KeyValues for ParamReader, with the line of every key.
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "poolscaler/config/params.h"

namespace poolscaler::config {

struct YamlEntry {
  KeyValues values;  // single values as written; null → ""; lists and maps → ""
  std::map<std::string, int, std::less<>> lines;       // 1-based line of each key
  std::set<std::string, std::less<>> structured;       // keys whose value is a list or map
  std::map<std::string, YAML::Node, std::less<>> nodes;  // every value node, by key
  int line = 0;                                        // line of the map itself
};

// 1-based line of `node`, 0 when unknown.
int LineOf(const YAML::Node& node);

// Reads a map node. `path` names it in messages ("sources[1]", "" for the top level). A node
// that is not a map, a key that is not a single value and a duplicate key each append an error
// to `errors`; std::nullopt when the node is not a map.
std::optional<YamlEntry> ReadEntry(const YAML::Node& node, const std::string& path,
                                   std::vector<std::string>* errors);

// A reader over `entry` whose messages carry the path prefix ("sources[1].") and YAML lines.
// `entry` must outlive the reader.
ParamReader MakeReader(const YamlEntry& entry, const std::string& path);

// "<path> (line N): <problem>" for a whole node.
std::string NodeError(const std::string& path, const YAML::Node& node, std::string_view problem);

}  // namespace poolscaler::config
