#include "poolscaler/common/memory.h"

// Included unconditionally where it exists: it is also what defines __GLIBC__ for the test below.
#if __has_include(<malloc.h>)
#include <malloc.h>
#endif

namespace poolscaler::common {

bool ReleaseFreeMemory() {
#if defined(__GLIBC__)
  return malloc_trim(0) == 1;
#else
  return false;
#endif
}

}  // namespace poolscaler::common
