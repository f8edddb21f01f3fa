#pragma once
// In-memory StateStore for unit tests: the whole interface, thread-safe, atomic commit() (one
// mutex), no persistence. Test hooks: failNext() makes the next calls of a method fail, and
// call counters show how often the store was asked. Unit tests only.
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "pipeline/state/state_store.h"

namespace o365fwd::testing {

class MemoryStateStore final : public StateStore {
 public:
  using StateStore::commit;
  enum class Method {
    kWatermark,
    kBlobsDone,
    kKeysSeen,
    kCommit,
    kRecordLostBlob,
    kRecordBlobFailure,
    kPrune,
    kCounters,
    kSweep  // sweepRecord, recordSweep, setSweepFloor
  };

  Result<std::optional<WallTime>> watermark(const StreamKey& stream) override {
    std::lock_guard lock(mu_);
    if (auto e = injected(Method::kWatermark)) return *e;
    return streams_[stream].watermark;
  }

  Result<std::vector<bool>> blobsDone(const StreamKey& stream,
                                      const std::vector<std::string>& content_ids) override {
    std::lock_guard lock(mu_);
    if (auto e = injected(Method::kBlobsDone)) return *e;
    std::vector<bool> out;
    out.reserve(content_ids.size());
    const auto& done = streams_[stream].done;
    for (const std::string& id : content_ids) out.push_back(done.count(id) > 0);
    return out;
  }

  Result<std::vector<bool>> keysSeen(const std::vector<RecordKey>& keys) override {
    std::lock_guard lock(mu_);
    ++keys_seen_calls_;
    if (auto e = injected(Method::kKeysSeen)) return *e;
    std::vector<bool> out;
    out.reserve(keys.size());
    for (const RecordKey& k : keys) out.push_back(keys_.count(k) > 0);
    return out;
  }

  Status commit(const std::vector<BlobCommit>& blobs,
                const std::vector<std::pair<StreamKey, WallTime>>& watermarks,
                const std::vector<SinkPosition>& positions, WallTime now) override {
    std::lock_guard lock(mu_);
    ++commit_calls_;
    if (auto e = injected(Method::kCommit)) return *e;
    for (const BlobCommit& b : blobs) {
      Stream& s = streams_[b.content.stream];
      s.done[b.content.content_id] = b.content.expiration;
      for (const RecordKey& k : b.keys) keys_[k] = now;
      s.counters.blobs_done += 1;
      s.counters.events_forwarded += b.records_forwarded;
      s.counters.duplicates_dropped += b.duplicates_dropped;
      s.counters.dead_lettered += b.dead_lettered;
      s.counters.records_filtered += b.records_filtered;
      s.counters.last_success = now;
    }
    for (const auto& [stream, t] : watermarks) streams_[stream].watermark = t;
    for (const SinkPosition& p : positions) positions_[p.sink] = p.position;
    return okStatus();
  }

  Result<std::vector<SinkPosition>> sinkPositions() override {
    std::lock_guard lock(mu_);
    std::vector<SinkPosition> out;
    for (const auto& [sink, position] : positions_) out.push_back({sink, position});
    return out;
  }

  Status recordLostBlob(const ContentRef& content, std::string_view) override {
    std::lock_guard lock(mu_);
    if (auto e = injected(Method::kRecordLostBlob)) return *e;
    streams_[content.stream].counters.blobs_lost += 1;
    return okStatus();
  }

  Result<int> recordBlobFailure(const ContentRef& content, std::string_view) override {
    std::lock_guard lock(mu_);
    if (auto e = injected(Method::kRecordBlobFailure)) return *e;
    return ++blob_failures_[content.stream.str() + "\n" + content.content_id];
  }

  Status prune(WallTime now, std::chrono::milliseconds dedup_window) override {
    std::lock_guard lock(mu_);
    if (auto e = injected(Method::kPrune)) return *e;
    for (auto& [key, s] : streams_) {
      for (auto it = s.done.begin(); it != s.done.end();)
        it = it->second < now ? s.done.erase(it) : std::next(it);
    }
    for (auto it = keys_.begin(); it != keys_.end();)
      it = it->second < now - dedup_window ? keys_.erase(it) : std::next(it);
    return okStatus();
  }

  Result<std::vector<StreamCounters>> counters() override {
    std::lock_guard lock(mu_);
    if (auto e = injected(Method::kCounters)) return *e;
    std::vector<StreamCounters> out;
    for (const auto& [key, s] : streams_) {
      StreamCounters c = s.counters;
      c.stream = key;
      c.watermark = s.watermark;
      out.push_back(std::move(c));
    }
    return out;
  }

  Result<SweepRecord> sweepRecord(const StreamKey& stream) override {
    std::lock_guard lock(mu_);
    if (auto e = injected(Method::kSweep)) return *e;
    auto it = streams_.find(stream);
    return it == streams_.end() ? SweepRecord{} : it->second.sweep;
  }
  Status recordSweep(const StreamKey& stream, WallTime started) override {
    std::lock_guard lock(mu_);
    if (auto e = injected(Method::kSweep)) return *e;
    auto& last = streams_[stream].sweep.last_sweep;
    if (!last || *last < started) last = started;
    ++sweeps_recorded_;
    return okStatus();
  }
  Status setSweepFloor(const StreamKey& stream, WallTime floor) override {
    std::lock_guard lock(mu_);
    if (auto e = injected(Method::kSweep)) return *e;
    auto& f = streams_[stream].sweep.floor;
    if (!f) f = floor;
    return okStatus();
  }

  // --- test hooks ---
  // The next `times` calls of `method` fail with `error` (and change nothing).
  void failNext(Method method, Error error, int times = 1) {
    std::lock_guard lock(mu_);
    failures_to_inject_[method] = {std::move(error), times};
  }
  // Marks keys as already forwarded (as if committed at `at`).
  void addSeenKeys(const std::vector<RecordKey>& keys, WallTime at = WallTime{}) {
    std::lock_guard lock(mu_);
    for (const RecordKey& k : keys) keys_[k] = at;
  }
  bool keySeen(const RecordKey& key) const {
    std::lock_guard lock(mu_);
    return keys_.count(key) > 0;
  }
  std::size_t keyCount() const {
    std::lock_guard lock(mu_);
    return keys_.size();
  }
  bool blobDone(const StreamKey& stream, const std::string& content_id) const {
    std::lock_guard lock(mu_);
    auto it = streams_.find(stream);
    return it != streams_.end() && it->second.done.count(content_id) > 0;
  }
  int keysSeenCalls() const {
    std::lock_guard lock(mu_);
    return keys_seen_calls_;
  }
  int commitCalls() const {
    std::lock_guard lock(mu_);
    return commit_calls_;
  }
  int sweepsRecorded() const {
    std::lock_guard lock(mu_);
    return sweeps_recorded_;
  }

 private:
  struct Stream {
    std::optional<WallTime> watermark;
    std::map<std::string, WallTime> done;  // content id -> expiration
    StreamCounters counters;
    SweepRecord sweep;
  };

  std::optional<Error> injected(Method method) {
    auto it = failures_to_inject_.find(method);
    if (it == failures_to_inject_.end() || it->second.second <= 0) return std::nullopt;
    --it->second.second;
    return it->second.first;
  }

  mutable std::mutex mu_;
  std::map<StreamKey, Stream> streams_;
  std::unordered_map<RecordKey, WallTime, RecordKeyHash> keys_;
  std::map<std::string, int> blob_failures_;
  std::map<std::string, std::string> positions_;  // sink -> position
  std::map<Method, std::pair<Error, int>> failures_to_inject_;
  int keys_seen_calls_ = 0;
  int commit_calls_ = 0;
  int sweeps_recorded_ = 0;
};

}  // namespace o365fwd::testing
