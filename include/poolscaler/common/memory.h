#pragma once
// Giving freed heap memory back to the system.
//
// glibc's malloc returns memory to the kernel only from the top of each heap. A burst of short-
// lived allocations (a YAML tree, the setup of many gRPC calls) leaves free pages below live
// chunks, and they stay resident for the life of the process. The runtime calls this after each
// config apply and on its maintenance sweep.

namespace poolscaler::common {

// Returns free whole pages of every malloc arena to the kernel (glibc `malloc_trim(0)`); no effect
// with other allocators (including the sanitizers'). Cheap: it walks the free lists once.
// Thread-safe. Returns true if any memory was released.
bool ReleaseFreeMemory();

}  // namespace poolscaler::common
