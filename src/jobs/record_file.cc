#include "record_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace poolscaler::jobs {

RecordFile::~RecordFile() {
  if (fd_ >= 0) close(fd_);
}

absl::Status RecordFile::Open(const std::string& path) {
  path_ = path;
  if (path.empty()) return absl::OkStatus();
  fd_ = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    return absl::FailedPreconditionError(
        fmt::format("--record {}: cannot open: {}", path, std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status RecordFile::Append(const std::string& line) {
  if (fd_ < 0) return absl::OkStatus();
  std::string text = line + "\n";
  ssize_t n = write(fd_, text.data(), text.size());
  if (n != static_cast<ssize_t>(text.size())) {
    return absl::DataLossError(fmt::format("--record {}: write failed: {}", path_,
                                           n < 0 ? std::strerror(errno) : "short write"));
  }
  return absl::OkStatus();
}

}  // namespace poolscaler::jobs
