#include "pipeline/delivery/deduplicator.h"

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

  // 1. Keys, and repeats inside this blob.
  std::vector<bool> drop(n, false);
  std::vector<RecordKey> keys;      // one per distinct key, in record order
  std::vector<std::size_t> origin;  // record index of keys[j]
  keys.reserve(n);
  origin.reserve(n);
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
    origin.push_back(i);
  }

  // 2. Register first, then ask the store: a key committed and released by another blob between
  // the two steps is then already in the store (commit precedes release), and a key registered by
  // another blob after step 2 sees ours in flight. No lock is held during the store query.
  std::vector<bool> kept(keys.size(), false);
  {
    std::lock_guard lock(mu_);
    for (std::size_t j = 0; j < keys.size(); ++j) kept[j] = registerLocked(keys[j], blob, replay);
  }
  if (!replay) {
    std::vector<RecordKey> query;
    std::vector<std::size_t> query_index;
    query.reserve(keys.size());
    query_index.reserve(keys.size());
    for (std::size_t j = 0; j < keys.size(); ++j) {
      if (!kept[j]) continue;
      query.push_back(keys[j]);
      query_index.push_back(j);
    }
    if (!query.empty()) {
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
        return *std::move(error);
      }
      for (std::size_t q = 0; q < query.size(); ++q) {
        if (!(*seen)[q]) continue;
        releaseLocked(query[q]);
        kept[query_index[q]] = false;
      }
    }
  }

  // 3. Outcome and the filtered batch.
  out.kept_keys.reserve(keys.size());
  for (std::size_t j = 0; j < keys.size(); ++j) {
    if (kept[j]) {
      out.kept_keys.push_back(keys[j]);
    } else {
      drop[origin[j]] = true;
    }
  }
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
