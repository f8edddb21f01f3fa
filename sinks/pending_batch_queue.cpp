#include "sinks/pending_batch_queue.h"

#include <cctype>

namespace o365fwd {
namespace {

DeliveryReport retryable(Error error) {
  DeliveryReport report;
  report.status = DeliveryStatus::kRetryable;
  report.error = std::move(error);
  return report;
}

std::string capitalized(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  return s;
}

}  // namespace

PendingBatchAccounting::PendingBatchAccounting(std::string description, std::uint64_t max_bytes,
                                               Clock& clock)
    : description_(std::move(description)),
      label_(capitalized(description_)),
      max_bytes_(max_bytes),
      clock_(clock) {}

bool PendingBatchAccounting::started() const {
  std::lock_guard lock(mu_);
  return started_;
}

bool PendingBatchAccounting::stopped() const {
  std::lock_guard lock(mu_);
  return stopped_;
}

void PendingBatchAccounting::markStarted() {
  std::lock_guard lock(mu_);
  started_ = true;
}

void PendingBatchAccounting::close() {
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
  }
  space_cv_.notify_all();
  queue_cv_.notify_all();
}

bool PendingBatchAccounting::markUp() {
  std::lock_guard lock(mu_);
  bool was_down = state_ == SinkState::kDown;
  state_ = SinkState::kUp;
  return was_down;
}

bool PendingBatchAccounting::markDown(const Error& error) {
  std::lock_guard lock(mu_);
  bool was_down = state_ == SinkState::kDown;
  state_ = SinkState::kDown;
  last_error_ = error;
  last_error_at_ = clock_.wallNow();
  return was_down;
}

std::optional<Error> PendingBatchAccounting::lastError() const {
  std::lock_guard lock(mu_);
  return last_error_;
}

bool PendingBatchAccounting::admit(PendingBatch& item, std::stop_token stop,
                                   std::unique_lock<std::mutex>& lock) {
  if (item.records == 0) {  // nothing to write: empty batch or every record rejected
    rejected_ += item.rejected.size();
    lock.unlock();
    DeliveryReport report;
    report.rejected = std::move(item.rejected);
    item.done(std::move(report));
    return false;
  }
  if (!started_ || stopped_) {
    failed_ += item.records;
    lock.unlock();
    item.done(retryable(Error::retryableError(ErrorKind::kCancelled, label_ + " is not running")));
    return false;
  }
  bool admitted = space_cv_.wait(lock, stop, [&] {
    return stopped_ || queued_bytes_ == 0 || queued_bytes_ + item.bytes <= max_bytes_;
  });
  if (!admitted || stopped_) {
    failed_ += item.records;
    lock.unlock();
    item.done(retryable(Error::retryableError(
        ErrorKind::kCancelled, "Stopped while waiting for space in the queue of " + description_)));
    return false;
  }
  queued_bytes_ += item.bytes;
  queued_records_ += item.records;
  ++outstanding_;
  return true;
}

void PendingBatchAccounting::deliver(PendingBatch& item) {
  DeliveryReport report;
  report.rejected = std::move(item.rejected);
  finish(item, std::move(report), true);
}

void PendingBatchAccounting::fail(PendingBatch& item, const Error& error) {
  finish(item, retryable(error), false);
}

void PendingBatchAccounting::finish(PendingBatch& item, DeliveryReport report, bool delivered) {
  {
    std::lock_guard lock(mu_);
    if (delivered) {
      delivered_ += item.records;
      rejected_ += report.rejected.size();
    } else {
      failed_ += item.records;
    }
    queued_records_ -= item.records;
    queued_bytes_ -= item.bytes;
  }
  space_cv_.notify_all();
  DeliveryCallback done = std::move(item.done);
  item.batch.reset();
  done(std::move(report));
  {
    std::lock_guard lock(mu_);
    --outstanding_;
  }
  drained_cv_.notify_all();
}

Status PendingBatchAccounting::flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  if (drained_cv_.wait_for(lock, timeout, [&] { return outstanding_ == 0; })) return okStatus();
  return Error::retryableError(ErrorKind::kSink, label_ + ": " + std::to_string(outstanding_) +
                                                     " batches still unacknowledged after " +
                                                     std::to_string(timeout.count()) + " ms");
}

SinkStats PendingBatchAccounting::stats() const {
  std::lock_guard lock(mu_);
  SinkStats s;
  s.state = state_;
  s.delivered = delivered_;
  s.failed = failed_;
  s.rejected = rejected_;
  s.queued = queued_records_;
  s.queued_bytes = queued_bytes_;
  s.last_error = last_error_;
  s.last_error_at = last_error_at_;
  return s;
}

}  // namespace o365fwd
