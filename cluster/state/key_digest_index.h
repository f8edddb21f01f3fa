#pragma once
// The de-duplication set of the Kafka state store (cluster/state/kafka_state_store.h): each
// record-key digest of the loaded state partitions with the latest second it was committed and the
// partition it came from, in one flat open-addressing table (linear probing, at most 70 % full). 24
// bytes a key; removal rebuilds the table (prune and partition release are rare, whole-table
// events). Not thread-safe: the store calls it under its own lock.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "cluster/state/state_records.h"

namespace o365fwd {

class KeyDigestIndex {
 public:
  bool contains(const KeyDigest& digest) const;
  // Adds the digest, or raises its time to seen_at_s when it is already there (the partition of
  // the latest commit wins).
  void remember(const KeyDigest& digest, std::int64_t seen_at_s, std::int32_t partition);
  // Removes every entry for which drop(seen_at_s, partition) is true; returns how many.
  std::size_t removeIf(const std::function<bool(std::int64_t, std::int32_t)>& drop);
  std::size_t size() const { return size_; }
  std::size_t memoryBytes() const { return slots_.capacity() * sizeof(Entry); }

 private:
  struct Entry {
    std::uint64_t hi = 0;
    std::uint32_t lo = 0;
    std::uint32_t seen_at_s = 0;  // Unix seconds; clamped into 1..2^32-1
    std::int32_t partition = kEmpty;
  };
  static constexpr std::int32_t kEmpty = -1;
  std::size_t slotOf(const KeyDigest& d) const;
  void rehash(std::size_t slots);

  std::vector<Entry> slots_;  // size a power of two, or empty
  std::size_t size_ = 0;
};

}  // namespace o365fwd
