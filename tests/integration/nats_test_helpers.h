#pragma once
// Helpers shared by the nats-jetstream source tests (nats_jetstream_test.cc, nats_auth_test.cc).
#include <chrono>
#include <cstdio>
#include <map>
#include <string>

#include <gmock/gmock.h>

#include "absl/status/status.h"
#include "poolscaler/config/source_spec.h"
#include "poolscaler/sources/source.h"
#include "support/eventually.h"

namespace poolscaler::sources::nats_test {

using std::chrono::milliseconds;
using std::chrono::seconds;
using poolscaler::testing::Eventually;

MATCHER_P2(StatusIs, code, message_matcher, "") {
  const absl::Status& status = arg;
  if (status.code() != code) {
    *result_listener << "status is " << status;
    return false;
  }
  return ::testing::ExplainMatchResult(message_matcher, std::string(status.message()),
                                       result_listener);
}

inline config::SourceSpec Spec(const std::string& servers, const std::string& stream,
                        const std::string& consumer = "") {
  config::SourceSpec spec;
  spec.name = "test";
  spec.kind = config::kNatsJetStream;
  spec.timeout = milliseconds(500);
  config::NatsJetStreamParams p;
  p.servers = {servers};
  p.stream = stream;
  p.consumer = consumer;
  spec.params = p;
  return spec;
}

inline config::NatsJetStreamParams& Params(config::SourceSpec& spec) {
  return std::get<config::NatsJetStreamParams>(spec.params);
}

inline TimePoint Deadline(Duration d = seconds(2)) { return SteadyClock::now() + d; }

// Samples until `measure` equals `want` (<= 5 s); returns the last reading's measures.
inline std::map<std::string, double> SampleUntil(Source& source, const std::string& measure, double want) {
  std::map<std::string, double> last;
  Eventually([&] {
    auto r = source.Sample(Deadline());
    if (!r.ok()) return false;
    last = r->measures;
    return last[measure] == want;
  });
  return last;
}

// The status of a sample that the server refuses. A server that rejects a login sends -ERR and
// closes; under load nats.c sometimes sees the close first and reports a bare handshake failure
// (UNAVAILABLE "the server ended the handshake"), and then retries after its backoff. Samples
// until another answer arrives (<= 10 s) and returns it.
inline absl::Status RefusalOf(Source& source) {
  absl::Status st;
  Eventually(
      [&] {
        st = source.Sample(Deadline()).status();
        return st.message().find("ended the handshake") == absl::string_view::npos;
      },
      std::chrono::seconds(10), std::chrono::milliseconds(100));
  return st;
}

inline void PrintReading(const char* label, const std::map<std::string, double>& m) {
  std::printf("[figures] %s:", label);
  for (const auto& [k, v] : m) std::printf(" %s=%.0f", k.c_str(), v);
  std::printf("\n");
}

}  // namespace poolscaler::sources::nats_test
