#pragma once
// Invariant checks for fuzz targets: a violated invariant prints what broke and aborts, which
// libFuzzer reports as a crash (saving the input) and the replay driver as a failed test.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace poolscaler::fuzz {

[[noreturn]] inline void Fail(const char* file, int line, const char* condition,
                              const std::string& detail) {
  std::fprintf(stderr, "%s:%d: fuzz invariant violated: %s\n  %s\n", file, line, condition,
               detail.c_str());
  std::abort();
}

inline bool Contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

// `text` with every letter and digit moved one step on (a→b, z→a, 9→0): the same shape, other
// bytes. A message that quotes a secret quotes its shifted form for the shifted input; text the
// fuzzer copied from a constant message into the input does not shift with it.
inline std::string Shift(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z')
      c = c == 'z' ? 'a' : static_cast<char>(c + 1);
    else if (c >= 'A' && c <= 'Z')
      c = c == 'Z' ? 'A' : static_cast<char>(c + 1);
    else if (c >= '0' && c <= '9')
      c = c == '9' ? '0' : static_cast<char>(c + 1);
  }
  return out;
}

}  // namespace poolscaler::fuzz

// FUZZ_CHECK(condition, detail): `detail` (a std::string) is only built when the check fails.
#define FUZZ_CHECK(condition, detail)                                                     \
  do {                                                                                    \
    if (!(condition)) ::poolscaler::fuzz::Fail(__FILE__, __LINE__, #condition, (detail)); \
  } while (false)
