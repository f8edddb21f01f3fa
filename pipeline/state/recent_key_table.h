#pragma once
// The state store's recent record keys (pipeline/state/sqlite_state_store.cpp): each key with the
// latest time it was committed, in one flat open-addressing table (linear probing, at most 70 %
// full, doubled when fuller). Replaces a node-based std::unordered_map that cost an allocation
// per key and two dependent cache misses per lookup (7 % of run --once's CPU in a perf profile)
// and ~64 bytes a key against 24-48 here.
// Not thread-safe: the state store calls it under its own lock.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/record_key.h"

namespace o365fwd {

class RecentKeyTable {
 public:
  struct Entry {
    RecordKey key;
    std::int64_t seen_at_s = 0;
  };

  bool contains(const RecordKey& key) const;
  // Adds the key, or raises its time to seen_at_s when it is already there.
  void remember(const RecordKey& key, std::int64_t seen_at_s);
  std::size_t size() const { return size_; }
  // Calls f(const Entry&) for every key, in no particular order.
  template <typename F>
  void forEach(F&& f) const {
    for (const Entry& e : slots_)
      if (e.seen_at_s != kEmpty) f(e);
  }
  // Empties the table and frees its memory.
  void clear();

 private:
  // A slot is empty when its time is kEmpty (a committed key's time is a Unix second >= 0 or,
  // for keys loaded from an older database, any other value: those are stored as kEmpty + 1).
  static constexpr std::int64_t kEmpty = INT64_MIN;
  std::size_t slotOf(const RecordKey& key) const;
  void grow();

  std::vector<Entry> slots_;  // size a power of two, or empty
  std::size_t size_ = 0;
};

}  // namespace o365fwd
