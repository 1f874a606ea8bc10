#pragma once
// Internal to poolscaler-worker and poolscaler-load: a file that several processes append lines
// to, each line with one write(2) on an O_APPEND descriptor, so lines never interleave.
#include <string>

#include "absl/status/status.h"

namespace poolscaler::jobs {

// Not thread-safe; one per process.
class RecordFile {
 public:
  RecordFile() = default;
  ~RecordFile();
  RecordFile(const RecordFile&) = delete;
  RecordFile& operator=(const RecordFile&) = delete;

  // Opens `path` for appending (creating it); "" records nothing.
  absl::Status Open(const std::string& path);
  // Appends `line` and a newline; errors name the file.
  absl::Status Append(const std::string& line);

 private:
  int fd_ = -1;
  std::string path_;
};

}  // namespace poolscaler::jobs
