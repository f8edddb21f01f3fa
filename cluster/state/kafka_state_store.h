#pragma once
// KafkaStateStore: the ClusterStateStore (cluster/state/cluster_state_store.h) over a StateLog —
// the records of docs/CLUSTER.md "State records" (cluster/state/state_records.h), served from an
// in-memory index of the loaded partitions. Without librdkafka: openKafkaStateStore() builds it
// over the librdkafka StateLog; unit tests build it over tests/fakes/fake_state_log.h.
//
// Owns the index (per loaded partition: each stream's checkpoint, done blobs, failures and lost
// blobs; one KeyDigestIndex of every loaded partition's record-key digests, 24 bytes a key), the
// StateLog and the LocalStateFiles. Thread-safe: reads take the index lock briefly; writes are
// serialised by a second lock held across the brokers' acknowledgement, so reads never wait for
// the network, and records of one stream reach its partition in the order the writes happened.
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "cluster/state/cluster_state_store.h"
#include "cluster/state/key_digest_index.h"
#include "cluster/state/local_state_files.h"
#include "cluster/state/state_log.h"
#include "cluster/state/state_records.h"
#include "core/logging.h"

namespace o365fwd {

class KafkaStateStore final : public ClusterStateStore {
 public:
  // `stage`: the exactly-once log's RecordStage when `log` is one (it owns it), else nullptr.
  KafkaStateStore(std::unique_ptr<StateLog> log, int partitions,
                  std::unique_ptr<LocalStateFiles> local, RecordStage* stage = nullptr);

  Status loadPartitions(const std::vector<std::int32_t>& partitions,
                        std::chrono::milliseconds deadline, std::stop_token stop = {}) override;
  void releasePartitions(const std::vector<std::int32_t>& partitions) override;
  std::vector<std::int32_t> loadedPartitions() const override;
  ClusterStateStats stats() const override;
  RecordStage* recordStage() override { return stage_; }
  std::optional<ExactlyOnceStats> exactlyOnceStats() const override {
    return log_->exactlyOnceStats();
  }

  Result<std::optional<WallTime>> watermark(const StreamKey& stream) override;
  Result<std::vector<bool>> blobsDone(const StreamKey& stream,
                                      const std::vector<std::string>& content_ids) override;
  Result<std::vector<bool>> keysSeen(const std::vector<RecordKey>& keys) override;
  using StateStore::commit;
  Status commit(const std::vector<BlobCommit>& blobs,
                const std::vector<std::pair<StreamKey, WallTime>>& watermarks,
                const std::vector<SinkPosition>& positions, WallTime now) override;
  Result<std::vector<SinkPosition>> sinkPositions() override;
  Status recordLostBlob(const ContentRef& content, std::string_view reason) override;
  Result<int> recordBlobFailure(const ContentRef& content, std::string_view reason) override;
  Status prune(WallTime now, std::chrono::milliseconds dedup_window) override;
  Result<std::vector<StreamCounters>> counters() override;
  Result<SweepRecord> sweepRecord(const StreamKey& stream) override;
  Status recordSweep(const StreamKey& stream, WallTime started) override;
  Status setSweepFloor(const StreamKey& stream, WallTime floor) override;

  // In-memory size, for status and benchmarks.
  std::size_t keyCount() const;
  std::size_t indexBytes() const;

 private:
  struct BlobEntry {
    std::int64_t expiration_ns = 0;
    std::int64_t committed_at_s = 0;  // latest of its records
    std::uint32_t parts = 0;          // extra records b/.../<n>, n = 1..parts
    bool done = true;                 // false once pruned: kept only until its tombstone
  };
  struct NoteEntry {
    std::uint32_t attempts = 0;
    std::int64_t expiration_ns = 0;
  };
  struct StreamState {
    CheckpointValue checkpoint;
    bool checkpoint_written = false;  // a c/ record exists in the partition
    std::unordered_map<std::string, BlobEntry> blobs;
    std::unordered_map<std::string, NoteEntry> failures;
    std::unordered_map<std::string, std::int64_t> lost;  // content id -> expiration_ns
  };
  struct PartitionState {
    std::map<StreamKey, StreamState> streams;
    PruneValue last_prune;  // what its last prune dropped (p/<partition>)
  };
  struct LoadStats;

  std::int32_t partitionOf(const StreamKey& stream) const;
  // The stream's state when its partition is loaded (index lock held), else nullptr.
  const StreamState* findStream(const StreamKey& stream) const;
  // The permanent error of a write for a tenant whose partition is not loaded (index lock held),
  // or ok.
  Status requireLoaded(const StreamKey& stream) const;
  StateLogRecord checkpointRecord(const StreamKey& stream, const CheckpointValue& value) const;
  Status applyLoaded(std::int32_t partition, std::string_view key,
                     std::optional<std::string_view> value, PartitionState& into, LoadStats& stats);
  // log_->write(records), counting a failure for stats().
  Status writeRecords(const std::vector<StateLogRecord>& records);

  const int partitions_;
  std::unique_ptr<StateLog> log_;
  RecordStage* stage_ = nullptr;
  std::unique_ptr<LocalStateFiles> local_;
  std::shared_ptr<spdlog::logger> logger_;

  std::mutex load_mu_;     // one loadPartitions() at a time
  std::mutex write_mu_;    // one write at a time, held across the acknowledgement
  mutable std::mutex mu_;  // the index below
  std::map<std::int32_t, PartitionState> loaded_;
  std::set<std::int32_t> loading_;
  KeyDigestIndex keys_;
  std::vector<SinkPosition> positions_;
  std::uint64_t partitions_loaded_ = 0;
  double last_load_seconds_ = 0;
  std::uint64_t write_failures_ = 0;
  std::string last_write_error_;
};

}  // namespace o365fwd
