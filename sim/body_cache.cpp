#include "sim/body_cache.h"

namespace o365fwd::sim {

BodyCache::Body BodyCache::get(const Key& key) {
  std::lock_guard lock(mu_);
  if (auto pinned = pinned_.find(key); pinned != pinned_.end()) return pinned->second;
  auto it = index_.find(key);
  if (it == index_.end()) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->second;
}

void BodyCache::put(const Key& key, Body body) {
  if (!body || body->size() > budget_ / 4) return;
  std::lock_guard lock(mu_);
  if (index_.count(key) > 0) return;
  lru_.emplace_front(key, body);
  index_[key] = lru_.begin();
  bytes_ += body->size();
  while (bytes_ > budget_ && !lru_.empty()) {
    bytes_ -= lru_.back().second->size();
    index_.erase(lru_.back().first);
    lru_.pop_back();
  }
}

void BodyCache::pin(const Key& key, Body body) {
  if (!body) return;
  std::lock_guard lock(mu_);
  pinned_bytes_ += body->size();
  pinned_[key] = std::move(body);
}

std::uint64_t BodyCache::pinnedBytes() const {
  std::lock_guard lock(mu_);
  return pinned_bytes_;
}

}  // namespace o365fwd::sim
