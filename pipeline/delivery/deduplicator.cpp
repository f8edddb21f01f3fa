#include "pipeline/delivery/deduplicator.h"

#include <cstdint>
#include <optional>
#include <string>

namespace o365fwd {
namespace {

// One blob's record keys, to find repeats inside it: a flat set sized for the blob (at most half
// full, linear probing), two arrays instead of a node allocation per key.
class BlobKeySet {
 public:
  explicit BlobKeySet(std::size_t keys) {
    std::size_t slots = 16;
    while (slots < 2 * keys) slots <<= 1;
    keys_.resize(slots);
    used_.assign(slots, 0);
  }
  // False when the key was already there.
  bool insert(const RecordKey& key) {
    const std::size_t mask = keys_.size() - 1;
    for (std::size_t i = static_cast<std::size_t>(key.lo) & mask;; i = (i + 1) & mask) {
      if (!used_[i]) {
        used_[i] = 1;
        keys_[i] = key;
        return true;
      }
      if (keys_[i] == key) return false;
    }
  }

 private:
  std::vector<RecordKey> keys_;
  std::vector<unsigned char> used_;
};

}  // namespace

Deduplicator::Deduplicator(StateStore& store) : store_(store) {}

Result<DedupOutcome> Deduplicator::filter(RecordBatch& batch, bool replay) {
  const std::string& tenant = batch.content.stream.tenant;
  // Owner identity of this blob's in-flight keys (same hash, different fields; only compared
  // with other owners).
  const RecordKey blob =
      RecordKey::of(tenant, batch.content.stream.content_type, batch.content.content_id);
  const std::size_t n = batch.records.size();
  DedupOutcome out;

  // Memory: this runs while the blob's parse tables are held, before the collector trues up its
  // budget charge, so its scratch is kept small (with 1 GiB blobs it was ~200 bytes a record the
  // budget did not see; docs/BENCHMARKS.md): the in-blob set is freed before the in-flight table
  // grows, record indexes are 32-bit (a body is < 4 GiB), the store is asked with `keys` itself
  // unless some are in flight for another blob, and the kept keys are `keys` compacted in place.
  // 1. Keys, and repeats inside this blob.
  std::vector<bool> drop(n, false);
  std::vector<RecordKey> keys;        // one per distinct key, in record order
  std::vector<std::uint32_t> origin;  // record index of keys[j]
  keys.reserve(n);
  origin.reserve(n);
  {
    BlobKeySet in_blob(n);
    for (std::size_t i = 0; i < n; ++i) {
      std::string_view id = batch.id(i);
      if (id.empty()) {
        ++out.without_id;
        continue;
      }
      RecordKey key = RecordKey::of(tenant, id, batch.operation(i));
      if (!in_blob.insert(key)) {
        if (!replay) drop[i] = true;
        continue;
      }
      keys.push_back(key);
      origin.push_back(static_cast<std::uint32_t>(i));
    }
  }

  // 2. Register first, then ask the store: a key committed and released by another blob between
  // the two steps is then already in the store (commit precedes release), and a key registered by
  // another blob after step 2 sees ours in flight. No lock is held during the store query.
  std::vector<bool> kept(keys.size(), false);
  std::size_t kept_count = 0;
  {
    std::lock_guard lock(mu_);
    for (std::size_t j = 0; j < keys.size(); ++j) {
      kept[j] = registerLocked(keys[j], blob, replay);
      kept_count += kept[j] ? 1 : 0;
    }
    noteMemoryLocked();
  }
  if (!replay && kept_count > 0) {
    // Usually every key is ours: then the store is asked with `keys` as they are.
    const bool all_kept = kept_count == keys.size();
    std::vector<RecordKey> some;
    std::vector<std::uint32_t> some_index;
    if (!all_kept) {
      some.reserve(kept_count);
      some_index.reserve(kept_count);
      for (std::size_t j = 0; j < keys.size(); ++j) {
        if (!kept[j]) continue;
        some.push_back(keys[j]);
        some_index.push_back(static_cast<std::uint32_t>(j));
      }
    }
    const std::vector<RecordKey>& query = all_kept ? keys : some;
    Result<std::vector<bool>> seen = store_.keysSeen(query);
    std::optional<Error> error;
    if (!seen.ok()) {
      error = seen.error();
    } else if (seen->size() != query.size()) {
      error = Error::permanent(ErrorKind::kInternal,
                               "State store answered " + std::to_string(seen->size()) +
                                   " key lookups for " + std::to_string(query.size()) + " keys");
    }
    std::lock_guard lock(mu_);
    if (error) {
      for (const RecordKey& k : query) releaseLocked(k);
      noteMemoryLocked();
      return *std::move(error);
    }
    for (std::size_t q = 0; q < query.size(); ++q) {
      if (!(*seen)[q]) continue;
      releaseLocked(query[q]);
      kept[all_kept ? q : some_index[q]] = false;
    }
    noteMemoryLocked();
  }

  // 3. Outcome and the filtered batch: the kept keys are `keys` compacted in place.
  std::size_t k = 0;
  for (std::size_t j = 0; j < keys.size(); ++j) {
    if (kept[j]) {
      keys[k++] = keys[j];
    } else {
      drop[origin[j]] = true;
    }
  }
  keys.resize(k);
  out.kept_keys = std::move(keys);
  std::size_t w = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (drop[i]) {
      ++out.duplicates_dropped;
    } else {
      batch.records[w++] = batch.records[i];
    }
  }
  batch.records.resize(w);
  return out;
}

void Deduplicator::release(const std::vector<RecordKey>& keys) {
  std::lock_guard lock(mu_);
  for (const RecordKey& k : keys) releaseLocked(k);
  noteMemoryLocked();
}

void Deduplicator::setMemoryObserver(std::function<void(std::uint64_t bytes)> observer) {
  std::lock_guard lock(mu_);
  memory_observer_ = std::move(observer);
  reported_bytes_ = 0;
  noteMemoryLocked();
}

void Deduplicator::noteMemoryLocked() {
  const std::uint64_t bytes = in_flight_.memoryBytes();
  if (!memory_observer_ || bytes == reported_bytes_) return;
  reported_bytes_ = bytes;
  memory_observer_(bytes);
}

std::size_t Deduplicator::inFlight() const {
  std::lock_guard lock(mu_);
  return in_flight_.size();
}

bool Deduplicator::registerLocked(const RecordKey& key, const RecordKey& blob, bool force) {
  auto [entry, inserted] = in_flight_.insert(key, blob);
  if (inserted) return true;
  if (entry->owner != blob && !force) return false;
  ++entry->refs;
  return true;
}

void Deduplicator::releaseLocked(const RecordKey& key) {
  InFlightKeyTable::Entry* entry = in_flight_.find(key);
  if (entry == nullptr) return;  // released twice: a caller bug, harmless here
  if (entry->refs == 1) {
    in_flight_.erase(key);  // finds it by its refs, so before they reach 0
  } else {
    --entry->refs;
  }
}

}  // namespace o365fwd
