#include "core/memory_policy.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace o365fwd {

bool applyMemoryPolicy(const MemoryPolicy& policy) {
#if defined(__GLIBC__)
  bool ok = mallopt(M_MMAP_THRESHOLD, static_cast<int>(policy.mmap_threshold)) == 1;
  ok = mallopt(M_TRIM_THRESHOLD, static_cast<int>(policy.trim_threshold)) == 1 && ok;
  if (policy.arena_max > 0) ok = mallopt(M_ARENA_MAX, policy.arena_max) == 1 && ok;
  return ok;
#else
  (void)policy;
  return false;
#endif
}

}  // namespace o365fwd
