#include "poolscaler/config/source_spec.h"

#include <algorithm>

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

const NatsJetStreamParams* Nats(const SourceSpec& spec) {
  if (spec.kind != kNatsJetStream) return nullptr;
  return std::get_if<NatsJetStreamParams>(&spec.params);
}

std::string RedisKey(const std::string& kind, const RedisStreamsParams& r) {
  // The username is fingerprinted like the password: in raw mode it arrives through
  // usernameFromEnv, and the key can reach logs as part of a signal's name.
  return fmt::format("{}|host={}|port={}|db={}|stream={}|group={}|user={}|password={}",
                     KeyField(kind), KeyField(r.host), r.port, r.database, KeyField(r.stream),
                     KeyField(r.consumer_group), Secret(r.username).Fingerprint(),
                     r.password.Fingerprint());
}

std::string RedisDescribe(const std::string& kind, const RedisStreamsParams& r) {
  std::string out = fmt::format("{} {}", kind, FormatHostPort(r.host, r.port));
  if (r.database != 0) out += fmt::format(" db={}", r.database);
  out += fmt::format(" stream={}", r.stream);
  if (!r.consumer_group.empty()) out += fmt::format(" group={}", r.consumer_group);
  return out;
}

}  // namespace

std::string NatsConnectionKey(const NatsJetStreamParams& n) {
  std::vector<std::string> servers;
  for (const std::string& s : n.servers) {
    std::string field;
    for (char c : KeyField(s)) {
      if (c == ',') field.push_back('\\');  // the list separator
      field.push_back(c);
    }
    servers.push_back(std::move(field));
  }
  std::sort(servers.begin(), servers.end());
  servers.erase(std::unique(servers.begin(), servers.end()), servers.end());
  return fmt::format(
      "servers={}|user={}|password={}|token={}|creds={}|nkey={}|ca={}|cert={}|key={}",
      fmt::join(servers, ","), Secret(n.username).Fingerprint(), n.password.Fingerprint(),
      n.token.Fingerprint(), KeyField(n.creds_file), KeyField(n.nkey_seed_file),
      KeyField(n.tls_ca_file), KeyField(n.tls_cert_file), KeyField(n.tls_key_file));
}

std::string SourceSpec::Key() const {
  if (const RedisStreamsParams* r = Redis(*this)) return RedisKey(kind, *r);
  if (const NatsJetStreamParams* n = Nats(*this)) {
    // The account is not part of the identity: the credentials decide the account.
    return fmt::format("{}|{}|domain={}|stream={}|consumer={}", KeyField(kind),
                       NatsConnectionKey(*n), KeyField(n->domain), KeyField(n->stream),
                       KeyField(n->consumer));
  }
  return KeyField(kind);
}

std::string SourceSpec::Describe() const {
  if (const RedisStreamsParams* r = Redis(*this)) return RedisDescribe(kind, *r);
  if (const NatsJetStreamParams* n = Nats(*this)) {
    std::string out = fmt::format("{} {}", kind, fmt::join(n->servers, ","));
    if (!n->domain.empty()) out += fmt::format(" domain={}", n->domain);
    if (!n->account.empty()) out += fmt::format(" account={}", n->account);
    out += fmt::format(" stream={}", n->stream);
    if (!n->consumer.empty()) out += fmt::format(" consumer={}", n->consumer);
    return out;
  }
  return kind;
}

std::string SourceSpec::DefaultMeasure() const {
  if (const RedisStreamsParams* r = Redis(*this)) {
    return r->consumer_group.empty() ? kMeasureLength : kMeasureOutstanding;
  }
  if (const NatsJetStreamParams* n = Nats(*this)) {
    return n->consumer.empty() ? kMeasureLength : kMeasureOutstanding;
  }
  return "";
}

std::vector<std::string> SourceSpec::Measures() const {
  if (const RedisStreamsParams* r = Redis(*this)) {
    if (r->consumer_group.empty()) return {kMeasureLength};
    return {kMeasureLength, kMeasureUndelivered, kMeasurePending, kMeasureOutstanding};
  }
  if (const NatsJetStreamParams* n = Nats(*this)) {
    if (n->consumer.empty()) return {kMeasureLength};
    return {kMeasurePending,     kMeasureAckPending,    kMeasureOutstanding,
            kMeasureRedelivered, kMeasureDeliveredSeq, kMeasureAckFloorSeq};
  }
  return {};
}

bool SourceSpec::HasMeasure(const std::string& measure) const {
  std::vector<std::string> all = Measures();
  return std::find(all.begin(), all.end(), measure) != all.end();
}

}  // namespace poolscaler::config
