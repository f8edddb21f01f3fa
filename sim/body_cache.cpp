#include "sim/body_cache.h"

namespace o365fwd::sim {

BodyCache::Body BodyCache::get(const Key& key) {
  std::lock_guard lock(mu_);
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

}  // namespace o365fwd::sim
