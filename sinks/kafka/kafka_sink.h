#pragma once
// Kafka sink: each record's original bytes as one Kafka message (key = record Id, headers
// o365.tenant / o365.content_type / o365.content_id) on the topic `topic` with {tenant} and
// {content_type} filled in per batch. The only user of librdkafka (rdkafka.h stays in the .cpp).
//
// Delivery: one idempotent producer (acks=all, finite message.timeout.ms, bounded queue, see
// kafka_options.h). Each send() gets a tracker counting its messages plus one submission guard, so
// a fast delivery report cannot complete a half-submitted batch. `done` fires exactly once, when
// the last delivery report of the batch arrived (or earlier with kRetryable, see below):
// - every report without error → kDelivered (durable on all in-sync replicas);
// - a record larger than max_message_size, or refused by the broker as too large
//   (MSG_SIZE_TOO_LARGE) → listed in `rejected`, the rest of the batch counts as delivered;
// - any other report error (timeout after message_timeout, authorization, unknown topic, ...) →
//   kRetryable with an operator-facing error. librdkafka has already retried internally. Errors
//   only the operator can fix (unknown topic, topic/cluster authorization, SASL, TLS
//   verification) are permanent Errors (see sinks/sink.h); a message that times out after the
//   client reported such an error carries that error instead of the timeout.
// Payloads are not copied: the tracker keeps the BatchPtr alive until every message of the batch
// has had its delivery report (or the producer was destroyed), so librdkafka may point into it.
//
// Threads: send(), flush(), stop(), stats() and healthcheck() may be called from any thread. A
// dedicated poll thread serves librdkafka's callbacks; `done` runs there, or on the caller's thread
// when send() answers at once (stopped sink, cancelled wait, every record rejected up front).
// `done` must not block and must not call into this sink.
//
// Backpressure: when librdkafka's queue is full (__QUEUE_FULL), send() waits for delivery reports
// to free space and retries; if its stop token fires or the sink stops meanwhile, `done` fires
// kRetryable at once and the reports of records already queued are ignored (they may still land:
// a duplicate on resend, never a loss).
//
// Fatal producer errors (idempotence violations): the producer is marked broken, every
// outstanding batch is reported kRetryable, the producer is destroyed and rebuilt with the same
// configuration (producerRestarts() counts this), and sending carries on.
//
// Secrets: property values are never logged, echoed in errors, or dumped (no rd_kafka_conf_dump).
#include <spdlog/logger.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/config/config.h"
#include "core/random.h"
#include "sinks/kafka/kafka_options.h"
#include "sinks/sink.h"

namespace o365fwd {

struct KafkaSinkOptions {
  KafkaTuning tuning;
  // stop(): how long outstanding batches may still be acknowledged before they are reported
  // kRetryable and the producer is purged and destroyed.
  std::chrono::milliseconds stop_timeout{std::chrono::seconds(10)};
  // Tests only: extra librdkafka properties applied last (e.g. reconnect.backoff.max.ms).
  std::map<std::string, std::string> test_properties;
};

class KafkaSink final : public Sink {
 public:
  KafkaSink(std::string name, KafkaSinkConfig config, Clock& clock, Random& random,
            KafkaSinkOptions options = {});
  ~KafkaSink() override;  // stop()
  KafkaSink(const KafkaSink&) = delete;
  KafkaSink& operator=(const KafkaSink&) = delete;

  const std::string& name() const override { return name_; }
  SinkType type() const override { return SinkType::kKafka; }
  // Validates the configuration, reads *_file secrets, creates the producer and its poll thread.
  // Errors are permanent configuration errors; connecting to the brokers happens in the
  // background (state kUp after the first acknowledged message or healthcheck).
  Status start() override;
  void send(BatchPtr batch, DeliveryCallback done, std::stop_token stop) override;
  Status flush(std::chrono::milliseconds timeout) override;
  void stop() override;
  SinkStats stats() const override;
  // Metadata request: a broker answers, the topic exists (a literal topic; with placeholders only
  // the brokers are checked) and every partition has a leader. Works before start() too.
  Status healthcheck(std::chrono::milliseconds timeout) override;

  // How many times a fatal producer error made the sink destroy and rebuild its producer.
  std::uint64_t producerRestarts() const { return restarts_.load(); }

 private:
  struct Tracker;
  struct Producer;
  friend struct KafkaCallbacks;  // librdkafka's C callbacks, in the .cpp

  Result<std::unique_ptr<Producer>> makeProducer(bool for_healthcheck);
  void pollLoop(std::stop_token stop);
  void rebuildProducer();
  // Fires `done` for trackers of `generation` (all if 0) not yet finished; never for one twice.
  void failOutstanding(std::uint64_t generation, const Error& error);
  // Marks `t` finished and queues its `done` on `fire`; deliver() runs them outside mu_.
  void finishLocked(Tracker& t, std::vector<std::function<void()>>& fire);
  void deliver(std::vector<std::function<void()>>& fire);
  // A delivery report: `error` empty = durable; `too_large` = refused for its size.
  void onDelivery(Tracker* t, std::size_t index, std::optional<Error> error, bool too_large);
  void onError(int err, bool fatal, const std::string& reason);
  void releaseLocked(Tracker* t, std::vector<std::function<void()>>& fire);
  void noteErrorLocked(const Error& error);
  void forgetTrackersLocked(std::uint64_t generation);

  const std::string name_;
  const KafkaSinkConfig config_;
  Clock& clock_;
  Random& random_;
  const KafkaSinkOptions options_;
  std::shared_ptr<spdlog::logger> log_;
  std::string broker_list_;  // for messages

  // Guards producer_ replacement: producev/poll/metadata hold it shared, rebuild/stop unique.
  mutable std::shared_mutex producer_mu_;
  std::unique_ptr<Producer> producer_;
  std::vector<std::string> property_warnings_;

  mutable std::mutex mu_;       // everything below
  std::condition_variable cv_;  // a tracker finished or queue space was freed
  std::map<Tracker*, std::unique_ptr<Tracker>> trackers_;
  std::uint64_t generation_ = 0;
  std::uint64_t unfinished_ = 0;
  bool started_ = false;
  bool stopping_ = false;
  bool stopped_ = false;
  SinkStats stats_;
  int last_logged_error_ = 0;
  // The last client-level error that needs the operator (SASL, authorization, TLS verification);
  // cleared by the next acknowledged message.
  std::optional<Error> blocker_;
  SteadyTime last_logged_at_{};

  std::atomic<bool> fatal_{false};
  std::atomic<std::uint64_t> restarts_{0};
  std::jthread poller_;
};

}  // namespace o365fwd
