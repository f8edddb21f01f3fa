#include "pipeline/state/recent_key_table.h"

#include <algorithm>

namespace o365fwd {
namespace {

constexpr std::size_t kInitialSlots = 1024;

}  // namespace

std::size_t RecentKeyTable::slotOf(const RecordKey& key) const {
  // The key is already a 128-bit MurmurHash3: its low word is uniformly distributed.
  return static_cast<std::size_t>(key.lo) & (slots_.size() - 1);
}

bool RecentKeyTable::contains(const RecordKey& key) const {
  if (size_ == 0) return false;
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = slotOf(key);; i = (i + 1) & mask) {
    const Entry& e = slots_[i];
    if (e.seen_at_s == kEmpty) return false;
    if (e.key == key) return true;
  }
}

void RecentKeyTable::remember(const RecordKey& key, std::int64_t seen_at_s) {
  if (seen_at_s == kEmpty) seen_at_s = kEmpty + 1;
  if ((size_ + 1) * 10 > slots_.size() * 7) grow();
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = slotOf(key);; i = (i + 1) & mask) {
    Entry& e = slots_[i];
    if (e.seen_at_s == kEmpty) {
      e.key = key;
      e.seen_at_s = seen_at_s;
      ++size_;
      return;
    }
    if (e.key == key) {
      e.seen_at_s = std::max(e.seen_at_s, seen_at_s);
      return;
    }
  }
}

void RecentKeyTable::clear() {
  std::vector<Entry>().swap(slots_);
  size_ = 0;
}

void RecentKeyTable::grow() {
  std::vector<Entry> old;
  old.swap(slots_);
  slots_.assign(old.empty() ? kInitialSlots : old.size() * 2, Entry{RecordKey{}, kEmpty});
  const std::size_t mask = slots_.size() - 1;
  for (const Entry& e : old) {
    if (e.seen_at_s == kEmpty) continue;
    std::size_t i = slotOf(e.key);
    while (slots_[i].seen_at_s != kEmpty) i = (i + 1) & mask;
    slots_[i] = e;
  }
}

}  // namespace o365fwd
