// InFlightKeyTable against a std::unordered_map model: random inserts and erases (with keys
// chosen to collide in their home slots), every lookup agreeing, through growth and shrinking.
#include "pipeline/delivery/inflight_key_table.h"

#include <gtest/gtest.h>

#include <random>
#include <unordered_map>

namespace o365fwd {
namespace {

TEST(InFlightKeyTable, InsertFindErase) {
  InFlightKeyTable table;
  const RecordKey a{1, 7}, b{2, 7}, owner{9, 9};  // same low word: same home slot
  EXPECT_EQ(table.find(a), nullptr);
  auto [entry, inserted] = table.insert(a, owner);
  EXPECT_TRUE(inserted);
  EXPECT_EQ(entry->refs, 1u);
  EXPECT_EQ(entry->owner, owner);
  ++entry->refs;
  auto [again, inserted_again] = table.insert(a, RecordKey{5, 5});
  EXPECT_FALSE(inserted_again);
  EXPECT_EQ(again->refs, 2u);
  EXPECT_EQ(again->owner, owner) << "the first registration's owner stays";
  table.insert(b, owner);
  EXPECT_EQ(table.size(), 2u);
  table.erase(a);  // b was placed after a in the same run: it must still be found
  EXPECT_EQ(table.find(a), nullptr);
  ASSERT_NE(table.find(b), nullptr);
  table.erase(a);  // absent: nothing happens
  EXPECT_EQ(table.size(), 1u);
  // The all-zero key is an ordinary key.
  table.insert(RecordKey{0, 0}, owner);
  EXPECT_NE(table.find(RecordKey{0, 0}), nullptr);
}

TEST(InFlightKeyTable, AgreesWithAMapThroughGrowthAndShrinking) {
  InFlightKeyTable table;
  std::unordered_map<RecordKey, std::uint32_t, RecordKeyHash> model;
  std::mt19937_64 random(14);  // fixed seed
  // Low words from a small range wrap around the table and collide; high words tell keys apart.
  auto key = [&](std::uint64_t n) { return RecordKey{n, (n * 2654435761u) % 6000}; };
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 40000; ++i) {
      const RecordKey k = key(random() % 30000);
      if (random() % 3 != 0) {
        auto [entry, inserted] = table.insert(k, RecordKey{});
        EXPECT_EQ(inserted, model.count(k) == 0);
        if (!inserted) ++entry->refs;
        ++model[k];
      } else {
        table.erase(k);
        model.erase(k);
      }
    }
    ASSERT_EQ(table.size(), model.size());
    for (std::uint64_t n = 0; n < 30000; ++n) {
      const RecordKey k = key(n);
      auto it = model.find(k);
      InFlightKeyTable::Entry* e = table.find(k);
      ASSERT_EQ(e != nullptr, it != model.end()) << n;
      if (e) {
        EXPECT_EQ(e->refs, it->second);
      }
    }
    // Empty it (the table shrinks back on the way).
    for (auto& [k, refs] : model) table.erase(k);
    model.clear();
    EXPECT_EQ(table.size(), 0u);
    for (std::uint64_t n = 0; n < 30000; ++n) ASSERT_EQ(table.find(key(n)), nullptr);
  }
}

}  // namespace
}  // namespace o365fwd
