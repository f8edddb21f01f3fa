#include "sinks/syslog/syslog_sink.h"

#include <unistd.h>

#include <algorithm>

#include "core/logging.h"
#include "sinks/syslog/rfc3164_formatter.h"
#include "sinks/syslog/rfc5424_formatter.h"
#include "sinks/syslog/udp_transport.h"

namespace o365fwd {
namespace {

DeliveryReport retryable(Error error) {
  DeliveryReport report;
  report.status = DeliveryStatus::kRetryable;
  report.error = std::move(error);
  return report;
}

const char* transportName(SyslogTransport t) {
  switch (t) {
    case SyslogTransport::kTcp: return "tcp";
    case SyslogTransport::kTls: return "tls";
    case SyslogTransport::kUdp: return "udp";
    case SyslogTransport::kRelp: return "relp";
  }
  return "?";
}

// Cuts `msg` to at most `max` bytes without splitting a UTF-8 sequence.
void truncateUtf8(std::string& msg, std::size_t max) {
  std::size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(msg[cut]) & 0xC0) == 0x80) --cut;
  msg.resize(cut);
}

}  // namespace

SyslogSink::SyslogSink(std::string name, SyslogSinkConfig config, Clock& clock, Random& random,
                       SyslogSinkOptions options)
    : name_(std::move(name)),
      config_(std::move(config)),
      clock_(clock),
      random_(random),
      options_(std::move(options)),
      log_(getLogger("sink." + name_)) {
  identity_ = makeSyslogIdentity(
      config_, options_.procid.empty() ? std::to_string(::getpid()) : options_.procid);
  max_message_ = config_.max_message_size == 0 ? 64 * 1024 : config_.max_message_size;
  if (config_.transport == SyslogTransport::kUdp)
    max_message_ = std::min<std::uint64_t>(max_message_, kMaxUdpPayload);
}

SyslogSink::~SyslogSink() {
  stop();
}

Status SyslogSink::start() {
  {
    std::lock_guard lock(mu_);
    if (stopped_)
      return Error::permanent(ErrorKind::kInternal, "Syslog sink " + name_ + " was stopped");
    if (started_) return okStatus();
  }
  Status result = okStatus();
  auto conn = makeSyslogConnection(config_);
  if (!conn.ok()) {
    config_error_ = conn.error();
    noteFailure(conn.error());
    result = conn.error();
  } else {
    conn_ = std::move(conn).value();
    Status opened = conn_->open(options_.connect_timeout, {});
    if (opened.ok()) {
      noteUp();
    } else {
      noteFailure(opened.error());
      result = opened;
    }
  }
  log_->info("Syslog sink started address={} transport={} connected={}", config_.address,
             transportName(config_.transport), result.ok());
  {
    std::lock_guard lock(mu_);
    started_ = true;
  }
  writer_ = std::jthread([this](std::stop_token stop) { run(stop); });
  return result;
}

void SyslogSink::formatInto(Item& item) {
  const RecordBatch& b = *item.batch;
  WallTime now = clock_.wallNow();
  item.messages.reserve(b.size());
  for (std::size_t i = 0; i < b.size(); ++i) {
    std::string msg;
    msg.reserve(b.raw(i).size() + 256);
    if (config_.format == SyslogFormat::kRfc3164)
      appendRfc3164(identity_, b, i, now, msg);
    else
      appendRfc5424(identity_, b, i, msg);
    if (msg.size() > max_message_) {
      if (config_.oversize == OversizePolicy::kTruncate) {
        log_->warn(
            "Syslog message truncated to max_message_size bytes={} max_message_size={} "
            "id={} content_id={}",
            msg.size(), max_message_, b.id(i), b.content.content_id);
        truncateUtf8(msg, max_message_);
        truncated_.fetch_add(1);
      } else {
        item.rejected.push_back(RejectedRecord{static_cast<std::uint32_t>(i),
                                               "syslog message of " + std::to_string(msg.size()) +
                                                   " bytes exceeds max_message_size " +
                                                   std::to_string(max_message_)});
        continue;
      }
    }
    item.bytes += msg.size();
    item.messages.push_back(std::move(msg));
  }
  item.records = item.messages.size();
}

void SyslogSink::send(BatchPtr batch, DeliveryCallback done, std::stop_token stop) {
  Item item;
  item.batch = std::move(batch);
  item.done = std::move(done);
  formatInto(item);
  if (item.records == 0) {  // nothing to send: empty batch or every record rejected
    {
      std::lock_guard lock(mu_);
      rejected_ += item.rejected.size();
    }
    DeliveryReport report;
    report.rejected = std::move(item.rejected);
    item.done(std::move(report));
    return;
  }
  std::unique_lock lock(mu_);
  if (!started_ || stopped_) {
    failed_ += item.records;
    lock.unlock();
    item.done(retryable(
        Error::retryableError(ErrorKind::kCancelled, "Syslog sink " + name_ + " is not running")));
    return;
  }
  bool admitted = space_cv_.wait(lock, stop, [&] {
    return stopped_ || queued_bytes_ == 0 || queued_bytes_ + item.bytes <= options_.queue_max_bytes;
  });
  if (!admitted || stopped_) {
    failed_ += item.records;
    lock.unlock();
    item.done(retryable(Error::retryableError(
        ErrorKind::kCancelled,
        "Stopped while waiting for space in the queue of syslog sink " + name_)));
    return;
  }
  queued_bytes_ += item.bytes;
  queued_records_ += item.records;
  ++outstanding_;
  queue_.push_back(std::move(item));
  lock.unlock();
  queue_cv_.notify_one();
}

bool SyslogSink::canTakeMore() const {
  if (window_.empty()) return true;
  if (window_bytes_ >= options_.window_max_bytes) return false;
  std::uint64_t pause = conn_ ? conn_->pauseAfterBytes() : 0;
  if (pause == 0) return true;
  return window_bytes_ < pause && clock_.steadyNow() - window_since_ < options_.pause_interval;
}

void SyslogSink::run(std::stop_token stop) {
  std::vector<Item> fresh;
  while (!stop.stop_requested()) {
    bool take = false;
    {
      std::unique_lock lock(mu_);
      bool can = canTakeMore();
      auto ready = [&] { return can && !queue_.empty(); };
      if (window_.empty()) {
        if (!queue_cv_.wait(lock, stop, ready)) break;
      } else {
        queue_cv_.wait_for(lock, stop, options_.ack_poll, ready);
        if (stop.stop_requested()) break;
      }
      take = ready();
    }
    if (take && options_.writer_hook) {
      options_.writer_hook(stop);
      if (stop.stop_requested()) break;
    }
    if (take) {
      std::lock_guard lock(mu_);
      std::uint64_t bytes = 0;
      while (!queue_.empty() &&
             (fresh.empty() || bytes + queue_.front().bytes <= options_.max_cycle_bytes)) {
        bytes += queue_.front().bytes;
        fresh.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    if (!fresh.empty()) writeFresh(fresh, stop);
    fresh.clear();
    if (!window_.empty() && !stop.stop_requested()) checkAcks(stop);
  }
}

void SyslogSink::writeFresh(std::vector<Item>& fresh, std::stop_token stop) {
  if (config_error_) {
    for (Item& item : fresh) fail(item, *config_error_);
    return;
  }
  if (!conn_->isOpen()) {
    if (clock_.steadyNow() < next_connect_at_) {
      Error error = Error::retryableError(ErrorKind::kTransport,
                                          "Syslog sink " + name_ + " is down (reconnect backoff)");
      {
        std::lock_guard lock(mu_);
        if (last_error_) error = *last_error_;
      }
      for (Item& item : fresh) fail(item, error);
      return;
    }
    if (!reconnect(stop, std::nullopt)) {
      Error error =
          Error::retryableError(ErrorKind::kTransport, "Syslog sink " + name_ + " is down");
      {
        std::lock_guard lock(mu_);
        if (last_error_) error = *last_error_;
      }
      for (Item& item : fresh) fail(item, error);
      return;
    }
  }
  std::size_t first = window_.size();
  if (window_.empty()) {
    window_since_ = clock_.steadyNow();
    last_ack_progress_ = window_since_;
  }
  for (Item& item : fresh) {
    window_bytes_ += item.bytes;
    window_.push_back(std::move(item));
  }
  for (std::size_t k = first; k < window_.size(); ++k) {
    Status st = writeItem(window_[k], stop);
    if (!st.ok()) return connectionBroken(st.error(), stop);
  }
  Status st = conn_->flushWrites(stop);
  if (!st.ok()) connectionBroken(st.error(), stop);
}

Status SyslogSink::writeItem(Item& item, std::stop_token stop) {
  for (const std::string& msg : item.messages) {
    Status st = conn_->send(msg, stop);
    if (!st.ok()) return st;
  }
  item.end_offset = conn_->offset();
  return okStatus();
}

bool SyslogSink::reconnect(std::stop_token stop, const std::optional<Error>& cause) {
  conn_->close();
  acked_ = 0;
  Status st = conn_->open(options_.connect_timeout, stop);
  if (st.ok()) {
    for (Item& item : window_) {
      st = writeItem(item, stop);
      if (!st.ok()) break;
    }
    if (st.ok()) st = conn_->flushWrites(stop);
  }
  if (st.ok()) {
    if (cause && !window_.empty())
      log_->info("Syslog connection re-established; resent unacknowledged batches batches={}",
                 window_.size());
    window_since_ = clock_.steadyNow();
    last_ack_progress_ = window_since_;
    noteUp();
    return true;
  }
  conn_->close();
  if (stop.stop_requested()) return false;  // stop() reports the window
  noteFailure(st.error());
  std::deque<Item> window;
  window.swap(window_);
  window_bytes_ = 0;
  for (Item& item : window) fail(item, st.error());
  return false;
}

void SyslogSink::connectionBroken(const Error& error, std::stop_token stop) {
  if (stop.stop_requested()) return;  // stop() reports the window
  log_->warn(
      "Syslog connection lost; reconnecting and resending unacknowledged batches "
      "address={} batches={} error={}",
      config_.address, window_.size(), error.message);
  reconnect(stop, error);
}

void SyslogSink::checkAcks(std::stop_token stop) {
  auto acked = conn_->acknowledgedOffset();
  if (!acked.ok()) return connectionBroken(acked.error(), stop);
  SteadyTime now = clock_.steadyNow();
  if (*acked > acked_) {
    acked_ = *acked;
    last_ack_progress_ = now;
  }
  while (!window_.empty() && window_.front().end_offset <= acked_) {
    window_bytes_ -= window_.front().bytes;
    deliver(window_.front());
    window_.pop_front();
  }
  if (window_.empty()) return;
  if (now - last_ack_progress_ > options_.ack_timeout) {
    connectionBroken(
        Error::retryableError(ErrorKind::kTransport,
                              "The syslog receiver acknowledged nothing for " +
                                  std::to_string(options_.ack_timeout.count()) + " ms"),
        stop);
  }
}

void SyslogSink::noteUp() {
  consecutive_failures_ = 0;
  bool recovered = false;
  {
    std::lock_guard lock(mu_);
    recovered = state_ == SinkState::kDown;
    state_ = SinkState::kUp;
  }
  if (recovered) log_->info("Syslog sink connected again address={}", config_.address);
}

void SyslogSink::noteFailure(const Error& error) {
  ++consecutive_failures_;
  next_connect_at_ = clock_.steadyNow() +
                     backoffDelay(options_.reconnect_backoff, consecutive_failures_ - 1, random_);
  bool was_down = false;
  {
    std::lock_guard lock(mu_);
    was_down = state_ == SinkState::kDown;
    state_ = SinkState::kDown;
    last_error_ = error;
    last_error_at_ = clock_.wallNow();
  }
  if (was_down) {
    log_->debug("Syslog sink still failing attempt={} error={}", consecutive_failures_,
                error.message);
  } else {
    log_->error("Syslog sink is down; batches are reported for resending address={} error={}",
                config_.address, error.message);
  }
}

void SyslogSink::deliver(Item& item) {
  DeliveryReport report;
  report.rejected = std::move(item.rejected);
  finish(item, std::move(report), true);
}

void SyslogSink::fail(Item& item, const Error& error) {
  finish(item, retryable(error), false);
}

void SyslogSink::finish(Item& item, DeliveryReport report, bool delivered) {
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
  item.messages.clear();
  done(std::move(report));
  {
    std::lock_guard lock(mu_);
    --outstanding_;
  }
  drained_cv_.notify_all();
}

void SyslogSink::failWindowAndQueue(const Error& error) {
  std::deque<Item> window;
  window.swap(window_);
  window_bytes_ = 0;
  for (Item& item : window) fail(item, error);
  std::deque<Item> items;
  {
    std::lock_guard lock(mu_);
    items.swap(queue_);
  }
  for (Item& item : items) fail(item, error);
}

Status SyslogSink::flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  if (drained_cv_.wait_for(lock, timeout, [&] { return outstanding_ == 0; })) return okStatus();
  return Error::retryableError(ErrorKind::kSink, "Syslog sink " + name_ + ": " +
                                                     std::to_string(outstanding_) +
                                                     " batches still unacknowledged after " +
                                                     std::to_string(timeout.count()) + " ms");
}

void SyslogSink::stop() {
  std::call_once(stop_once_, [this] {
    {
      std::lock_guard lock(mu_);
      stopped_ = true;
    }
    space_cv_.notify_all();
    queue_cv_.notify_all();
    writer_.request_stop();
    if (writer_.joinable()) writer_.join();
    failWindowAndQueue(Error::retryableError(
        ErrorKind::kCancelled,
        "Syslog sink " + name_ + " stopped before the receiver acknowledged these records"));
    if (conn_) conn_->close();
    log_->info("Syslog sink stopped address={}", config_.address);
  });
}

SinkStats SyslogSink::stats() const {
  std::lock_guard lock(mu_);
  SinkStats s;
  s.state = state_;
  s.delivered = delivered_;
  s.failed = failed_;
  s.rejected = rejected_;
  s.queued = queued_records_;
  s.queued_bytes = queued_bytes_;
  s.truncated = truncated_.load();
  s.last_error = last_error_;
  s.last_error_at = last_error_at_;
  return s;
}

Status SyslogSink::healthcheck(std::chrono::milliseconds timeout) {
  auto conn = makeSyslogConnection(config_);
  if (!conn.ok()) return conn.error();
  Status st = (*conn)->open(timeout, {});
  (*conn)->close();
  return st;
}

}  // namespace o365fwd
