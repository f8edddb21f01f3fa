#pragma once
// The state store of cluster mode (docs/CLUSTER.md "State records"): a StateStore whose state lives
// in the compacted topic <group>.state, split by partition — the state of tenant T lives in state
// partition tenantPartition(T, partitions), the same number as T's assignment partition, so an
// instance that gains assignment partition p loads state partition p and nothing else.
//
// Thread-safe: every method may be called from any thread.
//
// Promises beyond StateStore:
// - commit() returns ok only after every record of the commit was acknowledged by the brokers
//   (acks=all, idempotent producer), bounded by KafkaStateStoreOptions::commit_timeout; a
//   returned commit is durable. On error nothing changes in memory, and committing the same
//   arguments again is safe (records carry states, not increments).
// - A write (commit, recordBlobFailure, recordLostBlob, recordSweep, setSweepFloor) for a tenant
//   whose partition is not loaded is a permanent kInternal error and writes nothing.
// - Reads for a tenant of a partition that is not loaded answer as for an unknown stream;
//   keysSeen() answers over the keys of every loaded partition; counters() lists the streams of
//   the loaded partitions.
// - sinkPositions() are host-local (the file sink writes host-local files): kept in
//   <state_dir>/sink_positions, replaced after each commit that carries positions.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "cluster/state/state_log.h"
#include "core/clock.h"
#include "core/config/config.h"
#include "core/result.h"
#include "pipeline/state/state_store.h"

namespace o365fwd {

// What the store holds and how its writes went, for the status views.
struct ClusterStateStats {
  std::vector<std::int32_t> partitions;  // loaded, ascending
  std::uint64_t streams = 0;
  std::uint64_t blobs = 0;        // blob records held (done, or expired until their tombstone)
  std::uint64_t keys = 0;         // record keys in the de-duplication index
  std::uint64_t index_bytes = 0;  // its table
  std::uint64_t partitions_loaded = 0;  // partitions loaded since the start (moves in)
  double last_load_seconds = 0;         // the last loadPartitions() that loaded something
  std::uint64_t write_failures = 0;     // writes that returned an error (each retry counts)
  std::string last_write_error;         // the last one's message (empty: none yet)
  // Exactly-once (layer 5): set when commits are Kafka transactions with the sink's records.
  std::optional<ExactlyOnceStats> exactly_once;
};

class RecordStage;

class ClusterStateStore : public StateStore {
 public:
  // Reads these state partitions (read_committed) from the beginning to their end offsets as of
  // the call, bounded by `deadline`; after it returns ok the partitions' tenants can be collected.
  // Partitions already loaded are skipped. On error none of the requested partitions that were
  // not loaded before is loaded. A stop request ends it early with a kCancelled error.
  virtual Status loadPartitions(const std::vector<std::int32_t>& partitions,
                                std::chrono::milliseconds deadline, std::stop_token stop = {}) = 0;
  // Drops the partitions' in-memory state (after their tenants drained and committed: the end of
  // a revocation). Partitions not loaded are ignored.
  virtual void releasePartitions(const std::vector<std::int32_t>& partitions) = 0;
  // The loaded partitions, ascending.
  virtual std::vector<std::int32_t> loadedPartitions() const = 0;
  virtual ClusterStateStats stats() const = 0;
  // Exactly-once (layer 5): where the Kafka sink leaves each blob's records for the transaction of
  // its commit (cluster/txn/staged_kafka_sink.h); nullptr when commits are not transactional.
  virtual RecordStage* recordStage() { return nullptr; }
  // stats().exactly_once without the rest (cheap: called every second).
  virtual std::optional<ExactlyOnceStats> exactlyOnceStats() const { return std::nullopt; }
};

struct KafkaStateStoreOptions {
  // How long a commit (or any write) waits for the brokers' acknowledgement.
  std::chrono::milliseconds commit_timeout{std::chrono::seconds(30)};
  // Exactly-once into the Kafka sink (docs/CLUSTER.md "Exactly-once into Kafka"): each commit is
  // one Kafka transaction per partition with the staged sink records (recordStage()).
  bool exactly_once = false;
  std::string compression = "zstd";  // the Kafka sink's, for the transactional producers
};

// Opens the store of cluster.kafka's group: builds the idempotent producer (no broker round trip
// yet: an unreachable broker shows at the first loadPartitions() or commit()), creates state_dir
// (0700) and takes <state_dir>/lock like the SQLite store (the two never share a state_dir).
// Errors: permanent kConfig for properties librdkafka refuses, kIo for state_dir.
Result<std::unique_ptr<ClusterStateStore>> openKafkaStateStore(
    const ClusterKafkaConfig& config, const std::string& client_id, Clock& clock,
    const std::filesystem::path& state_dir, const KafkaStateStoreOptions& options = {});

}  // namespace o365fwd
