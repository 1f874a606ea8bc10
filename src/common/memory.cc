#include "poolscaler/common/memory.h"

// Included wherever it exists: through <features.h> it also defines __GLIBC__, checked below.
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
