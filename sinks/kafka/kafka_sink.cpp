#include "sinks/kafka/kafka_sink.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>

#include "core/logging.h"
#include "core/thread_name.h"

namespace o365fwd {

namespace {

constexpr auto kPollInterval = std::chrono::milliseconds(100);
constexpr auto kRebuildRetry = std::chrono::seconds(5);
constexpr auto kLogRepeat = std::chrono::seconds(30);

std::string errName(rd_kafka_resp_err_t err) {
  return rd_kafka_err2name(err);
}

bool isAuthError(rd_kafka_resp_err_t err) {
  return err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED ||
         err == RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED ||
         err == RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED ||
         err == RD_KAFKA_RESP_ERR__AUTHENTICATION ||
         err == RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED;
}

bool isUnknownTopic(rd_kafka_resp_err_t err) {
  return err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART || err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC;
}

// Client-level errors that make every message time out until the operator acts.
bool blocksClient(rd_kafka_resp_err_t err) {
  return isAuthError(err) || err == RD_KAFKA_RESP_ERR__SSL;
}

// Operator-facing error of a failed delivery or metadata request on `topic`.
Error kafkaError(rd_kafka_resp_err_t err, const std::string& topic, const std::string& brokers,
                 std::chrono::milliseconds timeout) {
  std::string code = errName(err);
  // Errors that cannot heal by themselves are permanent (sinks/sink.h): `run --once` stops with
  // the remedy, the daemon keeps retrying with backoff until the operator fixed it.
  if (isUnknownTopic(err))
    return Error::permanent(ErrorKind::kConfig,
                            "Kafka topic \"" + topic + "\" does not exist on " + brokers +
                                "; create it (kafka-topics.sh --create --topic " + topic +
                                "; the sink never creates topics)",
                            code);
  if (err == RD_KAFKA_RESP_ERR__SSL)
    return Error::permanent(
        ErrorKind::kPermission,
        "TLS handshake with the Kafka brokers " + brokers + " failed (" + code +
            "): check ssl.ca.location (the CA that signed the broker certificate), the broker "
            "certificate's host name and the client certificate/key",
        code);
  if (isAuthError(err))
    return Error::permanent(
        ErrorKind::kPermission,
        "Kafka refused access to topic \"" + topic + "\" on " + brokers + " (" + code +
            "): check the SASL/TLS credentials and grant the principal Write on the topic and "
            "IdempotentWrite on the cluster (or set idempotence: false)",
        code);
  if (err == RD_KAFKA_RESP_ERR__MSG_TIMED_OUT || err == RD_KAFKA_RESP_ERR__TIMED_OUT ||
      err == RD_KAFKA_RESP_ERR__TRANSPORT || err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN ||
      err == RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE)
    return Error::retryableError(
        ErrorKind::kTransport,
        "Kafka brokers " + brokers + " did not acknowledge within " +
            std::to_string(timeout.count() / 1000) + "s (" + code +
            "): broker unreachable or partition without leader; check `brokers`, the network "
            "path (librdkafka cannot use a proxy) and the TLS/SASL properties",
        code);
  if (err == RD_KAFKA_RESP_ERR__PURGE_QUEUE || err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT)
    return Error::retryableError(ErrorKind::kSink,
                                 "Kafka producer was reset before the broker acknowledged", code);
  return Error::retryableError(
      ErrorKind::kSink,
      "Kafka delivery to topic \"" + topic + "\" failed: " + rd_kafka_err2str(err), code);
}

std::string tooLargeReason(std::size_t bytes, std::uint64_t limit, bool by_broker) {
  std::string what = "record of " + std::to_string(bytes) + " bytes ";
  if (by_broker)
    return what +
           "was refused by the broker as too large (MSG_SIZE_TOO_LARGE): raise the "
           "topic's max.message.bytes or lower the sink's max_message_size (" +
           std::to_string(limit) + ")";
  return what + "exceeds the Kafka sink's max_message_size " + std::to_string(limit) +
         ": raise the topic's max.message.bytes or the sink's max_message_size";
}

}  // namespace

struct KafkaSink::Tracker {
  BatchPtr batch;
  DeliveryCallback done;
  std::uint64_t generation = 0;
  std::size_t pending = 1;  // messages awaiting a report, plus the submission guard
  bool submitting = true;   // send() still holds the guard
  bool finished = false;    // `done` fired
  std::optional<Error> error;
  std::vector<RejectedRecord> rejected;
  std::uint64_t bytes = 0;
};

struct KafkaSink::Producer {
  rd_kafka_t* rk = nullptr;
  std::uint64_t generation = 0;
  std::mutex topics_mu;
  std::map<std::string, rd_kafka_topic_t*> topics;  // bounded: tenants x content types

  rd_kafka_topic_t* topic(const std::string& name) {
    std::lock_guard lock(topics_mu);
    auto it = topics.find(name);
    if (it != topics.end()) return it->second;
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, name.c_str(), nullptr);
    if (rkt) topics.emplace(name, rkt);
    return rkt;
  }
  ~Producer() {
    if (!rk) return;
    rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    for (auto& [name, rkt] : topics) rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);
  }
};

// librdkafka's C callbacks; `opaque` is the KafkaSink.
struct KafkaCallbacks {
  static void delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    auto* sink = static_cast<KafkaSink*>(opaque);
    auto* t = static_cast<KafkaSink::Tracker*>(m->_private);
    if (!t) return;
    std::size_t index = 0;
    std::optional<Error> error;
    bool too_large = m->err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE;
    if (too_large) {
      // Payloads are not copied: the record is found by where its bytes sit in the blob
      // (records are in body order; a linear scan covers any other order).
      const RecordBatch& b = *t->batch;
      auto offset =
          static_cast<std::uint32_t>(static_cast<const char*>(m->payload) - b.body.data());
      auto it = std::lower_bound(
          b.records.begin(), b.records.end(), offset,
          [](const RecordMeta& r, std::uint32_t off) { return r.raw.offset < off; });
      if (it != b.records.end() && it->raw.offset == offset) {
        index = static_cast<std::size_t>(it - b.records.begin());
      } else {
        for (std::size_t i = 0; i < b.size(); ++i)
          if (b.records[i].raw.offset == offset) index = i;
      }
    } else if (m->err) {
      error = kafkaError(m->err, m->rkt ? rd_kafka_topic_name(m->rkt) : "?", sink->config_.brokers,
                         sink->config_.message_timeout);
    }
    sink->onDelivery(t, index, std::move(error), too_large);
  }
  static void error(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
    auto* sink = static_cast<KafkaSink*>(opaque);
    std::string text = reason ? reason : "";
    bool fatal = err == RD_KAFKA_RESP_ERR__FATAL;
    if (fatal) {
      char buf[512] = {0};
      rd_kafka_resp_err_t cause = rd_kafka_fatal_error(rk, buf, sizeof buf);
      text = errName(cause) + ": " + buf;
    }
    sink->onError(err, fatal, text);
  }
  static void log(const rd_kafka_t* rk, int level, const char* fac, const char* buf) {
    auto* sink = static_cast<KafkaSink*>(rd_kafka_opaque(rk));
    if (!sink) return;
    auto lvl = level <= 4 ? spdlog::level::warn
                          : (level <= 6 ? spdlog::level::info : spdlog::level::debug);
    sink->log_->log(lvl, "librdkafka {}: {}", fac ? fac : "", buf ? buf : "");
  }
};

KafkaSink::KafkaSink(std::string name, KafkaSinkConfig config, Clock& clock, Random& random,
                     KafkaSinkOptions options)
    : name_(std::move(name)),
      config_(std::move(config)),
      clock_(clock),
      random_(random),
      options_(std::move(options)),
      log_(getLogger("sink." + name_)),
      broker_list_(config_.brokers) {}

KafkaSink::~KafkaSink() {
  stop();
}

Result<std::unique_ptr<KafkaSink::Producer>> KafkaSink::makeProducer(bool for_healthcheck) {
  Result<KafkaProperties> props = buildKafkaProperties(config_, options_.tuning);
  if (!props.ok()) return props.error();
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char errstr[512];
  auto set = [&](const std::string& key, const std::string& value, bool secret) -> Status {
    if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), errstr, sizeof errstr) ==
        RD_KAFKA_CONF_OK)
      return okStatus();
    return refusedKafkaProperty("Kafka sink", key, errstr, secret);
  };
  Status st = set("allow.auto.create.topics", "false", false);
  for (const KafkaProperty& p : props->properties) {
    if (!st.ok()) break;
    st = set(p.key, p.value.reveal(), p.secret);
  }
  for (const auto& [key, value] : options_.test_properties) {
    if (!st.ok()) break;
    st = set(key, value, false);
  }
  if (!st.ok()) {
    rd_kafka_conf_destroy(conf);
    return st.error();
  }
  rd_kafka_conf_set_opaque(conf, this);
  rd_kafka_conf_set_log_cb(conf, &KafkaCallbacks::log);
  if (!for_healthcheck) {
    rd_kafka_conf_set_dr_msg_cb(conf, &KafkaCallbacks::delivery);
    rd_kafka_conf_set_error_cb(conf, &KafkaCallbacks::error);
  }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (!rk) {
    rd_kafka_conf_destroy(conf);
    return Error::permanent(ErrorKind::kConfig,
                            std::string("Kafka producer could not be created: ") + errstr);
  }
  auto producer = std::make_unique<Producer>();
  producer->rk = rk;
  if (!for_healthcheck) property_warnings_ = std::move(props->warnings);
  return producer;
}

Status KafkaSink::start() {
  {
    std::lock_guard lock(mu_);
    if (started_ || stopped_) return okStatus();
  }
  Result<std::unique_ptr<Producer>> made = makeProducer(false);
  std::lock_guard lock(mu_);
  if (!made.ok()) {
    noteErrorLocked(made.error());
    stats_.state = SinkState::kDown;
    return made.error();
  }
  for (const std::string& w : property_warnings_) log_->warn("{}", w);
  {
    std::unique_lock plock(producer_mu_);
    producer_ = std::move(made.value());
    producer_->generation = generation_;
  }
  started_ = true;
  poller_ = std::jthread([this](std::stop_token stop) { pollLoop(stop); });
  log_->info("Kafka sink started. brokers={} topic={} compression={} idempotence={}", broker_list_,
             config_.topic, config_.compression, config_.idempotence);
  return okStatus();
}

void KafkaSink::pollLoop(std::stop_token stop) {
  nameThisThread("o365-sink-kafka");
  SteadyTime next_rebuild{};
  while (!stop.stop_requested()) {
    bool have_producer = false;
    {
      std::shared_lock lock(producer_mu_);
      if (producer_) {
        have_producer = true;
        rd_kafka_poll(producer_->rk, static_cast<int>(kPollInterval.count()));
      }
    }
    if (fatal_.exchange(false) || (!have_producer && clock_.steadyNow() >= next_rebuild)) {
      rebuildProducer();
      // Jittered, so many forwarders do not reconnect to a recovering cluster in step.
      auto jitter = std::chrono::duration_cast<std::chrono::milliseconds>(
          kRebuildRetry * (0.5 + random_.uniform()));
      next_rebuild = clock_.steadyNow() + jitter;
    }
    if (!have_producer) clock_.sleepFor(kPollInterval, stop);
  }
}

void KafkaSink::rebuildProducer() {
  std::uint64_t old_generation;
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    old_generation = generation_;
  }
  Error error =
      Error::retryableError(ErrorKind::kSink,
                            "Kafka producer hit a fatal error and is being rebuilt; the batch will "
                            "be resent (duplicates possible)",
                            "__FATAL");
  failOutstanding(old_generation, error);
  std::unique_lock plock(producer_mu_);
  producer_.reset();  // purges and destroys; late reports hit finished trackers
  // Secrets are read again, so a rotated password file is picked up.
  Result<std::unique_ptr<Producer>> made = makeProducer(false);
  std::lock_guard lock(mu_);
  forgetTrackersLocked(old_generation);
  ++generation_;
  if (!made.ok()) {
    noteErrorLocked(made.error());
    stats_.state = SinkState::kDown;
    log_->error("Kafka producer could not be rebuilt; retrying. error=\"{}\"",
                made.error().describe());
    return;
  }
  producer_ = std::move(made.value());
  producer_->generation = generation_;
  restarts_.fetch_add(1);
  log_->warn("Kafka producer rebuilt after a fatal error. restarts={}", restarts_.load());
}

void KafkaSink::send(BatchPtr batch, DeliveryCallback done, std::stop_token stop) {
  auto t = std::make_unique<Tracker>();
  Tracker* tp = t.get();
  t->batch = batch;
  t->done = std::move(done);
  t->bytes = batch->recordBytes();
  std::vector<std::function<void()>> fire;
  std::optional<Error> refused;
  {
    std::lock_guard lock(mu_);
    if (!started_ || stopping_ || stopped_) {
      refused = Error::retryableError(
          ErrorKind::kSink, started_ ? "Kafka sink is stopped" : "Kafka sink is not started");
    } else {
      t->generation = generation_;
      ++unfinished_;
      stats_.queued += batch->size();
      stats_.queued_bytes += t->bytes;
      trackers_.emplace(tp, std::move(t));
    }
  }
  if (refused) {
    DeliveryReport report;
    report.status = DeliveryStatus::kRetryable;
    report.error = std::move(refused);
    t->done(std::move(report));
    return;
  }
  const RecordBatch& b = *batch;
  const std::string topic =
      expandTopic(config_.topic, b.content.stream.tenant, b.content.stream.content_type);
  const std::string& tenant = b.content.stream.tenant;
  const std::string& ctype = b.content.stream.content_type;
  const std::string& cid = b.content.content_id;
  std::optional<Error> abort;
  bool cancelled = false;

  std::shared_lock plock(producer_mu_);
  for (std::size_t i = 0; i < b.size() && !abort; ++i) {
    std::string_view value = b.raw(i);
    if (value.size() > config_.max_message_size) {
      std::lock_guard lock(mu_);
      tp->rejected.push_back({static_cast<std::uint32_t>(i),
                              tooLargeReason(value.size(), config_.max_message_size, false)});
      continue;
    }
    std::string_view key = b.id(i);
    for (;;) {
      if (!producer_ || producer_->generation != tp->generation) {
        abort = Error::retryableError(ErrorKind::kSink,
                                      "Kafka producer was rebuilt while the batch was submitted");
        break;
      }
      rd_kafka_topic_t* rkt = producer_->topic(topic);
      if (!rkt) {
        abort = Error::permanent(ErrorKind::kConfig, "Kafka topic \"" + topic + "\" is invalid");
        abort->retryable = true;
        break;
      }
      {
        std::lock_guard lock(mu_);
        ++tp->pending;
      }
      rd_kafka_resp_err_t err = rd_kafka_producev(
          producer_->rk, RD_KAFKA_V_RKT(rkt), RD_KAFKA_V_PARTITION(RD_KAFKA_PARTITION_UA),
          RD_KAFKA_V_MSGFLAGS(0),  // no copy: the tracker keeps the batch alive until the report
          RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
          RD_KAFKA_V_KEY(key.empty() ? nullptr : key.data(), key.size()),
          RD_KAFKA_V_HEADER("o365.tenant", tenant.data(), static_cast<ssize_t>(tenant.size())),
          RD_KAFKA_V_HEADER("o365.content_type", ctype.data(), static_cast<ssize_t>(ctype.size())),
          RD_KAFKA_V_HEADER("o365.content_id", cid.data(), static_cast<ssize_t>(cid.size())),
          RD_KAFKA_V_OPAQUE(tp), RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;
      {
        std::lock_guard lock(mu_);
        --tp->pending;  // never reported
      }
      if (err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE) {
        std::lock_guard lock(mu_);
        tp->rejected.push_back({static_cast<std::uint32_t>(i),
                                tooLargeReason(value.size(), config_.max_message_size, false)});
        break;
      }
      if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        // Backpressure: wait for delivery reports to free space, without holding the producer.
        plock.unlock();
        {
          std::unique_lock lock(mu_);
          cv_.wait_for(lock, kPollInterval);
          if (stop.stop_requested() || stopping_ || tp->finished) cancelled = true;
        }
        plock.lock();
        if (cancelled) {
          abort = Error::retryableError(ErrorKind::kCancelled,
                                        "send cancelled while the Kafka producer queue was full");
          break;
        }
        continue;
      }
      if (err == RD_KAFKA_RESP_ERR__FATAL) fatal_ = true;
      abort = kafkaError(err, topic, broker_list_, config_.message_timeout);
      break;
    }
  }
  plock.unlock();

  {
    std::lock_guard lock(mu_);
    if (abort && !tp->error) tp->error = abort;
    if (abort && needsOperator(*abort)) {  // e.g. producev: the topic is known not to exist
      stats_.state = SinkState::kDown;
      noteErrorLocked(*abort);
    }
    // Cancelled or aborted: answer now; reports of records already queued are ignored.
    if (abort) finishLocked(*tp, fire);
    tp->submitting = false;
    releaseLocked(tp, fire);
  }
  deliver(fire);
}

void KafkaSink::onDelivery(Tracker* t, std::size_t index, std::optional<Error> error,
                           bool too_large) {
  std::vector<std::function<void()>> fire;
  {
    std::lock_guard lock(mu_);
    if (!t->finished) {
      if (too_large) {
        t->rejected.push_back(
            {static_cast<std::uint32_t>(index),
             tooLargeReason(t->batch->records[index].raw.length, config_.max_message_size, true)});
      } else if (error) {
        // A message that timed out while the client could not authenticate or verify TLS failed
        // for that reason: report the cause (and its remedy), not the timeout.
        if (error->retryable && blocker_) error = blocker_;
        stats_.state = SinkState::kDown;
        noteErrorLocked(*error);
        if (!t->error) t->error = std::move(error);
      } else {
        stats_.state = SinkState::kUp;
        blocker_.reset();
      }
    }
    releaseLocked(t, fire);
    cv_.notify_all();  // queue space was freed
  }
  deliver(fire);
}

void KafkaSink::releaseLocked(Tracker* t, std::vector<std::function<void()>>& fire) {
  if (--t->pending > 0) return;
  finishLocked(*t, fire);
  trackers_.erase(t);
}

void KafkaSink::finishLocked(Tracker& t, std::vector<std::function<void()>>& fire) {
  if (t.finished) return;
  t.finished = true;
  std::uint64_t records = t.batch->size();
  stats_.queued -= records;
  stats_.queued_bytes -= t.bytes;
  DeliveryReport report;
  if (t.error) {
    report.status = DeliveryStatus::kRetryable;
    report.error = t.error;
    stats_.failed += records;
  } else {
    std::sort(t.rejected.begin(), t.rejected.end(),
              [](const RejectedRecord& a, const RejectedRecord& b) { return a.index < b.index; });
    for (const RejectedRecord& r : t.rejected)
      log_->error("Kafka sink dead-letters a record. content_id={} index={} reason=\"{}\"",
                  t.batch->content.content_id, r.index, r.reason);
    stats_.rejected += t.rejected.size();
    stats_.delivered += records - t.rejected.size();
    report.rejected = std::move(t.rejected);
  }
  fire.push_back([done = std::move(t.done), report = std::move(report)]() mutable {
    done(std::move(report));
  });
  cv_.notify_all();
}

void KafkaSink::deliver(std::vector<std::function<void()>>& fire) {
  if (fire.empty()) return;
  for (auto& f : fire) f();
  // Counted down only after `done` ran, so flush() returns after the callbacks, not before.
  std::lock_guard lock(mu_);
  unfinished_ -= fire.size();
  cv_.notify_all();
}

void KafkaSink::failOutstanding(std::uint64_t generation, const Error& error) {
  std::vector<std::function<void()>> fire;
  {
    std::lock_guard lock(mu_);
    for (auto& [ptr, t] : trackers_) {
      if (t->finished || (generation != 0 && t->generation != generation)) continue;
      if (!t->error) t->error = error;
      finishLocked(*t, fire);
    }
    if (!fire.empty()) noteErrorLocked(error);
  }
  deliver(fire);
}

void KafkaSink::forgetTrackersLocked(std::uint64_t generation) {
  // The producer of `generation` is gone: no report will arrive for these trackers any more.
  for (auto it = trackers_.begin(); it != trackers_.end();) {
    Tracker& t = *it->second;
    if (generation != 0 && t.generation != generation) {
      ++it;
    } else if (t.submitting) {
      t.pending = 1;  // only send()'s guard is left; send() frees the tracker
      ++it;
    } else {
      it = trackers_.erase(it);
    }
  }
}

void KafkaSink::noteErrorLocked(const Error& error) {
  stats_.last_error = error;
  stats_.last_error_at = clock_.wallNow();
}

void KafkaSink::onError(int err, bool fatal, const std::string& reason) {
  auto code = static_cast<rd_kafka_resp_err_t>(err);
  Error error = fatal ? Error::retryableError(ErrorKind::kSink,
                                              "Kafka producer fatal error: " + reason, "__FATAL")
                      : kafkaError(code, config_.topic, broker_list_, config_.message_timeout);
  if (code == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
    error.message = "no Kafka broker at " + broker_list_ + " is reachable (" + reason +
                    "); check `brokers`, the network path (librdkafka cannot use a proxy) and "
                    "the TLS/SASL properties";
  } else if (!fatal && blocksClient(code)) {
    error.message += " [" + reason + "]";
  } else if (!fatal) {
    error.message = "Kafka client error: " + reason;
  }
  bool log_it;
  {
    std::lock_guard lock(mu_);
    noteErrorLocked(error);
    if (!fatal && blocksClient(code)) blocker_ = error;
    if (code == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN || fatal || blocksClient(code))
      stats_.state = SinkState::kDown;
    SteadyTime now = clock_.steadyNow();
    log_it = fatal || err != last_logged_error_ || now - last_logged_at_ >= kLogRepeat;
    if (log_it) {
      last_logged_error_ = err;
      last_logged_at_ = now;
    }
  }
  if (fatal) {
    fatal_ = true;
    log_->error(
        "Kafka producer fatal error; rebuilding it, outstanding batches will be resent. "
        "error=\"{}\"",
        reason);
  } else if (log_it) {
    log_->warn("Kafka client error. code={} brokers={} error=\"{}\"", errName(code), broker_list_,
               reason);
  }
}

Status KafkaSink::flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  if (cv_.wait_for(lock, timeout, [&] { return unfinished_ == 0; })) return okStatus();
  return Error::retryableError(
      ErrorKind::kSink, "Kafka sink flush timed out after " + std::to_string(timeout.count()) +
                            "ms: " + std::to_string(unfinished_) + " batches (" +
                            std::to_string(stats_.queued) +
                            " records) still await acknowledgement from " + broker_list_);
}

void KafkaSink::stop() {
  {
    std::unique_lock lock(mu_);
    if (stopped_ || stopping_) return;
    stopping_ = true;
    cv_.notify_all();
    if (started_) cv_.wait_for(lock, options_.stop_timeout, [&] { return unfinished_ == 0; });
  }
  failOutstanding(
      0, Error::retryableError(ErrorKind::kCancelled,
                               "Kafka sink stopped before the broker acknowledged the batch"));
  if (poller_.joinable()) {
    poller_.request_stop();
    poller_.join();
  }
  std::unique_ptr<Producer> old;
  {
    std::unique_lock plock(producer_mu_);
    old = std::move(producer_);
  }
  old.reset();  // purge and destroy: no report arrives after this
  std::lock_guard lock(mu_);
  forgetTrackersLocked(0);
  stopped_ = true;
  stats_.state = SinkState::kDown;
  if (started_)
    log_->info("Kafka sink stopped. delivered={} failed={} rejected={}", stats_.delivered,
               stats_.failed, stats_.rejected);
}

SinkStats KafkaSink::stats() const {
  std::lock_guard lock(mu_);
  SinkStats s = stats_;
  s.restarts = restarts_.load();
  return s;
}

Status KafkaSink::healthcheck(std::chrono::milliseconds timeout) {
  std::shared_lock plock(producer_mu_);
  std::unique_ptr<Producer> temp;
  Producer* p = producer_.get();
  if (!p) {
    Result<std::unique_ptr<Producer>> made = makeProducer(true);
    if (!made.ok()) return made.error();
    temp = std::move(made.value());
    p = temp.get();
  }
  bool literal = !topicHasPlaceholders(config_.topic);
  rd_kafka_topic_t* rkt = literal ? p->topic(config_.topic) : nullptr;
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t err =
      rd_kafka_metadata(p->rk, 0, rkt, &md, static_cast<int>(timeout.count()));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (isAuthError(err)) return kafkaError(err, config_.topic, broker_list_, timeout);
    return Error::retryableError(
        ErrorKind::kTransport,
        "no Kafka broker at " + broker_list_ + " answered a metadata request within " +
            std::to_string(timeout.count()) + "ms (" + errName(err) +
            "): check `brokers`, the network path (librdkafka cannot use a proxy) and the "
            "TLS/SASL properties",
        errName(err));
  }
  std::unique_ptr<const rd_kafka_metadata_t, void (*)(const rd_kafka_metadata_t*)> guard(
      md, rd_kafka_metadata_destroy);
  Status result = okStatus();
  if (md->broker_cnt == 0) {
    result = Error::retryableError(ErrorKind::kTransport,
                                   "Kafka cluster at " + broker_list_ + " lists no brokers");
  } else if (literal) {
    if (md->topic_cnt < 1) {
      result =
          kafkaError(RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, config_.topic, broker_list_, timeout);
    } else {
      const rd_kafka_metadata_topic_t& t = md->topics[0];
      if (t.err != RD_KAFKA_RESP_ERR_NO_ERROR || t.partition_cnt == 0) {
        result = kafkaError(t.err ? t.err : RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, config_.topic,
                            broker_list_, timeout);
      } else {
        for (int i = 0; i < t.partition_cnt; ++i) {
          if (t.partitions[i].leader < 0) {
            result = Error::retryableError(ErrorKind::kSink,
                                           "partition " + std::to_string(t.partitions[i].id) +
                                               " of Kafka topic \"" + config_.topic +
                                               "\" has no leader; check the brokers' health");
            break;
          }
        }
      }
    }
  }
  std::lock_guard lock(mu_);
  if (result.ok() && started_ && !stopped_) stats_.state = SinkState::kUp;
  if (!result.ok()) noteErrorLocked(result.error());
  return result;
}

}  // namespace o365fwd
