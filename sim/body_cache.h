#pragma once
// A byte-bounded LRU of generated blob bodies (plain and gzip), so repeated fetches of the same
// blob (retries, overlapping re-lists, several forwarders) are served without re-rendering.
// Bodies are shared immutable strings: a response streams from the same bytes the cache holds.
// Pinned bodies (--prebuild-bodies: every gzip body rendered once at start) are kept outside
// the LRU budget and never evicted. Thread-safe.
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace o365fwd::sim {

class BodyCache {
 public:
  using Body = std::shared_ptr<const std::string>;
  struct Key {
    size_t tenant, content_type, blob;
    bool gzip;
    bool operator==(const Key&) const = default;
  };

  explicit BodyCache(size_t budget_bytes) : budget_(budget_bytes) {}
  Body get(const Key& key);
  // Bodies larger than a quarter of the budget are not kept.
  void put(const Key& key, Body body);
  // Kept until the simulator exits, whatever its size; not counted against the budget.
  void pin(const Key& key, Body body);
  std::uint64_t pinnedBytes() const;

 private:
  struct KeyHash {
    size_t operator()(const Key& k) const {
      return ((k.tenant * 131 + k.content_type) * 1000003 + k.blob) * 2 + (k.gzip ? 1 : 0);
    }
  };
  using Entry = std::pair<Key, Body>;
  mutable std::mutex mu_;
  size_t budget_;
  size_t bytes_ = 0;
  std::list<Entry> lru_;  // front = most recent
  std::unordered_map<Key, std::list<Entry>::iterator, KeyHash> index_;
  std::unordered_map<Key, Body, KeyHash> pinned_;
  std::uint64_t pinned_bytes_ = 0;
};

}  // namespace o365fwd::sim
