#pragma once
// Durable collection state under state_dir (SQLite, WAL): per-stream watermark, done blobs until
// their contentExpiration, the de-duplication set of forwarded record keys (dedup_window),
// per-blob failure attempts, and per-stream counters for status.
//
// Owns the SQLite connection and the exclusive lock on <state_dir>/lock (flock, held for the
// object's life: two instances cannot share a state directory). Thread-safe: every method may be
// called from any thread (internally serialised).
//
// Promise: commit() is atomic — after a crash at any point, the store holds either everything of a
// commit() call or nothing of it.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "connector/content_ref.h"
#include "core/clock.h"
#include "core/record_key.h"
#include "core/result.h"

namespace o365fwd {

// Everything that becomes durable when one blob is done.
struct BlobCommit {
  ContentRef content;
  std::vector<RecordKey> keys;          // keys of the records forwarded from this blob
  std::uint64_t records_forwarded = 0;  // records every sink acknowledged
  std::uint64_t duplicates_dropped = 0;
  std::uint64_t dead_lettered = 0;     // records (or the whole blob) written to dead letters
  std::uint64_t records_filtered = 0;  // records the record filters did not admit (not sent)
};

// A sink's durable position, stored in the same transaction as the blobs it holds (the file
// sink's crash recovery, docs/STATE.md "Sink positions"). Opaque to the store.
struct SinkPosition {
  std::string sink;      // sinks[].name
  std::string position;  // written and read by the sink only
  bool operator==(const SinkPosition&) const = default;
};

struct StreamCounters {
  StreamKey stream;
  std::optional<WallTime> watermark;
  std::uint64_t blobs_done = 0;
  std::uint64_t events_forwarded = 0;
  std::uint64_t duplicates_dropped = 0;
  std::uint64_t dead_lettered = 0;
  std::uint64_t blobs_lost = 0;  // expired before they could be fetched (AF20051 / past expiration)
  std::uint64_t records_filtered = 0;  // not admitted by the record filters (schema version 4)
  std::optional<WallTime> last_success;
};

// Deep-sweep bookkeeping of one stream (collection.sweep_interval, docs/STATE.md).
struct SweepRecord {
  std::optional<WallTime> last_sweep;  // when the last complete sweep started (local wall time)
  std::optional<WallTime> floor;       // the stream's first listed instant; no sweep lists older
};

class StateStore {
 public:
  virtual ~StateStore() = default;

  virtual Result<std::optional<WallTime>> watermark(const StreamKey& stream) = 0;
  // For each content id, whether it is done (same order as the input).
  virtual Result<std::vector<bool>> blobsDone(const StreamKey& stream,
                                              const std::vector<std::string>& content_ids) = 0;
  // For each key, whether it was forwarded within the dedup window (same order as the input).
  virtual Result<std::vector<bool>> keysSeen(const std::vector<RecordKey>& keys) = 0;
  // One transaction: marks the blobs done, records their keys (seen at `now`), adds the counters,
  // sets the given watermarks and replaces the stored position of each sink in `positions`.
  virtual Status commit(const std::vector<BlobCommit>& blobs,
                        const std::vector<std::pair<StreamKey, WallTime>>& watermarks,
                        const std::vector<SinkPosition>& positions, WallTime now) = 0;
  Status commit(const std::vector<BlobCommit>& blobs,
                const std::vector<std::pair<StreamKey, WallTime>>& watermarks, WallTime now) {
    return commit(blobs, watermarks, {}, now);
  }
  // The last committed position of every sink that stored one.
  virtual Result<std::vector<SinkPosition>> sinkPositions() = 0;
  // Counts a blob that expired before it could be fetched.
  virtual Status recordLostBlob(const ContentRef& content, std::string_view reason) = 0;
  // Counts one failed attempt of a blob (e.g. invalid JSON) and returns the attempts so far.
  virtual Result<int> recordBlobFailure(const ContentRef& content, std::string_view reason) = 0;
  // Removes done blobs past their expiration and keys seen before now - dedup_window.
  virtual Status prune(WallTime now, std::chrono::milliseconds dedup_window) = 0;
  virtual Result<std::vector<StreamCounters>> counters() = 0;

  // Deep sweep: what is stored for the stream (both empty for an unknown stream).
  virtual Result<SweepRecord> sweepRecord(const StreamKey& stream) = 0;
  // Stores the start of a completed sweep (a later value only; an older one is ignored).
  // sweepRecord() answers it at once; it may become durable only with the next commit() (or
  // when the store closes): a lost sweep time means one more sweep.
  virtual Status recordSweep(const StreamKey& stream, WallTime started) = 0;
  // Stores the stream's sweep floor once; later calls keep the first value. Like recordSweep(),
  // durable at the latest with the next commit() — the one that stores the stream's first
  // watermark.
  virtual Status setSweepFloor(const StreamKey& stream, WallTime floor) = 0;
};

// Opens (creating if needed) <state_dir>/state.db and takes <state_dir>/lock. Fails with a clear
// message naming the other process when the lock is held.
Result<std::unique_ptr<StateStore>> openSqliteStateStore(const std::filesystem::path& state_dir);
// The per-stream counters of <state_dir>/state.db, read-only and without taking the lock (for
// `o365fwd status` while or after a daemon runs).
Result<std::vector<StreamCounters>> readStateCounters(const std::filesystem::path& state_dir);

}  // namespace o365fwd
