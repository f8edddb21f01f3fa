#pragma once
// Removes records that were already forwarded, by RecordKey (tenant, Id, Operation).
//
// Owns the in-flight key set: keys of records handed to the sinks whose blob is not committed yet.
// A record is dropped when its key was committed (StateStore::keysSeen), is in flight for another
// blob, or repeats within the same blob. Thread-safe: filter() and release() may be called from
// any thread, concurrently; the store is queried without holding the internal lock.
//
// Invariant (why in-flight keys are safe to drop): a key in flight for blob A makes blob B drop
// that record. If A is later abandoned (a sink failed, a crash), A's keys are released and A is
// retried until delivered — its content stays listed and downloadable until contentExpiration —
// so the record is still forwarded exactly by A. The caller must therefore release a blob's keys
// only after its commit succeeded (keys now in the store) or when the blob is abandoned and will
// be sent again; the committer commits before it releases, which closes the race in which B could
// see a key neither in flight nor committed.
//
// Every successful filter() must be matched by exactly one release(outcome.kept_keys).
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

#include "core/result.h"
#include "pipeline/delivery/inflight_key_table.h"
#include "pipeline/parse/record_batch.h"
#include "pipeline/state/state_store.h"

namespace o365fwd {

struct DedupOutcome {
  // Keys of the kept records that have an Id, in the order of the kept records, each key once
  // (a record without Id has no key; with replay, a key repeated inside the blob appears once).
  // These are what BlobCommit::keys must hold and what release() takes back.
  std::vector<RecordKey> kept_keys;
  std::uint64_t duplicates_dropped = 0;  // records removed from the batch
  std::uint64_t without_id = 0;          // records without (or with an empty) Id: kept, counted
};

class Deduplicator {
 public:
  explicit Deduplicator(StateStore& store);
  Deduplicator(const Deduplicator&) = delete;
  Deduplicator& operator=(const Deduplicator&) = delete;

  // Removes duplicate records from batch.records (order of the others is kept) and registers the
  // kept keys as in flight for this blob (identified by batch.content stream and content id).
  // replay=true keeps every record (the operator asked for them again) but still registers keys
  // so concurrent normal blobs drop them. On error (the store failed) nothing is registered and
  // the batch is unchanged.
  Result<DedupOutcome> filter(RecordBatch& batch, bool replay);

  // Takes keys out of the in-flight set: after their blob was committed, or abandoned.
  void release(const std::vector<RecordKey>& keys);

  // Keys currently in flight (for status and tests).
  std::size_t inFlight() const;

  // Called with the in-flight table's bytes whenever they changed (it doubles and halves with the
  // keys in flight: 40 bytes a slot, 1.4-2.9 slots a key), so its owner can count them against
  // the in-flight budget. Called under the de-duplicator's lock: it must not call back into it.
  // Set before the first filter().
  void setMemoryObserver(std::function<void(std::uint64_t bytes)> observer);

 private:
  // Registers `key` for `blob` unless it is in flight for another blob (then returns false;
  // `force` registers anyway). Caller holds mu_.
  bool registerLocked(const RecordKey& key, const RecordKey& blob, bool force);
  void releaseLocked(const RecordKey& key);
  void noteMemoryLocked();  // tells the observer when the table's bytes changed

  StateStore& store_;
  mutable std::mutex mu_;
  InFlightKeyTable in_flight_;  // key -> the blob that registered it first, registrations
  std::function<void(std::uint64_t)> memory_observer_;
  std::uint64_t reported_bytes_ = 0;
};

}  // namespace o365fwd
