#include "poolscaler/common/memory.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

namespace poolscaler::common {
namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitizerAllocator = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr bool kSanitizerAllocator = true;
#else
constexpr bool kSanitizerAllocator = false;
#endif
#else
constexpr bool kSanitizerAllocator = false;
#endif

// Private resident memory of this process, from /proc/self/status.
long RssAnonKb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("RssAnon:", 0) == 0) return std::stol(line.substr(8));
  }
  return -1;
}

// The pattern the runtime meets after a config parse: many small chunks, of which a few stay
// alive spread across the heap, so glibc cannot shrink the heap from its top.
TEST(ReleaseFreeMemory, ReturnsFreePagesPinnedBetweenLiveChunks) {
#if !defined(__GLIBC__)
  GTEST_SKIP() << "malloc_trim is glibc's";
#endif
  if (kSanitizerAllocator) GTEST_SKIP() << "the sanitizer's allocator is not glibc malloc";
  ASSERT_GT(RssAnonKb(), 0);
  constexpr int kChunks = 200000;  // about 50 MB of 240-byte chunks
  std::vector<std::unique_ptr<char[]>> chunks;
  chunks.reserve(kChunks);
  for (int i = 0; i < kChunks; ++i) {
    chunks.emplace_back(new char[240]);
    chunks.back()[0] = static_cast<char>(i);  // touch it
  }
  std::vector<std::unique_ptr<char[]>> kept;
  for (int i = 0; i < kChunks; ++i) {
    if (i % 128 == 0) kept.push_back(std::move(chunks[i]));  // one live chunk every ~32 KB
  }
  chunks.clear();
  chunks.shrink_to_fit();
  long before = RssAnonKb();
  EXPECT_TRUE(ReleaseFreeMemory());
  long after = RssAnonKb();
  // Nearly all of the ~50 MB is free, in runs of ~30 KB between the kept chunks.
  EXPECT_GT(before - after, 30 * 1024) << "before " << before << " kB, after " << after << " kB";
  // The kept chunks are still intact after the trim.
  for (size_t k = 0; k < kept.size(); ++k) {
    ASSERT_EQ(kept[k][0], static_cast<char>(k * 128)) << "chunk " << k;
  }
}

TEST(ReleaseFreeMemory, IsHarmlessWhenNothingIsFree) {
  // Live memory is untouched by trims that find little or nothing to give back.
  std::vector<int> live(100000, 7);
  ReleaseFreeMemory();
  ReleaseFreeMemory();
  EXPECT_EQ(std::count(live.begin(), live.end(), 7), 100000);
}

}  // namespace
}  // namespace poolscaler::common
