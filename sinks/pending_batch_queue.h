#pragma once
// The part every queueing sink (file, syslog) shares: the bounded queue of batches that send()
// accepted and the sink's writer thread has not taken yet, the SinkStats accounting (delivered,
// failed, rejected, queued, queued_bytes, state, last_error), the exactly-once `done` of every
// accepted batch, flush() and the reporting of what is left when the sink stops. The sink keeps
// its own I/O: it turns a batch into an Item (its own struct deriving from PendingBatch, with
// `bytes` and `records` filled in), and its writer takes Items and reports each one.
//
// Threads: submit(), flush(), close(), stats(), started(), stopped() and lastError() from any
// thread. waitForBatches(), idle() and takeBatches() from the writer thread only. deliver(),
// fail(), failQueued(), markUp(), markDown() and markStarted() from the writer thread, or from
// start()/stop() while no writer runs. `done` runs on the thread that calls submit() (when the
// batch is answered at once), deliver(), fail() or failQueued(); it must not block and must not
// call back into the sink.
//
// Promises:
// - done fires exactly once per submit(): at once when the batch has nothing to write (kDelivered
//   listing its rejected records), when the sink is not running, or when the stop token or close()
//   ends the wait for queue space (kRetryable, kCancelled); otherwise from the one deliver() or
//   fail() the writer makes for the taken Item (or from failQueued() for Items never taken). The
//   writer must report every Item it takes exactly once.
// - Bytes of accepted batches not yet reported (queued, or taken and in flight) stay within
//   `max_bytes`, except that a single larger batch is admitted when nothing is pending. submit()
//   blocks while there is no room and returns when its stop token fires or close() is called.
// - stats(): delivered, failed and rejected count records; queued and queued_bytes count what was
//   accepted and not yet reported.
// - flush(timeout) returns ok only when every accepted batch's done has returned, otherwise an
//   Error after `timeout`.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "sinks/sink.h"

namespace o365fwd {

// What the queue needs of a batch; sinks derive their queued item from it.
struct PendingBatch {
  BatchPtr batch;
  DeliveryCallback done;
  std::vector<RejectedRecord> rejected;  // reported with kDelivered
  std::uint64_t bytes = 0;               // counted against the queue bound
  std::uint64_t records = 0;             // records to deliver (rejected ones not counted)
};

// Everything that does not depend on the sink's Item type (see PendingBatchQueue below).
class PendingBatchAccounting {
 public:
  // `description`: "file sink main", used in the errors reported ("File sink main is not running").
  PendingBatchAccounting(std::string description, std::uint64_t max_bytes, Clock& clock);
  PendingBatchAccounting(const PendingBatchAccounting&) = delete;
  PendingBatchAccounting& operator=(const PendingBatchAccounting&) = delete;

  // "File sink main": for messages of the sink itself.
  const std::string& label() const { return label_; }
  bool started() const;
  bool stopped() const;
  void markStarted();  // submit() accepts batches from now on (until close())
  // Ends accepting: waiting and later submit() calls answer kRetryable; wakes the writer's waits.
  void close();

  // The sink is up again / down with `error`; each returns whether the state was kDown before.
  bool markUp();
  bool markDown(const Error& error);
  std::optional<Error> lastError() const;

  // Reports a taken Item: kDelivered (with its rejected records) or kRetryable with `error`.
  void deliver(PendingBatch& item);
  void fail(PendingBatch& item, const Error& error);

  Status flush(std::chrono::milliseconds timeout);
  SinkStats stats() const;

 protected:
  // submit() up to the push: answers `item` and returns false when it cannot be queued; otherwise
  // counts it as queued and returns true with `lock` still held.
  bool admit(PendingBatch& item, std::stop_token stop, std::unique_lock<std::mutex>& lock);
  void finish(PendingBatch& item, DeliveryReport report, bool delivered);
  bool closedLocked() const { return stopped_; }  // close() was called; caller holds mu_

  mutable std::mutex mu_;
  std::condition_variable_any queue_cv_;  // writer: items queued (or close())

 private:
  const std::string description_;
  const std::string label_;
  const std::uint64_t max_bytes_;
  Clock& clock_;
  std::condition_variable_any space_cv_;  // submit(): room in the queue
  std::condition_variable drained_cv_;    // flush(): nothing outstanding
  bool started_ = false;
  bool stopped_ = false;
  std::uint64_t outstanding_ = 0;  // batches accepted whose done has not returned yet
  std::uint64_t queued_records_ = 0;
  std::uint64_t queued_bytes_ = 0;
  std::uint64_t delivered_ = 0;
  std::uint64_t failed_ = 0;
  std::uint64_t rejected_ = 0;
  SinkState state_ = SinkState::kStarting;
  std::optional<Error> last_error_;
  std::optional<WallTime> last_error_at_;
};

// The bounded queue of `Item`s (a struct deriving from PendingBatch) with the accounting above.
template <typename Item>
class PendingBatchQueue final : public PendingBatchAccounting {
 public:
  using PendingBatchAccounting::PendingBatchAccounting;

  // send(): queues `item` (bytes and records filled in), waiting for room while the queue is full;
  // or answers it at once (see the promises at the top).
  void submit(Item item, std::stop_token stop) {
    std::unique_lock lock(mu_);
    if (!admit(item, stop, lock)) return;
    untaken_bytes_ += item.bytes;
    queue_.push_back(std::move(item));
    // A gathering writer (gather()) is woken only once it has enough to write.
    const bool wake = untaken_bytes_ >= gather_bytes_;
    lock.unlock();
    if (wake) queue_cv_.notify_one();
  }

  // Writer: waits until an Item is queued (true) or `stop` is requested or, when given, `max_wait`
  // has passed (false).
  bool waitForBatches(std::stop_token stop,
                      std::optional<std::chrono::milliseconds> max_wait = std::nullopt) {
    std::unique_lock lock(mu_);
    auto ready = [&] { return !queue_.empty(); };
    if (!max_wait) return queue_cv_.wait(lock, stop, ready);
    return queue_cv_.wait_for(lock, stop, *max_wait, ready);
  }
  // Writer, after waitForBatches(), for a group commit: waits until `enough_bytes` are queued
  // (untaken), `max_wait` has passed, `stop` is requested or close() is called — so one write and
  // one sync serve the batches of many small blobs. submit() does not wake the writer meanwhile
  // unless `enough_bytes` are reached.
  void gather(std::stop_token stop, std::chrono::milliseconds max_wait,
              std::uint64_t enough_bytes) {
    std::unique_lock lock(mu_);
    gather_bytes_ = enough_bytes;
    queue_cv_.wait_for(lock, stop, max_wait,
                       [&] { return untaken_bytes_ >= enough_bytes || closedLocked(); });
    gather_bytes_ = 0;
  }
  // Writer: waits `max_wait` or until `stop`, whatever is queued (when it cannot take more now).
  void idle(std::stop_token stop, std::chrono::milliseconds max_wait) {
    std::unique_lock lock(mu_);
    queue_cv_.wait_for(lock, stop, max_wait, [] { return false; });
  }
  // Writer: moves queued Items to `out`, oldest first, up to `max_bytes` (at least one if any).
  // They stay counted as queued until reported.
  void takeBatches(std::vector<Item>& out, std::uint64_t max_bytes) {
    std::lock_guard lock(mu_);
    std::uint64_t bytes = 0;
    bool first = true;
    while (!queue_.empty() && (first || bytes + queue_.front().bytes <= max_bytes)) {
      bytes += queue_.front().bytes;
      untaken_bytes_ -= queue_.front().bytes;
      out.push_back(std::move(queue_.front()));
      queue_.pop_front();
      first = false;
    }
  }
  // Reports every Item still queued (never taken) kRetryable with `error`, oldest first.
  void failQueued(const Error& error) {
    std::deque<Item> items;
    {
      std::lock_guard lock(mu_);
      items.swap(queue_);
      untaken_bytes_ = 0;
    }
    for (Item& item : items) fail(item, error);
  }

 private:
  std::deque<Item> queue_;           // guarded by mu_
  std::uint64_t untaken_bytes_ = 0;  // bytes of queue_; guarded by mu_
  std::uint64_t gather_bytes_ = 0;   // while the writer gathers: its threshold; guarded by mu_
};

}  // namespace o365fwd
