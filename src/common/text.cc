#include "poolscaler/common/text.h"

#include <cstdio>

namespace poolscaler {
namespace {

// Removes a UTF-8 sequence cut short at the end of `s`, so truncation never yields invalid UTF-8.
void DropPartialUtf8(std::string* s) {
  size_t i = s->size();
  size_t continuation = 0;
  while (i > 0 && (static_cast<unsigned char>((*s)[i - 1]) & 0xC0) == 0x80 && continuation < 3) {
    --i;
    ++continuation;
  }
  if (i == 0) return;
  auto lead = static_cast<unsigned char>((*s)[i - 1]);
  size_t want = lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : lead >= 0xC0 ? 1 : 0;
  if (lead >= 0xC0 && continuation < want) s->erase(i - 1);
}

}  // namespace

std::string Quote(std::string_view value) {
  constexpr size_t kMax = 80;
  std::string out = "\"";
  size_t n = 0;
  for (char c : value) {
    if (n++ == kMax) {
      DropPartialUtf8(&out);
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

std::string PathKey(std::string_view key) {
  bool plain = !key.empty() && key.size() <= 80;
  for (char c : key) {
    plain = plain && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_' || c == '.');
  }
  return plain ? std::string(key) : Quote(key);
}

}  // namespace poolscaler
