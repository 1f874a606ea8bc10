#pragma once
// The `serve` options of the external metrics API (kept apart from the server so the runtime's
// header stays light).
#include <chrono>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "poolscaler/adapter/serving_tls.h"
#include "poolscaler/common/time.h"

namespace poolscaler::adapter {

// Off unless `listen` is set; then all three files are required (HTTPS only).
struct Options {
  std::string listen;  // "host:port" (port 0: any); empty: no external metrics API
  ServingTls::Files tls;
  std::vector<std::string> allowed_names;           // client certificate CNs allowed; empty: any
  Duration tls_refresh = std::chrono::seconds(10);  // how often the files are re-read

  bool enabled() const { return !listen.empty(); }
};

// Checks the options' shape (files given together with `listen`, no empty allowed name, a
// refresh of at least 1s) before anything starts. INVALID_ARGUMENT naming the option.
absl::Status CheckOptions(const Options& options);

}  // namespace poolscaler::adapter
