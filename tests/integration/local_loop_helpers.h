#pragma once
// Reading what the local loop leaves behind: the generator's and the workers' job records, and
// poolscaler local's decisions.csv. For local_loop_test.cc.
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace poolscaler::testing {

inline std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

inline std::vector<std::string> Words(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// One CSV line (RFC 4180 quoting) into cells.
inline std::vector<std::string> CsvCells(const std::string& line) {
  std::vector<std::string> cells(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cells.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cells.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      cells.emplace_back();
    } else {
      cells.back() += c;
    }
  }
  return cells;
}

// decisions.csv as rows of column name → cell.
inline std::vector<std::map<std::string, std::string>> ReadCsv(const std::string& path) {
  std::vector<std::string> lines = Lines(Slurp(path));
  std::vector<std::map<std::string, std::string>> rows;
  if (lines.empty()) return rows;
  std::vector<std::string> header = CsvCells(lines[0]);
  for (size_t i = 1; i < lines.size(); ++i) {
    std::vector<std::string> cells = CsvCells(lines[i]);
    std::map<std::string, std::string> row;
    for (size_t c = 0; c < header.size() && c < cells.size(); ++c) row[header[c]] = cells[c];
    rows.push_back(std::move(row));
  }
  return rows;
}

// What happened to the jobs of one destination: processing records per job id, each with the
// broker's delivery count.
struct JobLedger {
  std::map<std::string, std::string> published;             // id → destination
  std::map<std::string, std::vector<long long>> processed;  // id → delivery counts
  std::vector<std::string> problems;                        // malformed lines
};

inline void ReadPublished(const std::string& path, JobLedger& ledger) {
  for (const std::string& line : Lines(Slurp(path))) {
    std::vector<std::string> w = Words(line);
    if (w.size() != 2)
      ledger.problems.push_back(path + ": " + line);
    else
      ledger.published[w[0]] = w[1];
  }
}

// Appends a worker record file's lines ("<id> <delivery> <worker>") under `destination`;
// `wrong_place` receives ids that were published to another destination (or never).
inline void ReadProcessed(const std::string& path, const std::string& destination,
                          JobLedger& ledger, std::vector<std::string>* wrong_place) {
  for (const std::string& line : Lines(Slurp(path))) {
    std::vector<std::string> w = Words(line);
    if (w.size() != 3) {
      ledger.problems.push_back(path + ": " + line);
      continue;
    }
    auto it = ledger.published.find(w[0]);
    if (it == ledger.published.end() || it->second != destination) wrong_place->push_back(w[0]);
    ledger.processed[w[0]].push_back(std::stoll(w[1]));
  }
}

}  // namespace poolscaler::testing
