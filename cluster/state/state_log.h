#pragma once
// What the Kafka state store (cluster/state/kafka_state_store.h) asks of <group>.state, as an
// interface of ours: write records to explicit partitions and wait for their acknowledgement, and
// read partitions from the beginning to their end. KafkaStateLog
// (cluster/state/kafka_state_log.cpp, the librdkafka seam) implements it; unit tests use
// tests/fakes/fake_state_log.h.
//
// Threads: write()/writeAsync() from one thread at a time (the store serialises its writes);
// read() from any thread, concurrently with writes.
//
// Promises: the records of one write() are produced together, in order within each partition,
// and write() returns ok only when every one of them was acknowledged by the brokers (acks=all);
// an error means some may have been written and some not (a caller retries with the same
// records). A transactional implementation (layer 5) can replace this one: one write() = one
// transaction. Errors name the topic and brokers and say what to check: retryable kTransport
// when the brokers do not answer in time, permanent when the topic is missing or access refused.
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "connector/content_ref.h"
#include "core/result.h"

namespace o365fwd {

// What an exactly-once log (cluster/txn/exactly_once_log.h) did, for the status views.
struct ExactlyOnceStats {
  std::uint64_t transactions_committed = 0;
  std::uint64_t transactions_aborted = 0;  // aborted and produced again (or given up)
  std::uint64_t records_committed = 0;     // sink records in committed transactions
  std::uint64_t blobs_dropped = 0;  // commits of a fenced partition, not written (another owner)
  std::vector<std::int32_t> fenced_partitions;  // ascending; fenced here, not yet released
  std::string fenced_error;                     // the last fence: what happened, what to do
};

struct StateLogRecord {
  std::int32_t partition = 0;
  std::string key;
  std::optional<std::string> value;  // nullopt: a tombstone
};

class StateLog {
 public:
  // (partition, key, value or nullopt for a tombstone, offset), in offset order per partition.
  using RecordVisitor = std::function<void(std::int32_t, std::string_view,
                                           std::optional<std::string_view>, std::int64_t)>;
  virtual ~StateLog() = default;
  virtual Status write(const std::vector<StateLogRecord>& records) = 0;
  // Produces without waiting for the acknowledgement; a failure is logged. A later write() to the
  // same partition is ordered after these records.
  virtual void writeAsync(const std::vector<StateLogRecord>& records) = 0;
  // Reads each partition (read_committed) from its beginning to its end offset as of the call,
  // calling `visit` for every record. Bounded by `deadline`; a stop request ends it with a
  // kCancelled error.
  virtual Status read(const std::vector<std::int32_t>& partitions,
                      std::chrono::milliseconds deadline, std::stop_token stop,
                      const RecordVisitor& visit) = 0;
  // "<topic> on <brokers>", for messages.
  virtual std::string describe() const = 0;

  // Exactly-once (layer 5). The defaults are those of a log without transactions.
  // Before the partitions gained are read: take them over (a transactional log registers each
  // partition's transactional.id, fencing its previous writer). Errors as read()'s.
  virtual Status claim(const std::vector<std::int32_t>& /*partitions*/,
                       std::chrono::milliseconds /*deadline*/) {
    return okStatus();
  }
  virtual void release(const std::vector<std::int32_t>& /*partitions*/) {}
  // The records of one commit that marks `blobs` done. A transactional log writes each partition's
  // records with the sink records staged for its blobs in one transaction; the partitions it did
  // not write because they are fenced (another owner) are put in `dropped` (the caller must not
  // apply their part of the commit).
  virtual Status writeCommit(const std::vector<StateLogRecord>& records,
                             const std::vector<ContentRef>& /*blobs*/,
                             std::vector<std::int32_t>& /*dropped*/) {
    return write(records);
  }
  virtual std::optional<ExactlyOnceStats> exactlyOnceStats() const { return std::nullopt; }
};

}  // namespace o365fwd
