#include "pipeline/delivery/inflight_key_table.h"

namespace o365fwd {
namespace {

constexpr std::size_t kInitialSlots = 4096;

}  // namespace

std::size_t InFlightKeyTable::slotOf(const RecordKey& key) const {
  // The key is already a 128-bit MurmurHash3: its low word is uniformly distributed.
  return static_cast<std::size_t>(key.lo) & (slots_.size() - 1);
}

InFlightKeyTable::Entry* InFlightKeyTable::find(const RecordKey& key) {
  if (size_ == 0) return nullptr;
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = slotOf(key);; i = (i + 1) & mask) {
    Entry& e = slots_[i];
    if (e.refs == 0) return nullptr;
    if (e.key == key) return &e;
  }
}

std::pair<InFlightKeyTable::Entry*, bool> InFlightKeyTable::insert(const RecordKey& key,
                                                                   const RecordKey& owner) {
  if (Entry* found = find(key)) return {found, false};
  if ((size_ + 1) * 10 > slots_.size() * 7)
    resize(slots_.empty() ? kInitialSlots : slots_.size() * 2);
  const std::size_t mask = slots_.size() - 1;
  std::size_t i = slotOf(key);
  while (slots_[i].refs != 0) i = (i + 1) & mask;
  slots_[i] = Entry{key, owner, 1};
  ++size_;
  return {&slots_[i], true};
}

void InFlightKeyTable::erase(const RecordKey& key) {
  if (size_ == 0) return;
  const std::size_t mask = slots_.size() - 1;
  std::size_t hole = slotOf(key);
  for (;; hole = (hole + 1) & mask) {
    if (slots_[hole].refs == 0) return;  // absent
    if (slots_[hole].key == key) break;
  }
  // Backward shift: move each following entry of the run into the hole when its home slot is not
  // between the hole and itself (cyclically), so every lookup still finds it without tombstones.
  for (std::size_t i = (hole + 1) & mask; slots_[i].refs != 0; i = (i + 1) & mask) {
    const std::size_t home = slotOf(slots_[i].key);
    const bool stays = hole <= i ? (hole < home && home <= i) : (hole < home || home <= i);
    if (stays) continue;
    slots_[hole] = slots_[i];
    hole = i;
  }
  slots_[hole].refs = 0;
  --size_;
  if (slots_.size() > kInitialSlots && size_ * 16 < slots_.size()) resize(slots_.size() / 2);
}

void InFlightKeyTable::resize(std::size_t slots) {
  std::vector<Entry> old(slots);
  old.swap(slots_);
  const std::size_t mask = slots_.size() - 1;
  for (const Entry& e : old) {
    if (e.refs == 0) continue;
    std::size_t i = slotOf(e.key);
    while (slots_[i].refs != 0) i = (i + 1) & mask;
    slots_[i] = e;
  }
}

}  // namespace o365fwd
