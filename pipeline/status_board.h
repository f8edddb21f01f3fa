#pragma once
// The live collection status: one entry per stream and per sink, read by /status, /metrics, the
// HTML page, `o365fwd status` and the end-of-run summary. Writers are the collector's threads;
// readers take consistent copies with snapshot(). Thread-safe.
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "connector/content_ref.h"
#include "core/clock.h"
#include "core/result.h"
#include "pipeline/deep_sweep.h"
#include "pipeline/state/state_store.h"

namespace o365fwd {

enum class StreamState { kStarting, kActive, kError, kDisabled };
const char* toString(StreamState state);

struct ErrorInfo {
  WallTime at;
  std::string code;
  std::string message;  // already redacted
};

struct StreamStatus {
  StreamKey stream;
  StreamState state = StreamState::kStarting;
  std::optional<WallTime> last_poll;
  std::optional<WallTime> last_success;  // last cycle that listed everything and resolved all blobs
  std::optional<WallTime> watermark;
  std::uint64_t blobs_listed = 0;          // this process
  std::uint64_t blobs_done = 0;            // persisted total
  std::uint64_t blobs_pending = 0;         // queued or in flight now
  std::uint64_t blobs_failed = 0;          // this process: attempts that will be retried
  std::uint64_t blobs_lost = 0;            // persisted total: expired before they could be fetched
  std::uint64_t events_forwarded = 0;      // persisted total
  std::uint64_t events_forwarded_run = 0;  // this process
  std::uint64_t duplicates_dropped = 0;    // persisted total
  std::uint64_t dead_lettered = 0;         // persisted total
  std::uint64_t records_without_id = 0;    // this process
  std::uint64_t records_filtered = 0;      // persisted total: not admitted by the record filters
  std::uint64_t records_filtered_run = 0;  // this process
  std::uint64_t bytes_forwarded = 0;       // this process
  std::uint64_t consecutive_failures = 0;
  std::optional<ErrorInfo> last_error;

  std::uint64_t records_invalid_utf8 = 0;  // this process: forwarded with ill-formed UTF-8

  std::uint64_t dead_lettered_run = 0;  // this process: records or blobs written to dead letters
  std::uint64_t blobs_lost_run = 0;     // this process: blobs expired or gone at the API

  // Late content and the deep sweep (this process; docs/STATUS.md).
  std::uint64_t late_blobs = 0;           // first listed more than `overlap` after contentCreated
  std::int64_t max_lateness_seconds = 0;  // of the blobs newly listed
  LatenessHistogram lateness;             // of every newly listed blob
  std::optional<WallTime> last_sweep;     // start of the last complete sweep (stored)
  std::uint64_t sweeps_completed = 0;
};

// Copies what the state database persists for a stream (watermark, last success, persisted
// totals) into its status: the daemon's starting point, and `o365fwd status` of a stopped one.
void applyStoredCounters(StreamStatus& status, const StreamCounters& counters);

struct CollectionTotals {
  std::uint64_t blobs_done = 0, blobs_failed = 0, blobs_lost = 0, events_forwarded = 0,
                duplicates_dropped = 0, dead_lettered = 0, bytes_forwarded = 0,
                records_without_id = 0, events_forwarded_run = 0;
  std::uint64_t records_invalid_utf8 = 0;
  std::uint64_t records_filtered = 0, records_filtered_run = 0;
  std::uint64_t dead_lettered_run = 0, blobs_lost_run = 0;
};

class StatusBoard {
 public:
  explicit StatusBoard(Clock& clock) : clock_(clock) {}
  void addStream(const StreamKey& stream);
  // Forgets a stream (its tenant was removed live); later updates of it are ignored until it is
  // added again.
  void removeStream(const StreamKey& stream);
  // Applies `change` to the stream's entry under the lock.
  void update(const StreamKey& stream, const std::function<void(StreamStatus&)>& change);
  void recordError(const StreamKey& stream, const Error& error, StreamState state);
  std::vector<StreamStatus> snapshot() const;
  // The streams without a successful cycle at or after `since` (readiness probes: once ready,
  // none, so a probe copies nothing).
  std::vector<StreamStatus> withoutSuccessSince(WallTime since) const;
  CollectionTotals totals() const;
  WallTime startedAt() const { return started_at_; }
  void markStarted() { started_at_ = clock_.wallNow(); }

 private:
  Clock& clock_;
  WallTime started_at_{};
  mutable std::mutex mu_;
  std::map<StreamKey, StreamStatus> streams_;
  std::set<StreamKey> removed_;
};

}  // namespace o365fwd
