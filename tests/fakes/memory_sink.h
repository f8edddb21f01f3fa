#pragma once
// In-memory Sink for unit tests. Keeps every delivered record (raw bytes) in arrival order.
//
// Modes: auto-deliver (default) answers each send() at once, on the caller's thread, with the
// report of policy() (default: everything delivered). Manual (setAutoDeliver(false)) holds batches
// as pending until the test calls deliverPending() or failPending(); with setCapacity(n), send()
// blocks while n batches are pending (backpressure) and returns early, reporting kRetryable, when
// its stop token fires or the sink stops. Honours the Sink contract: done exactly once per send().
// Thread-safe. Unit tests only.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <mutex>
#include <string>
#include <vector>

#include "sinks/sink.h"

namespace o365fwd::testing {

class MemorySink final : public Sink {
 public:
  using Policy = std::function<DeliveryReport(const RecordBatch&)>;

  explicit MemorySink(std::string name = "memory", SinkType type = SinkType::kFile)
      : name_(std::move(name)), type_(type) {}
  ~MemorySink() override { stop(); }

  const std::string& name() const override { return name_; }
  SinkType type() const override { return type_; }

  Status start() override {
    std::lock_guard lock(mu_);
    started_ = true;
    state_ = SinkState::kUp;
    return okStatus();
  }

  void send(BatchPtr batch, DeliveryCallback done, std::stop_token stop) override {
    std::unique_lock lock(mu_);
    ++send_calls_;
    sent_.push_back(batch);
    if (!started_ || stopped_) {
      failed_ += batch->size();
      lock.unlock();
      done(retryable("memory sink " + name_ + " is not running"));
      return;
    }
    if (auto_deliver_) {
      DeliveryReport report = policy_ ? policy_(*batch) : DeliveryReport{};
      account(*batch, report);
      if (report.status == DeliveryStatus::kDelivered && keep_batches_) batches_.push_back(batch);
      lock.unlock();
      batch.reset();  // let go before reporting, as a real sink that is done with the batch
      done(std::move(report));
      return;
    }
    bool admitted = cv_.wait(lock, stop, [&] { return stopped_ || pending_.size() < capacity_; });
    if (!admitted || stopped_) {
      failed_ += batch->size();
      lock.unlock();
      done(retryable("stopped while waiting for space in memory sink " + name_));
      return;
    }
    queued_ += batch->size();
    pending_.push_back(Pending{std::move(batch), std::move(done)});
    cv_.notify_all();
  }

  Status flush(std::chrono::milliseconds timeout) override {
    std::unique_lock lock(mu_);
    if (cv_.wait_for(lock, timeout, [&] { return pending_.empty() && in_callback_ == 0; }))
      return okStatus();
    return Error::retryableError(ErrorKind::kSink,
                                 "memory sink " + name_ + ": batches still pending");
  }

  void stop() override {
    {
      std::lock_guard lock(mu_);
      stopped_ = true;
      state_ = SinkState::kDown;
    }
    cv_.notify_all();
    drain([&](const RecordBatch& b) {
      std::lock_guard lock(mu_);
      failed_ += b.size();
      queued_ -= b.size();
      return retryable("memory sink " + name_ + " stopped");
    });
  }

  SinkStats stats() const override {
    std::lock_guard lock(mu_);
    SinkStats s;
    s.state = state_;
    s.delivered = delivered_;
    s.failed = failed_;
    s.rejected = rejected_;
    s.queued = queued_;
    return s;
  }

  Status healthcheck(std::chrono::milliseconds) override {
    std::lock_guard lock(mu_);
    return health_;
  }

  // --- test controls ---
  void setAutoDeliver(bool on) {
    std::lock_guard lock(mu_);
    auto_deliver_ = on;
  }
  // Every batch sent, without keeping it alive (a test sees when the last holder let go).
  std::vector<std::weak_ptr<const RecordBatch>> sent() const {
    std::lock_guard lock(mu_);
    return sent_;
  }
  // Auto-delivered batches are kept for batches()/records() (default); off: only counted.
  void setKeepBatches(bool on) {
    std::lock_guard lock(mu_);
    keep_batches_ = on;
  }
  void setCapacity(std::size_t batches) {
    std::lock_guard lock(mu_);
    capacity_ = batches;
    cv_.notify_all();
  }
  // Decides the report of auto-delivered batches (e.g. reject some records, or kRetryable).
  void setPolicy(Policy policy) {
    std::lock_guard lock(mu_);
    policy_ = std::move(policy);
  }
  void setHealth(Status health) {
    std::lock_guard lock(mu_);
    health_ = std::move(health);
  }
  // Delivers (per policy) every pending batch; returns how many.
  std::size_t deliverPending() {
    return drain([&](const RecordBatch& b) {
      std::lock_guard lock(mu_);
      DeliveryReport report = policy_ ? policy_(b) : DeliveryReport{};
      queued_ -= b.size();
      account(b, report);
      return report;
    });
  }
  // Answers every pending batch kRetryable with `error`; returns how many.
  std::size_t failPending(Error error) {
    return drain([&](const RecordBatch& b) {
      std::lock_guard lock(mu_);
      queued_ -= b.size();
      failed_ += b.size();
      return DeliveryReport{DeliveryStatus::kRetryable, {}, error};
    });
  }
  std::size_t pendingCount() const {
    std::lock_guard lock(mu_);
    return pending_.size();
  }
  // Waits until `n` batches are pending (for tests driving a producer thread).
  bool waitPending(std::size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return pending_.size() >= n; });
  }
  std::vector<std::string> records() const {
    std::lock_guard lock(mu_);
    return records_;
  }
  std::vector<BatchPtr> batches() const {
    std::lock_guard lock(mu_);
    return batches_;
  }
  int sendCalls() const {
    std::lock_guard lock(mu_);
    return send_calls_;
  }

 private:
  struct Pending {
    BatchPtr batch;
    DeliveryCallback done;
  };

  static DeliveryReport retryable(std::string message) {
    return DeliveryReport{DeliveryStatus::kRetryable,
                          {},
                          Error::retryableError(ErrorKind::kCancelled, std::move(message))};
  }

  // Caller holds mu_.
  void account(const RecordBatch& b, const DeliveryReport& report) {
    if (report.status != DeliveryStatus::kDelivered) {
      failed_ += b.size();
      return;
    }
    std::vector<bool> rejected(b.size(), false);
    for (const RejectedRecord& r : report.rejected)
      if (r.index < b.size()) rejected[r.index] = true;
    for (std::size_t i = 0; i < b.size(); ++i) {
      if (rejected[i]) continue;
      records_.emplace_back(b.raw(i));
      ++delivered_;
    }
    rejected_ += report.rejected.size();
  }

  template <typename Decide>
  std::size_t drain(Decide decide) {
    std::deque<Pending> items;
    {
      std::lock_guard lock(mu_);
      items.swap(pending_);
      in_callback_ += items.size();
    }
    std::size_t n = items.size();
    for (Pending& p : items) {
      DeliveryReport report = decide(*p.batch);
      {
        std::lock_guard lock(mu_);
        if (report.status == DeliveryStatus::kDelivered) batches_.push_back(p.batch);
      }
      p.done(std::move(report));
      std::lock_guard lock(mu_);
      --in_callback_;
    }
    cv_.notify_all();
    return n;
  }

  const std::string name_;
  const SinkType type_;
  mutable std::mutex mu_;
  std::condition_variable_any cv_;
  std::deque<Pending> pending_;
  std::size_t capacity_ = std::numeric_limits<std::size_t>::max();
  std::size_t in_callback_ = 0;
  bool auto_deliver_ = true;
  bool started_ = false;
  bool stopped_ = false;
  Policy policy_;
  Status health_ = okStatus();
  SinkState state_ = SinkState::kStarting;
  std::uint64_t delivered_ = 0;
  bool keep_batches_ = true;
  std::vector<std::weak_ptr<const RecordBatch>> sent_;
  std::uint64_t failed_ = 0;
  std::uint64_t rejected_ = 0;
  std::uint64_t queued_ = 0;
  std::vector<std::string> records_;
  std::vector<BatchPtr> batches_;
  int send_calls_ = 0;
};

}  // namespace o365fwd::testing
