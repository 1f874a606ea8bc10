#pragma once
#include <string>
#include <string_view>

namespace poolscaler {

// Quotes a value for an error message: double quotes, JSON-style escapes, cut at 80 bytes with
// "…" so a huge value cannot flood a log line. Never call it on a secret.
std::string Quote(std::string_view value);

}  // namespace poolscaler
