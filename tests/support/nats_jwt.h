#pragma once
// A throw-away NATS operator / account / user JWT chain, built in the test (no `nsc` needed: operator → account → user, plus the system account JetStream needs):
// fresh random ed25519 keys, claims signed with OpenSSL. For testing `.creds` logins only.
#include <string>

namespace poolscaler::testing {

struct NatsJwtSetup {
  std::string server_config;  // operator + MEMORY resolver preloaded with the account
  std::string creds;          // the user's .creds file text (JWT + seed)
};

// Generates operator, account (JetStream enabled, no limits) and user keys and JWTs. Empty
// strings on failure (printed).
NatsJwtSetup MakeNatsJwtSetup();

}  // namespace poolscaler::testing
