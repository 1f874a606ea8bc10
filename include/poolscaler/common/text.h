#pragma once
#include <string>
#include <string_view>

namespace poolscaler {

// Quotes a value for an error message: double quotes, JSON-style escapes, cut at 80 bytes with
// "…" so a huge value cannot flood a log line. Never call it on a secret.
std::string Quote(std::string_view value);

// A key as a component of a message path ("pools[0].<key>"): as written when it is plain
// (letters, digits, '-', '_', '.'), else Quote(key), so no key can break a message over lines.
std::string PathKey(std::string_view key);

}  // namespace poolscaler
