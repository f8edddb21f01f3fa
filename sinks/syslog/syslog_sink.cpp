#include "sinks/syslog/syslog_sink.h"

#include <unistd.h>

#include <algorithm>

#include "core/logging.h"
#include "core/thread_name.h"
#include "sinks/syslog/rfc3164_formatter.h"
#include "sinks/syslog/rfc5424_formatter.h"
#include "sinks/syslog/udp_transport.h"

namespace o365fwd {
namespace {

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
      log_(getLogger("sink." + name_)),
      pending_("syslog sink " + name_, options_.queue_max_bytes, clock_) {
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
  if (pending_.stopped())
    return Error::permanent(ErrorKind::kInternal, "Syslog sink " + name_ + " was stopped");
  if (pending_.started()) return okStatus();
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
  pending_.markStarted();
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
  pending_.submit(std::move(item), stop);
}

bool SyslogSink::canTakeMore() const {
  if (window_.empty()) return true;
  if (window_bytes_ >= options_.window_max_bytes) return false;
  std::uint64_t pause = conn_ ? conn_->pauseAfterBytes() : 0;
  if (pause == 0) return true;
  return window_bytes_ < pause && clock_.steadyNow() - window_since_ < options_.pause_interval;
}

void SyslogSink::run(std::stop_token stop) {
  nameThisThread("o365-sink-syslog");
  std::vector<Item> fresh;
  while (!stop.stop_requested()) {
    bool take = false;
    if (window_.empty()) {
      if (!pending_.waitForBatches(stop)) break;
      take = true;
    } else {
      if (canTakeMore())
        take = pending_.waitForBatches(stop, options_.ack_poll);
      else
        pending_.idle(stop, options_.ack_poll);
      if (stop.stop_requested()) break;
    }
    if (take && options_.writer_hook) {
      options_.writer_hook(stop);
      if (stop.stop_requested()) break;
    }
    if (take) pending_.takeBatches(fresh, options_.max_cycle_bytes);
    if (!fresh.empty()) writeFresh(fresh, stop);
    fresh.clear();
    if (!window_.empty() && !stop.stop_requested()) checkAcks(stop);
  }
}

void SyslogSink::writeFresh(std::vector<Item>& fresh, std::stop_token stop) {
  if (config_error_) {
    for (Item& item : fresh) pending_.fail(item, *config_error_);
    return;
  }
  if (!conn_->isOpen()) {
    if (clock_.steadyNow() < next_connect_at_) {
      Error error = pending_.lastError().value_or(Error::retryableError(
          ErrorKind::kTransport, "Syslog sink " + name_ + " is down (reconnect backoff)"));
      for (Item& item : fresh) pending_.fail(item, error);
      return;
    }
    if (!reconnect(stop, std::nullopt)) {
      Error error = pending_.lastError().value_or(
          Error::retryableError(ErrorKind::kTransport, "Syslog sink " + name_ + " is down"));
      for (Item& item : fresh) pending_.fail(item, error);
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
  for (Item& item : window) pending_.fail(item, st.error());
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
    pending_.deliver(window_.front());
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
  if (pending_.markUp()) log_->info("Syslog sink connected again address={}", config_.address);
}

void SyslogSink::noteFailure(const Error& error) {
  ++consecutive_failures_;
  next_connect_at_ = clock_.steadyNow() +
                     backoffDelay(options_.reconnect_backoff, consecutive_failures_ - 1, random_);
  if (pending_.markDown(error)) {
    log_->debug("Syslog sink still failing attempt={} error={}", consecutive_failures_,
                error.message);
  } else {
    log_->error("Syslog sink is down; batches are reported for resending address={} error={}",
                config_.address, error.message);
  }
}

void SyslogSink::failWindowAndQueue(const Error& error) {
  std::deque<Item> window;
  window.swap(window_);
  window_bytes_ = 0;
  for (Item& item : window) pending_.fail(item, error);
  pending_.failQueued(error);
}

Status SyslogSink::flush(std::chrono::milliseconds timeout) {
  return pending_.flush(timeout);
}

void SyslogSink::stop() {
  std::call_once(stop_once_, [this] {
    pending_.close();
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
  SinkStats s = pending_.stats();
  s.truncated = truncated_.load();
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
