#pragma once
// A credential held in memory. It cannot be streamed or formatted, so it cannot reach a log line,
// an error message or a metric label by accident; code that needs the bytes calls Reveal().
#include <string>
#include <utility>

namespace poolscaler {

class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}

  bool empty() const { return value_.empty(); }
  // The raw bytes, for the one call that sends them to a broker.
  const std::string& Reveal() const { return value_; }
  // A short, non-reversible fingerprint ("sha256:" + 16 hex chars) that can be part of a
  // source key or compared; empty secrets give "".
  std::string Fingerprint() const;

  friend bool operator==(const Secret& a, const Secret& b) { return a.value_ == b.value_; }

 private:
  std::string value_;
};

}  // namespace poolscaler
