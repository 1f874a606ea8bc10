#pragma once
// A Source takes one sample of one backend query. Sources are created from a SourceSpec by a
// SourceFactory, owned by the sampler's registry, and called only from sampler threads.
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "poolscaler/common/time.h"
#include "poolscaler/config/source_spec.h"

namespace poolscaler::sources {

// What one sample measured: named quantities (config::kMeasure*), plus an optional note
// ("undelivered counted by scan").
struct Reading {
  std::map<std::string, double> measures;
  std::string note;
};

// Not thread-safe: the sampler never calls Sample() on one instance from two threads at once.
// Sample() must return by `deadline` (give or take one network timeout), never throw, and put
// no secret in a returned error.
class Source {
 public:
  virtual ~Source() = default;
  Source(const Source&) = delete;
  Source& operator=(const Source&) = delete;

  virtual const config::SourceSpec& spec() const = 0;
  // Takes one sample. Errors: UNAVAILABLE (cannot connect, timeout, connection lost),
  // NOT_FOUND (stream/group missing), PERMISSION_DENIED / UNAUTHENTICATED (auth),
  // FAILED_PRECONDITION (anything else the broker refused).
  virtual absl::StatusOr<Reading> Sample(TimePoint deadline) = 0;

 protected:
  Source() = default;
};

// Creates live sources. Thread-safe.
class SourceFactory {
 public:
  virtual ~SourceFactory() = default;
  virtual absl::StatusOr<std::unique_ptr<Source>> Create(const config::SourceSpec& spec) = 0;
};

// The factory for every kind this build supports. Connections to one server (same address,
// database and credentials) are shared between the sources it creates.
std::unique_ptr<SourceFactory> MakeDefaultFactory();

}  // namespace poolscaler::sources
