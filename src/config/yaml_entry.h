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

// Every document of a multi-document text, like YAML::LoadAll, without LoadAll's failure mode:
// yaml-cpp 0.7's LoadAll loops forever, allocating until memory runs out, on some malformed
// documents (one starting with ",", found by the local_run fuzzer; yaml-cpp PR 1319). The text is
// split at document markers ("---" starting a line, as YAML ends a document there) and each part
// is loaded with YAML::Load, padded so marks keep the whole text's line numbers. Text before
// the first marker counts as a document unless it is empty (blank lines and comments). Throws
// YAML::Exception like YAML::Load.
std::vector<YAML::Node> LoadAllDocuments(const std::string& text);

// "<path> (line N): <problem>" for a whole node.
std::string NodeError(const std::string& path, const YAML::Node& node, std::string_view problem);

}  // namespace poolscaler::config
