#pragma once
// The de-duplicator's in-flight record keys: each key with the blob that registered it first and
// its count of registrations not yet released, in one flat open-addressing table (linear probing,
// at most 70 % full, doubled when fuller, halved when under 1/16 full and above the initial size;
// erase shifts the following entries back, so there are no tombstones). Replaces a node-based
// std::unordered_map that cost an allocation and a free per record and a dependent cache miss per
// lookup (3 % of run --once's CPU in a perf profile, plus its share of malloc/free).
// Not thread-safe: the Deduplicator calls it under its own lock.
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "core/record_key.h"

namespace o365fwd {

class InFlightKeyTable {
 public:
  struct Entry {
    RecordKey key;
    RecordKey owner;         // the blob that registered the key first
    std::uint32_t refs = 0;  // registrations not yet released; 0 = an empty slot
  };

  // The entry of `key`, or nullptr. Valid until the next insert or erase.
  Entry* find(const RecordKey& key);
  // Adds `key` for `owner` with refs 1 and returns {it, true}; when present, returns {its entry,
  // false} unchanged. Valid until the next insert or erase.
  std::pair<Entry*, bool> insert(const RecordKey& key, const RecordKey& owner);
  // Removes the entry of `key` (if any).
  void erase(const RecordKey& key);
  std::size_t size() const { return size_; }
  // Bytes of the table's slots (what it holds in memory).
  std::uint64_t memoryBytes() const { return slots_.capacity() * sizeof(Entry); }

 private:
  std::size_t slotOf(const RecordKey& key) const;
  void resize(std::size_t slots);

  std::vector<Entry> slots_;  // size a power of two, or empty
  std::size_t size_ = 0;
};

}  // namespace o365fwd
