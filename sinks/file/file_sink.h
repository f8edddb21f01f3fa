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
#include <vector>

#include "core/backoff.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/random.h"
#include "sinks/file/append_file.h"
#include "sinks/pending_batch_queue.h"
#include "sinks/sink.h"

namespace o365fwd {

struct FileSinkOptions {
  std::uint64_t queue_max_bytes = 64ull * 1024 * 1024;
  std::uint64_t max_cycle_bytes = 16ull * 1024 * 1024;  // coalesced per write+fdatasync round
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

 private:
  struct Item : PendingBatch {
    std::vector<bool> skip;  // per record: rejected, not written (empty when none)
  };

  void run(std::stop_token stop);
  void writeCycle(std::vector<Item>& cycle);
  bool ensureOpen();
  // Writes and syncs cycle[begin, end) and reports those batches; returns the failure, if any.
  std::optional<Error> writeGroup(std::vector<Item>& cycle, std::size_t begin, std::size_t end);
  void noteFailure(const Error& error);

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
  std::vector<iovec> iov_;

  PendingBatchQueue<Item> pending_;
  std::once_flag stop_once_;
  std::jthread writer_;
};

}  // namespace o365fwd
