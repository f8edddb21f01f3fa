#include "cluster/state/key_digest_index.h"

#include <algorithm>

namespace o365fwd {
namespace {

constexpr std::size_t kInitialSlots = 1024;

std::uint32_t clampSeconds(std::int64_t s) {
  return static_cast<std::uint32_t>(std::clamp<std::int64_t>(s, 1, 0xffffffffll));
}

}  // namespace

std::size_t KeyDigestIndex::slotOf(const KeyDigest& d) const {
  // The digest is part of a 128-bit MurmurHash3: every bit is uniformly distributed.
  return static_cast<std::size_t>(d.hi) & (slots_.size() - 1);
}

bool KeyDigestIndex::contains(const KeyDigest& d) const {
  if (size_ == 0) return false;
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = slotOf(d);; i = (i + 1) & mask) {
    const Entry& e = slots_[i];
    if (e.partition == kEmpty) return false;
    if (e.hi == d.hi && e.lo == d.lo) return true;
  }
}

void KeyDigestIndex::remember(const KeyDigest& d, std::int64_t seen_at_s, std::int32_t partition) {
  if ((size_ + 1) * 10 > slots_.size() * 7)
    rehash(slots_.empty() ? kInitialSlots : slots_.size() * 2);
  const std::uint32_t seen = clampSeconds(seen_at_s);
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = slotOf(d);; i = (i + 1) & mask) {
    Entry& e = slots_[i];
    if (e.partition == kEmpty) {
      e = Entry{d.hi, d.lo, seen, partition};
      ++size_;
      return;
    }
    if (e.hi == d.hi && e.lo == d.lo) {
      if (seen >= e.seen_at_s) {
        e.seen_at_s = seen;
        e.partition = partition;
      }
      return;
    }
  }
}

std::size_t KeyDigestIndex::removeIf(const std::function<bool(std::int64_t, std::int32_t)>& drop) {
  std::size_t removed = 0;
  for (Entry& e : slots_) {
    if (e.partition == kEmpty) continue;
    if (drop(e.seen_at_s, e.partition)) {
      e.partition = kEmpty;
      ++removed;
    }
  }
  if (removed == 0) return 0;
  size_ -= removed;
  // Linear probing cannot leave holes: rebuild, shrinking when the table became sparse.
  std::size_t slots = kInitialSlots;
  while (size_ * 10 > slots * 7 / 2) slots *= 2;
  if (size_ == 0)
    std::vector<Entry>().swap(slots_);
  else
    rehash(std::max(slots, kInitialSlots));
  return removed;
}

void KeyDigestIndex::rehash(std::size_t slots) {
  std::vector<Entry> old;
  old.swap(slots_);
  slots_.assign(slots, Entry{});
  const std::size_t mask = slots_.size() - 1;
  for (const Entry& e : old) {
    if (e.partition == kEmpty) continue;
    std::size_t i = static_cast<std::size_t>(e.hi) & mask;
    while (slots_[i].partition != kEmpty) i = (i + 1) & mask;
    slots_[i] = e;
  }
}

}  // namespace o365fwd
