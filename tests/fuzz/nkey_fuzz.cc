// Fuzzes NkeyUserPublicKey (sources/nkey.h): the NATS user seed read from nkeySeedFile.
// Input: the seed file's text.
//
// Invariants:
//  - Never throws or crashes; errors are INVALID_ARGUMENT and never quote the seed (any 8 or
//    more of its bytes in a row, told apart from the message's own words with fuzz::Shift).
//  - An accepted seed gives a user public key: 56 characters of NATS base32 (A-Z, 2-7),
//    starting with 'U'.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_check.h"
#include "poolscaler/sources/nkey.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace poolscaler;
  if (size > 1 << 10) return 0;
  const std::string text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<std::string> key = sources::NkeyUserPublicKey(Secret(text));
  if (!key.ok()) {
    FUZZ_CHECK(key.status().code() == absl::StatusCode::kInvalidArgument, text);
    // A leak is a piece of the seed in the message whose shifted form is in the message for
    // the shifted seed (so it came from the input, not from the message's own words).
    const std::string message(key.status().message());
    const std::string shifted_text = fuzz::Shift(text);
    absl::StatusOr<std::string> shifted = sources::NkeyUserPublicKey(Secret(shifted_text));
    const std::string shifted_message(shifted.status().message());
    for (size_t i = 0; i + 8 <= text.size(); ++i) {
      const std::string piece = text.substr(i, 8);
      if (piece.find_first_not_of(" \t\r\n") == std::string::npos) continue;
      if (!fuzz::Contains(message, piece)) continue;
      FUZZ_CHECK(!fuzz::Contains(shifted_message, fuzz::Shift(piece)), message);
    }
    return 0;
  }
  FUZZ_CHECK(key->size() == 56, *key);
  FUZZ_CHECK((*key)[0] == 'U', *key);
  for (char c : *key) FUZZ_CHECK((c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7'), *key);
  return 0;
}
