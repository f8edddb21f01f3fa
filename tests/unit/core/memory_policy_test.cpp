// The allocator policy is accepted by the C library the tests run on (glibc on Debian and EL).
#include "core/memory_policy.h"

#include <gtest/gtest.h>

#include <string>

namespace o365fwd {
namespace {

TEST(MemoryPolicy, GlibcAcceptsEverySetting) {
#if defined(__GLIBC__)
  EXPECT_TRUE(applyMemoryPolicy());
  // Large buffers still work after the change (each is its own mapping now).
  std::string big(3u << 20, 'x');
  EXPECT_EQ(big[big.size() - 1], 'x');
#else
  GTEST_SKIP() << "not glibc";
#endif
}

}  // namespace
}  // namespace o365fwd
