#include "poolscaler/common/text.h"

#include <cstdio>

namespace poolscaler {

std::string Quote(std::string_view value) {
  constexpr size_t kMax = 80;
  std::string out = "\"";
  size_t n = 0;
  for (char c : value) {
    if (n++ == kMax) {
      out += "…";
      break;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  out += "\"";
  return out;
}

}  // namespace poolscaler
