#pragma once
// Syslog sink: each record becomes one RFC 5424 (or RFC 3164) message — the record's raw JSON as
// MSG — sent over TCP or TLS (octet-counted frames on one persistent connection), UDP (one
// datagram per message) or RELP (librelp).
//
// Threads: send(), flush(), stop(), stats() and healthcheck() may be called from any thread.
// send() formats the batch on the caller's thread and queues it. One writer thread (started by
// start()) owns the connection: it writes queued batches and reports each batch's done exactly
// once. `done` runs on the writer thread (or on the caller's thread when send() answers at once,
// or on the stop() caller's thread); it must not block and must not call send() or stop().
//
// Acknowledgement (see SyslogConnection): a batch is reported kDelivered only when the
// connection's acknowledged offset has passed the end of its last message — TCP: the receiver's
// TCP acknowledged the bytes (SIOCOUTQ); TLS: the socket's unacknowledged count reached 0 after
// the batch was written (the writer pauses every 256 KiB or second so it can); UDP: sent; RELP:
// see relp_transport.h. Written but unacknowledged batches form the replay window: when the
// connection breaks (write error, peer close/reset, no acknowledgement progress for ack_timeout)
// the writer reconnects once at once and writes the whole window again (duplicates possible;
// loss only if the receiver dies after its kernel acknowledged, before its application read). If
// that reconnect fails, the window and everything queued are reported kRetryable, the state
// becomes kDown, and until the reconnect backoff has passed new batches are answered kRetryable
// at once; then the next batch tries to connect again.
//
// Size: a formatted message longer than max_message_size (and, for UDP, than 65507 bytes) is
// `rejected` (oversize: dead_letter) or cut to the limit (oversize: truncate; counted in
// truncated() and logged). A message is never split.
//
// Backpressure: formatted bytes of batches not yet reported (queued or in the window) are bounded
// by SyslogSinkOptions::queue_max_bytes (a single larger batch is admitted alone); send() blocks
// while full and returns early, reporting kRetryable, when its stop token fires or the sink stops.
// The queue, the stats and the done/flush/stop bookkeeping are PendingBatchQueue's; this class
// formats, writes, waits for acknowledgements and reconnects.
#include <spdlog/logger.h>

#include <atomic>
#include <cstdint>
#include <deque>
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
#include "core/config/config.h"
#include "core/random.h"
#include "sinks/pending_batch_queue.h"
#include "sinks/sink.h"
#include "sinks/syslog/syslog_message.h"
#include "sinks/syslog/syslog_transport.h"

namespace o365fwd {

struct SyslogSinkOptions {
  std::uint64_t queue_max_bytes = 64ull * 1024 * 1024;
  std::uint64_t max_cycle_bytes = 4ull * 1024 * 1024;    // taken from the queue per round
  std::uint64_t window_max_bytes = 16ull * 1024 * 1024;  // written, not yet acknowledged
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(10)};
  std::chrono::milliseconds ack_timeout{std::chrono::seconds(60)};
  std::chrono::milliseconds ack_poll{std::chrono::milliseconds(2)};
  std::chrono::milliseconds pause_interval{std::chrono::seconds(1)};  // see pauseAfterBytes()
  BackoffPolicy reconnect_backoff{std::chrono::milliseconds(500), std::chrono::seconds(30),
                                  std::chrono::milliseconds(100)};
  std::string procid;  // PROCID; empty: this process's pid
  // Tests only: runs on the writer thread before it takes the next batches from the queue (to hold
  // the writer). Must return when the token is stop-requested.
  std::function<void(std::stop_token)> writer_hook;
};

class SyslogSink final : public Sink {
 public:
  SyslogSink(std::string name, SyslogSinkConfig config, Clock& clock, Random& random,
             SyslogSinkOptions options = {});
  ~SyslogSink() override;  // stop()
  SyslogSink(const SyslogSink&) = delete;
  SyslogSink& operator=(const SyslogSink&) = delete;

  const std::string& name() const override { return name_; }
  SinkType type() const override { return SinkType::kSyslog; }
  // Checks the configuration (address, TLS files), connects (with connect_timeout) and starts the
  // writer. A connection failure is returned and reported in stats(); the writer keeps retrying.
  // A configuration error is returned and every batch is answered kRetryable with it.
  Status start() override;
  void send(BatchPtr batch, DeliveryCallback done, std::stop_token stop) override;
  Status flush(std::chrono::milliseconds timeout) override;
  // Reports every batch not yet acknowledged kRetryable, closes the connection (TLS close_notify,
  // RELP close) and ends the writer. Idempotent.
  void stop() override;
  SinkStats stats() const override;
  // Opens a separate connection (TCP connect, TLS handshake with verification, RELP open) within
  // `timeout` and closes it.
  Status healthcheck(std::chrono::milliseconds timeout) override;

  std::uint64_t truncated() const { return truncated_.load(); }  // messages cut to the limit

 private:
  struct Item : PendingBatch {
    std::vector<std::string> messages;  // formatted, unframed; bytes: the sum of their sizes
    std::uint64_t end_offset = 0;       // connection offset after its last message
  };

  void formatInto(Item& item);
  void run(std::stop_token stop);
  bool canTakeMore() const;
  void writeFresh(std::vector<Item>& fresh, std::stop_token stop);
  // (Re)connects and writes the window again; false (with everything failed) when it cannot.
  bool reconnect(std::stop_token stop, const std::optional<Error>& cause);
  Status writeItem(Item& item, std::stop_token stop);
  void checkAcks(std::stop_token stop);
  void connectionBroken(const Error& error, std::stop_token stop);
  void noteFailure(const Error& error);
  void noteUp();
  void failWindowAndQueue(const Error& error);

  const std::string name_;
  const SyslogSinkConfig config_;
  Clock& clock_;
  Random& random_;
  const SyslogSinkOptions options_;
  std::shared_ptr<spdlog::logger> log_;
  SyslogIdentity identity_;
  std::uint64_t max_message_ = 0;
  std::atomic<std::uint64_t> truncated_{0};

  // Writer-thread state (and start()/stop() while no writer runs).
  std::unique_ptr<SyslogConnection> conn_;
  std::optional<Error> config_error_;
  std::deque<Item> window_;
  std::uint64_t window_bytes_ = 0;
  SteadyTime window_since_{};  // when the oldest unacknowledged item was written
  std::uint64_t acked_ = 0;
  SteadyTime last_ack_progress_{};
  int consecutive_failures_ = 0;
  SteadyTime next_connect_at_{};

  PendingBatchQueue<Item> pending_;
  std::once_flag stop_once_;
  std::jthread writer_;
};

}  // namespace o365fwd
