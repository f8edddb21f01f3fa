#pragma once
// Exactly-once into Kafka (docs/CLUSTER.md "Exactly-once into Kafka"): a StateLog that writes the
// records of each commit, per assignment partition p, in one Kafka transaction of the producer
// with transactional.id "<group>.tx.<p>" together with the sink records staged for the commit's
// blobs (RecordStage). A read_committed consumer sees a blob's records exactly when the state
// marking it done is visible, so the next owner neither misses nor repeats them.
//
// Owns: one TxnProducer per claimed partition, the staged batches (BatchPtr, held until the
// transaction holding their records committed; the collector's budget charge still covers them),
// and the inner non-transactional StateLog for reads and for the writes outside commits (failures,
// lost blobs, sweep bookkeeping, prune: states, never records of a sink).
//
// Threads: stage() from any delivery thread; claim(), release(), write*() and read() from the
// store's threads (claim/release/writeCommit are serialised by one lock held across the brokers'
// answers; writeCommit runs the transactions of the partitions it touches on one thread each, each
// using only its partition's producer); exactlyOnceStats() from any thread.
//
// Promises:
// - claim(p) registers "<group>.tx.<p>" (init_transactions) before the partition's state is read:
//   every older producer of p — a paused or partitioned previous owner — is fenced, and a
//   transaction it left open is aborted, so what the load reads is final for p.
// - writeCommit() returns ok for a partition only after its transaction committed; a partition
//   whose transaction failed with an abortable error is aborted and written again in a new
//   transaction (up to max_attempts), with the staged records still held; a retriable commit
//   failure is resumed by the next writeCommit before anything else of that partition.
// - A fatal or fenced producer error marks the partition fenced: nothing more of it is written
//   (its blobs are reported in `dropped`, so the store does not mark them done) until it is
//   released and claimed again; exactlyOnceStats() names it with what to do.
// - A blob staged under an older claim of its partition (before a fence) is never written: the
//   partition's part of that commit is dropped.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cluster/state/state_log.h"
#include "cluster/txn/record_stage.h"
#include "cluster/txn/txn_producer.h"
#include "core/clock.h"
#include "core/logging.h"

namespace o365fwd {

struct ExactlyOnceOptions {
  std::string group;
  int partitions = 64;
  std::chrono::milliseconds commit_timeout{std::chrono::seconds(30)};
  int max_attempts = 3;  // transactions per partition and writeCommit() (aborted ones included)
};

// "<group>.tx.<partition>".
std::string transactionalId(const std::string& group, std::int32_t partition);

class ExactlyOnceLog final : public StateLog, public RecordStage {
 public:
  ExactlyOnceLog(std::unique_ptr<StateLog> inner, TxnProducerFactory factory,
                 ExactlyOnceOptions options, Clock& clock);
  ~ExactlyOnceLog() override;

  // StateLog: outside commits, the inner log's.
  Status write(const std::vector<StateLogRecord>& records) override;
  void writeAsync(const std::vector<StateLogRecord>& records) override;
  Status read(const std::vector<std::int32_t>& partitions, std::chrono::milliseconds deadline,
              std::stop_token stop, const RecordVisitor& visit) override;
  std::string describe() const override;
  Status claim(const std::vector<std::int32_t>& partitions,
               std::chrono::milliseconds deadline) override;
  void release(const std::vector<std::int32_t>& partitions) override;
  Status writeCommit(const std::vector<StateLogRecord>& records,
                     const std::vector<ContentRef>& blobs,
                     std::vector<std::int32_t>& dropped) override;
  std::optional<ExactlyOnceStats> exactlyOnceStats() const override;

  // RecordStage.
  void stage(const StagedSink& sink, BatchPtr batch, std::vector<std::uint32_t> skip) override;

  // Staged blobs not yet committed (tests, status).
  std::size_t stagedBlobs() const;

 private:
  enum class Pending { kNone, kCommit, kAbort };
  struct Staged {
    std::int32_t partition = 0;
    std::uint64_t generation = 0;  // the partition's claim when it was staged
    StagedSink sink;
    BatchPtr batch;
    std::vector<std::uint32_t> skip;  // ascending
  };
  struct PartitionTxn {
    std::unique_ptr<TxnProducer> producer;
    std::uint64_t generation = 0;
    bool fenced = false;
    Pending pending = Pending::kNone;
    std::vector<std::string> pending_keys;  // blobs of the transaction whose commit is pending
  };
  struct Work {
    std::vector<const StateLogRecord*> records;
    std::vector<std::string> keys;  // content keys of the blobs
  };
  enum class Outcome { kCommitted, kFenced, kFailed };

  std::int32_t partitionOf(const std::string& tenant) const;
  // One partition's transaction(s) (txn_mu_ held); on kFailed `error` says why.
  Outcome runTransaction(std::int32_t p, PartitionTxn& part, const Work& work, Error& error);
  // Finishes a commit or abort left pending (txn_mu_ held).
  Outcome resumePending(std::int32_t p, PartitionTxn& part, SteadyTime deadline, Error& error);
  TxnResult produceAll(PartitionTxn& part, const Work& work, SteadyTime deadline,
                       std::uint64_t& sink_records);
  void fence(std::int32_t p, PartitionTxn& part, const TxnError& why);
  void unstage(const std::vector<std::string>& keys, std::uint64_t generation);
  Error failure(std::int32_t p, const TxnError& why, const std::string& doing) const;
  std::chrono::milliseconds left(SteadyTime deadline) const;

  std::unique_ptr<StateLog> inner_;
  TxnProducerFactory factory_;
  const ExactlyOnceOptions options_;
  Clock& clock_;
  const std::string state_topic_;
  std::shared_ptr<spdlog::logger> log_ = getLogger("cluster.txn");

  std::mutex txn_mu_;      // claim, release, writeCommit; the producers
  mutable std::mutex mu_;  // everything below
  std::map<std::int32_t, PartitionTxn> parts_;
  std::map<std::string, std::vector<Staged>> staged_;  // content key -> one per sink
  std::uint64_t next_generation_ = 0;
  ExactlyOnceStats stats_;
};

}  // namespace o365fwd
