#include "cluster/state/key_digest_index.h"

#include <gtest/gtest.h>

namespace o365fwd {
namespace {

KeyDigest d(std::uint64_t i) {
  return {i * 0x9E3779B97F4A7C15ull, static_cast<std::uint32_t>(~i)};
}

TEST(KeyDigestIndex, RemembersGrowsAndRemovesByAgeOrPartition) {
  KeyDigestIndex index;
  EXPECT_FALSE(index.contains(d(1)));
  for (std::uint64_t i = 0; i < 10'000; ++i)
    index.remember(d(i), 1000 + static_cast<std::int64_t>(i % 10), static_cast<int>(i % 4));
  EXPECT_EQ(index.size(), 10'000u);
  for (std::uint64_t i = 0; i < 10'000; ++i) ASSERT_TRUE(index.contains(d(i))) << i;
  EXPECT_FALSE(index.contains(d(10'000)));
  index.remember(d(3), 5000, 3);  // refreshed: survives the age cut below
  EXPECT_EQ(index.size(), 10'000u);

  EXPECT_EQ(index.removeIf([](std::int64_t seen, std::int32_t) { return seen < 1005; }), 4'999u);
  for (std::uint64_t i = 0; i < 10'000; ++i)
    ASSERT_EQ(index.contains(d(i)), i % 10 >= 5 || i == 3) << i;
  const std::size_t before = index.size();
  std::size_t removed =
      index.removeIf([](std::int64_t, std::int32_t partition) { return partition == 3; });
  EXPECT_EQ(index.size(), before - removed);
  for (std::uint64_t i = 0; i < 10'000; ++i)
    if (i % 4 == 3) {
      ASSERT_FALSE(index.contains(d(i))) << i;
    }
  index.removeIf([](std::int64_t, std::int32_t) { return true; });
  EXPECT_EQ(index.size(), 0u);
  EXPECT_FALSE(index.contains(d(6)));
  index.remember(d(6), 1, 0);
  EXPECT_TRUE(index.contains(d(6)));
}

}  // namespace
}  // namespace o365fwd
