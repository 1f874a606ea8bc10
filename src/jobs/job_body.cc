// The job text every broker carries, and URL redaction for the three clients' messages.
#include <fmt/format.h>

#include "poolscaler/common/numbers.h"
#include "poolscaler/common/text.h"
#include "poolscaler/jobs/queues.h"

namespace poolscaler::jobs {

std::string RedactUrl(const std::string& url) {
  size_t scheme = url.find("://");
  size_t start = scheme == std::string::npos ? 0 : scheme + 3;
  size_t at = url.find('@', start);
  size_t slash = url.find('/', start);
  if (at == std::string::npos || (slash != std::string::npos && slash < at)) return url;
  return url.substr(0, start) + "***" + url.substr(at);
}

std::string JobBody(const std::string& id, int64_t size_kb) {
  return fmt::format("{} {}", id, size_kb);
}

absl::StatusOr<std::pair<std::string, int64_t>> ParseJobBody(const std::string& body) {
  size_t space = body.find(' ');
  if (space == 0 || space == std::string::npos || space + 1 == body.size()) {
    return absl::InvalidArgumentError(
        fmt::format("job body {}: expected \"<id> <size_kb>\"", Quote(body)));
  }
  absl::StatusOr<int64_t> size = ParseInt("job body size_kb", body.substr(space + 1));
  if (!size.ok()) return size.status();
  return std::pair{body.substr(0, space), *size};
}

}  // namespace poolscaler::jobs
