#pragma once
// NATS NKeys (ed25519 keys in NATS's base32 encoding with a CRC16), just enough to log in with a
// user seed file: nats.c's natsOptions_SetNKeyFromSeed needs the public key, which is derived
// from the seed here. Pure functions (OpenSSL for ed25519), thread-safe.
#include <array>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "poolscaler/common/secret.h"

namespace poolscaler::sources {

// The user public key ("U...", 56 characters) of a user seed ("SU...", 58 characters).
// Surrounding whitespace is ignored. Errors: INVALID_ARGUMENT saying what is wrong with the seed
// (never quoting it).
absl::StatusOr<std::string> NkeyUserPublicKey(const Secret& seed);

// The user seed for 32 raw ed25519 seed bytes (for tests and tooling).
Secret NkeyEncodeUserSeed(const std::array<uint8_t, 32>& raw_seed);

// Key types by their NKey prefix byte (for tests and tooling: operator/account keys sign JWTs).
enum class NkeyType : uint8_t { kOperator = 14 << 3, kAccount = 0, kUser = 20 << 3 };
// The public key ("O…", "A…", "U…") of `type` for 32 raw ed25519 seed bytes.
absl::StatusOr<std::string> NkeyPublicKeyFromRaw(NkeyType type,
                                                 const std::array<uint8_t, 32>& raw_seed);

}  // namespace poolscaler::sources
