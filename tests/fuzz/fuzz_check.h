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

}  // namespace poolscaler::fuzz

// FUZZ_CHECK(condition, detail): `detail` (a std::string) is only built when the check fails.
#define FUZZ_CHECK(condition, detail)                                              \
  do {                                                                             \
    if (!(condition)) ::poolscaler::fuzz::Fail(__FILE__, __LINE__, #condition, (detail)); \
  } while (false)
