#include "pipeline/state/recent_key_table.h"

#include <gtest/gtest.h>

#include <climits>
#include <map>

#include "core/random.h"

namespace o365fwd {
namespace {

TEST(RecentKeyTable, AgreesWithAMapThroughGrowthRepeatsAndClear) {
  Random random(7);
  RecentKeyTable table;
  std::map<std::pair<std::uint64_t, std::uint64_t>, std::int64_t> expected;
  std::vector<RecordKey> keys;
  for (int i = 0; i < 20000; ++i) {
    RecordKey k{random.next(), random.next()};
    if (i % 7 == 0) k.lo = static_cast<std::uint64_t>(i) << 20;  // low bits alike: long probes
    if (i % 5 == 0 && !keys.empty()) k = keys[random.next() % keys.size()];  // again
    std::int64_t t = static_cast<std::int64_t>(random.next() % 1000);
    table.remember(k, t);
    auto [it, added] = expected.try_emplace({k.hi, k.lo}, t);
    if (!added) it->second = std::max(it->second, t);
    keys.push_back(k);
  }
  EXPECT_EQ(table.size(), expected.size());
  for (const RecordKey& k : keys) EXPECT_TRUE(table.contains(k));
  for (int i = 0; i < 1000; ++i) EXPECT_FALSE(table.contains(RecordKey{random.next(), 1}));
  std::size_t visited = 0;
  table.forEach([&](const RecentKeyTable::Entry& e) {
    ++visited;
    auto it = expected.find({e.key.hi, e.key.lo});
    ASSERT_NE(it, expected.end());
    EXPECT_EQ(e.seen_at_s, it->second);
  });
  EXPECT_EQ(visited, expected.size());
  table.clear();
  EXPECT_EQ(table.size(), 0u);
  EXPECT_FALSE(table.contains(keys.front()));
  table.remember(keys.front(), 3);
  EXPECT_TRUE(table.contains(keys.front()));
}

TEST(RecentKeyTable, ZeroKeyAndExtremeTimesAreKeys) {
  RecentKeyTable table;
  EXPECT_FALSE(table.contains(RecordKey{}));
  table.remember(RecordKey{}, 0);
  table.remember(RecordKey{0, 1}, INT64_MIN);  // stored one second later: not the empty mark
  EXPECT_TRUE(table.contains(RecordKey{}));
  EXPECT_TRUE(table.contains(RecordKey{0, 1}));
  EXPECT_EQ(table.size(), 2u);
}

}  // namespace
}  // namespace o365fwd
