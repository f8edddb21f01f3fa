#pragma once
// File sink: every record's original bytes plus '\n' (NDJSON), appended to one file with
// size-based rotation (see AppendFile for the file-level promises: 0640, partial-line repair,
// rotation path.1..path.N with a directory fsync).
//
// Threads: send(), flush(), stop(), stats() and healthcheck() may be called from any thread. One
// writer thread (started by start()) owns the file: it takes queued batches, coalesces them into
// large writev() calls, fdatasync()s, and only then fires each batch's done(kDelivered) — exactly
// once per send(). `done` runs on the writer thread (or on the caller's thread when send() answers
// at once); it must not block and must not call send() or stop() of this sink.
//
// Failure: when a write, fsync or rotation fails, every batch not known durable is reported
// kRetryable with the error, the file is closed (fsync is never retried on an fd that failed; the
// next open truncates back to the last synced size), the state becomes kDown and last_error is
// set. While down, batches are answered kRetryable at once until the reopen backoff has passed;
// then the next batch retries opening the file, so a disk that was full and frees up recovers.
//
// Backpressure: the queue holds at most FileSinkOptions::queue_max_bytes of record bytes (a single
// larger batch is admitted alone); send() blocks while it is full and returns early, reporting
// kRetryable, when its stop token fires or the sink stops. The queue, the stats and the done/flush/
// stop bookkeeping are PendingBatchQueue's; this class does the file I/O.
//
// Crash recovery (docs/STATE.md "Sink positions"): send() notes, per batch that has something to
// write, the durable end of the file at that moment — the batch lands after it. durablePosition()
// (committer thread) answers the earliest such position of the blobs not done, or the
// durable end; it is stored with each commit. Failed blobs stay pinned until they are done.
// recoverFrom() + start() read what the files hold after the stored position
// (sinks/file/tail_recovery.h) and send() then acknowledges those records (matched by
// fileRecordKey) without writing them, each key once.
#include <spdlog/logger.h>
#include <sys/uio.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/backoff.h"
#include "core/clock.h"
#include "core/config/config.h"
#include "core/random.h"
#include "sinks/file/append_file.h"
#include "sinks/file/tail_recovery.h"
#include "sinks/pending_batch_queue.h"
#include "sinks/sink.h"

namespace o365fwd {

struct FileSinkOptions {
  std::uint64_t queue_max_bytes = 64ull * 1024 * 1024;
  std::uint64_t max_cycle_bytes = 16ull * 1024 * 1024;  // coalesced per write+fdatasync round
  // Group commit: when batches arrive, the writer waits up to group_commit_wait for
  // group_commit_bytes to be queued before it writes and syncs, so many small blobs share one
  // fdatasync (a fleet's 10-record blobs took one each: 14,000 syncs and their wake-ups for
  // 200,000 records). Nothing waits on it that matters: a delivered blob is committed every
  // commit_interval (200 ms) anyway. 0 ms = write at once.
  std::chrono::milliseconds group_commit_wait{5};
  std::uint64_t group_commit_bytes = 1024 * 1024;
  // Tests only: runs on the writer thread after each write+sync with the number of batches it
  // served.
  std::function<void(std::size_t)> cycle_hook;
  BackoffPolicy reopen_backoff{std::chrono::milliseconds(500), std::chrono::seconds(30),
                               std::chrono::milliseconds(100)};
  // Tests only: runs on the writer thread before it takes the next batches from the queue (to hold
  // the writer). Must return when the token is stop-requested.
  std::function<void(std::stop_token)> writer_hook;
};

class FileSink final : public Sink {
 public:
  FileSink(std::string name, FileSinkConfig config, Clock& clock, Random& random,
           FileSinkOptions options = {});
  ~FileSink() override;  // stop()
  FileSink(const FileSink&) = delete;
  FileSink& operator=(const FileSink&) = delete;

  const std::string& name() const override { return name_; }
  SinkType type() const override { return SinkType::kFile; }
  // Opens (creating the directory and file if needed) and starts the writer thread. On failure the
  // error is returned and reported in stats(); the writer keeps retrying when batches arrive.
  Status start() override;
  void send(BatchPtr batch, DeliveryCallback done, std::stop_token stop) override;
  Status flush(std::chrono::milliseconds timeout) override;
  void stop() override;
  SinkStats stats() const override;
  // The parent directory exists and a probe file can be created and removed in it (or, when it is
  // missing, the nearest existing ancestor allows creating it); an existing `path` is a regular
  // file. Local calls only; `timeout` is not needed.
  Status healthcheck(std::chrono::milliseconds timeout) override;

  // Crash recovery (see the top). recoverFrom() must come before start().
  void recoverFrom(std::optional<std::string> position, std::uint64_t max_bytes) override;
  std::optional<std::string> durablePosition(const std::vector<ContentRef>& done) override;
  void forgetDone(const std::vector<ContentRef>& done) override;
  // Until then, durablePosition() stays where recovery started: blobs of the recovered tail that
  // were not done may not have been sent again yet.
  void everyStreamListed() override;
  // Records found already written after the last commit and therefore not written again.
  std::uint64_t recoveredRecordsSkipped() const;

 private:
  // Where a blob's records lie: after a durable position of this process (ordered by generation,
  // then offset; generation counts the file identities this sink has written), or `at_start`:
  // anywhere after the position recovery started from (records recognised in the recovered tail,
  // or a batch sent before the file was ever opened). at_start sorts first.
  struct Position {
    bool at_start = true;
    std::uint64_t generation = 0;
    FilePosition file;
    bool before(const Position& o) const {
      if (at_start != o.at_start) return at_start;
      return generation != o.generation ? generation < o.generation : file.offset < o.file.offset;
    }
  };

  struct Item : PendingBatch {
    std::vector<bool> skip;  // per record: rejected, or already written (recovered): not written
  };

  void run(std::stop_token stop);
  void writeCycle(std::vector<Item>& cycle);
  bool ensureOpen();
  // Writes and syncs cycle[begin, end) and reports those batches; returns the failure, if any.
  std::optional<Error> writeGroup(std::vector<Item>& cycle, std::size_t begin, std::size_t end);
  void noteFailure(const Error& error);
  // After the file was opened, synced or rotated: its durable end is the new position.
  void noteDurable();
  void runRecovery();
  // Marks records of `item` already written before the crash; returns how many.
  std::uint64_t skipRecovered(Item& item);

  const std::string name_;
  const FileSinkConfig config_;
  Clock& clock_;
  Random& random_;
  const FileSinkOptions options_;
  std::shared_ptr<spdlog::logger> log_;
  AppendFile file_;  // writer thread only (and start() before the thread exists)

  // Writer-thread state.
  int consecutive_failures_ = 0;
  SteadyTime next_open_at_{};
  std::vector<iovec> iov_;  // at most kMaxIovecs (64 KiB)
  static constexpr std::size_t kMaxIovecs = 4096;

  // Crash recovery, guarded by pos_mu_ (send(), the committer and the writer use it).
  mutable std::mutex pos_mu_;
  std::optional<Position> durable_;
  // Blobs sent and not done (by blobKey()): the durable end when the first of their batches was
  // sent; their records lie after it. A failed blob stays until a later commit marks it done.
  std::unordered_map<std::string, Position> open_;
  std::unordered_set<RecordKey, RecordKeyHash> recovered_;
  std::uint64_t recovered_skipped_ = 0;
  bool recover_ = false;               // recoverFrom() was called; start() reads the tail
  bool anchored_ = false;              // recovery ran and not every stream has listed again yet
  std::optional<std::string> anchor_;  // where recovery started (nullopt: from every file's start)
  std::optional<std::string> recover_position_;
  std::uint64_t recover_max_bytes_ = 0;

  PendingBatchQueue<Item> pending_;
  std::once_flag stop_once_;
  std::jthread writer_;
};

}  // namespace o365fwd
