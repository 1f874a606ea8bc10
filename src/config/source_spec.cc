#include "poolscaler/config/source_spec.h"

#include <fmt/format.h>

#include "source_params.h"

namespace poolscaler::config {
namespace {

// Escapes the separators used in keys, so distinct fields can never run together.
std::string KeyField(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '|' || c == '=') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

const RedisStreamsParams* Redis(const SourceSpec& spec) {
  if (spec.kind != kRedisStreams) return nullptr;
  return std::get_if<RedisStreamsParams>(&spec.params);
}

}  // namespace

std::string SourceSpec::Key() const {
  const RedisStreamsParams* r = Redis(*this);
  if (r == nullptr) return KeyField(kind);
  // The username is fingerprinted like the password: in raw mode it arrives through
  // usernameFromEnv, and the key can reach logs as part of a signal's name.
  return fmt::format("{}|host={}|port={}|db={}|stream={}|group={}|user={}|password={}",
                     KeyField(kind), KeyField(r->host), r->port, r->database,
                     KeyField(r->stream), KeyField(r->consumer_group),
                     Secret(r->username).Fingerprint(), r->password.Fingerprint());
}

std::string SourceSpec::Describe() const {
  const RedisStreamsParams* r = Redis(*this);
  if (r == nullptr) return kind;
  std::string out = fmt::format("{} {}", kind, FormatHostPort(r->host, r->port));
  if (r->database != 0) out += fmt::format(" db={}", r->database);
  out += fmt::format(" stream={}", r->stream);
  if (!r->consumer_group.empty()) out += fmt::format(" group={}", r->consumer_group);
  return out;
}

std::string SourceSpec::DefaultMeasure() const {
  const RedisStreamsParams* r = Redis(*this);
  if (r == nullptr) return "";
  return r->consumer_group.empty() ? kMeasureLength : kMeasureOutstanding;
}

bool SourceSpec::HasMeasure(const std::string& measure) const {
  const RedisStreamsParams* r = Redis(*this);
  if (r == nullptr) return false;
  if (measure == kMeasureLength) return true;
  if (r->consumer_group.empty()) return false;
  return measure == kMeasureUndelivered || measure == kMeasurePending ||
         measure == kMeasureOutstanding;
}

}  // namespace poolscaler::config
