// The librdkafka seam of the cluster state (the second file of cluster/ that includes rdkafka.h;
// the first is kafka_group_client.cpp): StateLog over <group>.state with an idempotent producer
// (acks=all, explicit partitions) and, per read(), a read_committed consumer that assigns the
// partitions without joining any group.
#include "cluster/state/kafka_state_log.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <set>

#include "cluster/cluster_options.h"
#include "core/logging.h"

namespace o365fwd {
namespace {

using std::chrono::milliseconds;

bool isTransport(rd_kafka_resp_err_t err) {
  return err == RD_KAFKA_RESP_ERR__TRANSPORT || err == RD_KAFKA_RESP_ERR__TIMED_OUT ||
         err == RD_KAFKA_RESP_ERR__MSG_TIMED_OUT || err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN ||
         err == RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE || err == RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT ||
         err == RD_KAFKA_RESP_ERR__RESOLVE || err == RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS ||
         err == RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND ||
         err == RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE ||
         err == RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION || err == RD_KAFKA_RESP_ERR__QUEUE_FULL;
}

bool isAuth(rd_kafka_resp_err_t err) {
  return err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED ||
         err == RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED ||
         err == RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED ||
         err == RD_KAFKA_RESP_ERR__AUTHENTICATION ||
         err == RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED;
}

struct ClientDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using Client = std::unique_ptr<rd_kafka_t, ClientDeleter>;

class KafkaStateLog final : public StateLog {
 public:
  KafkaStateLog(KafkaProperties props, std::string topic, std::string brokers, std::string group,
                Clock& clock, milliseconds timeout)
      : props_(std::move(props)),
        topic_(std::move(topic)),
        brokers_(std::move(brokers)),
        group_(std::move(group)),
        clock_(clock),
        timeout_(timeout) {}
  ~KafkaStateLog() override {
    if (!producer_) return;
    rd_kafka_flush(producer_.get(), 2000);  // sweep records written without waiting
    producer_.reset();
  }

  Status init() {
    auto p = makeClient(RD_KAFKA_PRODUCER);
    if (!p) return p.error();
    producer_ = std::move(*p);
    return okStatus();
  }

  Status write(const std::vector<StateLogRecord>& records) override;
  void writeAsync(const std::vector<StateLogRecord>& records) override;
  Status read(const std::vector<std::int32_t>& partitions, milliseconds deadline,
              std::stop_token stop, const RecordVisitor& visit) override;
  std::string describe() const override { return topic_ + " on " + brokers_; }

 private:
  struct Batch {
    std::size_t outstanding = 0;
    rd_kafka_resp_err_t first_error = RD_KAFKA_RESP_ERR_NO_ERROR;
  };

  Result<Client> makeClient(rd_kafka_type_t type);
  static void logLine(const rd_kafka_t* rk, int level, const char* fac, const char* buf);
  static void delivered(rd_kafka_t* rk, const rd_kafka_message_t* msg, void* opaque);
  rd_kafka_resp_err_t produce(const StateLogRecord& r, std::uint64_t batch, SteadyTime deadline);
  Error writeError(rd_kafka_resp_err_t err, const std::string& detail) const;
  Error readError(rd_kafka_resp_err_t err, const std::string& doing) const;
  void resetIfFatal();

  KafkaProperties props_;
  std::string topic_, brokers_, group_;
  Clock& clock_;
  milliseconds timeout_;
  std::shared_ptr<spdlog::logger> log_ = getLogger("cluster.state");
  Client producer_;
  std::mutex mu_;  // batches_
  std::map<std::uint64_t, Batch> batches_;
  std::uint64_t next_batch_ = 1;
};

void KafkaStateLog::logLine(const rd_kafka_t*, int level, const char* fac, const char* buf) {
  // Our Errors carry what matters (which brokers, what to check); librdkafka's connection chatter
  // during an outage stays at DEBUG, as the group client's.
  auto lvl = level <= 2 ? spdlog::level::warn : spdlog::level::debug;
  getLogger("cluster.kafka")->log(lvl, "librdkafka {}: {}", fac ? fac : "", buf ? buf : "");
}

void KafkaStateLog::delivered(rd_kafka_t*, const rd_kafka_message_t* msg, void* opaque) {
  auto* self = static_cast<KafkaStateLog*>(opaque);
  const auto id = reinterpret_cast<std::uintptr_t>(msg->_private);
  if (id == 0) {  // writeAsync()
    if (msg->err)
      self->log_->warn(
          "A state record written without waiting was not acknowledged; the next commit of its "
          "stream writes it again. topic={} partition={} error={}",
          self->topic_, msg->partition, rd_kafka_err2name(msg->err));
    return;
  }
  std::lock_guard lock(self->mu_);
  auto it = self->batches_.find(id);
  if (it == self->batches_.end()) return;  // the write gave up waiting
  --it->second.outstanding;
  if (msg->err && !it->second.first_error) it->second.first_error = msg->err;
}

Result<Client> KafkaStateLog::makeClient(rd_kafka_type_t type) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char errstr[512];
  auto set = [&](const std::string& key, const std::string& value, bool secret) -> Status {
    if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), errstr, sizeof errstr) ==
        RD_KAFKA_CONF_OK)
      return okStatus();
    return refusedKafkaProperty("cluster.kafka", key, errstr, secret);
  };
  std::vector<std::pair<std::string, std::string>> ours;
  if (type == RD_KAFKA_PRODUCER) {
    ours = {{"enable.idempotence", "true"},
            {"acks", "all"},
            {"linger.ms", "2"},
            {"message.timeout.ms", std::to_string(timeout_.count())}};
  } else {
    ours = {{"group.id", group_ + ".state-loader"},  // assign() only: never joins the group
            {"isolation.level", "read_committed"},
            {"enable.auto.commit", "false"},
            {"enable.auto.offset.store", "false"},
            {"enable.partition.eof", "true"},
            {"fetch.wait.max.ms", "50"},  // the end of a partition shows after an empty fetch
            {"auto.offset.reset", "earliest"}};
  }
  Status s = okStatus();
  for (const KafkaProperty& p : props_.properties)
    if (s.ok()) s = set(p.key, p.value.reveal(), p.secret);
  for (const auto& [k, v] : ours)
    if (s.ok()) s = set(k, v, false);
  if (!s.ok()) {
    rd_kafka_conf_destroy(conf);
    return s.error();
  }
  rd_kafka_conf_set_log_cb(conf, &KafkaStateLog::logLine);
  if (type == RD_KAFKA_PRODUCER) {
    rd_kafka_conf_set_opaque(conf, this);
    rd_kafka_conf_set_dr_msg_cb(conf, &KafkaStateLog::delivered);
  }
  rd_kafka_t* rk = rd_kafka_new(type, conf, errstr, sizeof errstr);
  if (!rk) {
    rd_kafka_conf_destroy(conf);
    return Error::permanent(
        ErrorKind::kConfig,
        std::string("cluster state Kafka client could not be created: ") + errstr);
  }
  return Client(rk);
}

Error KafkaStateLog::writeError(rd_kafka_resp_err_t err, const std::string& detail) const {
  std::string code = rd_kafka_err2name(err);
  if (err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC || err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
      err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION)
    return Error::permanent(ErrorKind::kConfig,
                            "the state topic " + topic_ + " on " + brokers_ +
                                " does not exist or lacks a partition (" + code +
                                "): run `o365fwd cluster init` with this configuration",
                            code);
  if (isAuth(err))
    return Error::permanent(ErrorKind::kPermission,
                            "Kafka refused writing the cluster state to " + describe() + " (" +
                                code +
                                "): check the credentials in cluster.kafka.properties and the "
                                "principal's Write ACL on the topic and IdempotentWrite on the "
                                "cluster",
                            code);
  return Error::retryableError(
      ErrorKind::kTransport,
      "the cluster state could not be written to " + describe() + " (" + code +
          (detail.empty() ? "" : ", " + detail) +
          "): check that the brokers run and are reachable (cluster.kafka.brokers, network, "
          "TLS/SASL properties); nothing is acknowledged until the state is written",
      code);
}

Error KafkaStateLog::readError(rd_kafka_resp_err_t err, const std::string& doing) const {
  std::string code = rd_kafka_err2name(err);
  if (err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC || err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
      err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION)
    return Error::permanent(ErrorKind::kConfig,
                            "the state topic " + topic_ + " on " + brokers_ +
                                " does not exist or lacks a partition (" + code +
                                "): run `o365fwd cluster init` with this configuration",
                            code);
  if (isAuth(err))
    return Error::permanent(ErrorKind::kPermission,
                            "Kafka refused reading " + describe() + " (" + code +
                                "): check the credentials in cluster.kafka.properties and the "
                                "principal's Read and Describe ACLs on the topic",
                            code);
  return Error::retryableError(ErrorKind::kTransport,
                               doing + " " + describe() + " failed (" + code +
                                   "): check that the brokers run and are reachable "
                                   "(cluster.kafka.brokers, network, TLS/SASL properties)",
                               code);
}

void KafkaStateLog::resetIfFatal() {
  char errstr[512];
  rd_kafka_resp_err_t fatal = rd_kafka_fatal_error(producer_.get(), errstr, sizeof errstr);
  if (!fatal) return;
  log_->error("The cluster state producer failed fatally; it is created anew. error={} detail={}",
              rd_kafka_err2name(fatal), errstr);
  rd_kafka_purge(producer_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
  rd_kafka_poll(producer_.get(), 0);
  producer_.reset();
  auto fresh = makeClient(RD_KAFKA_PRODUCER);
  if (fresh.ok()) producer_ = std::move(*fresh);
}

rd_kafka_resp_err_t KafkaStateLog::produce(const StateLogRecord& r, std::uint64_t batch,
                                           SteadyTime deadline) {
  void* value = r.value ? const_cast<char*>(r.value->data()) : nullptr;
  const std::size_t value_size = r.value ? r.value->size() : 0;
  for (;;) {
    rd_kafka_resp_err_t err = rd_kafka_producev(
        producer_.get(), RD_KAFKA_V_TOPIC(topic_.c_str()), RD_KAFKA_V_PARTITION(r.partition),
        RD_KAFKA_V_KEY(r.key.data(), r.key.size()), RD_KAFKA_V_VALUE(value, value_size),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(static_cast<std::uintptr_t>(batch))),
        RD_KAFKA_V_END);
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || clock_.steadyNow() >= deadline) return err;
    rd_kafka_poll(producer_.get(), 50);
  }
}

Status KafkaStateLog::write(const std::vector<StateLogRecord>& records) {
  if (records.empty()) return okStatus();
  if (!producer_) {
    auto fresh = makeClient(RD_KAFKA_PRODUCER);
    if (!fresh) return fresh.error();
    producer_ = std::move(*fresh);
  }
  const SteadyTime deadline = clock_.steadyNow() + timeout_ + std::chrono::seconds(1);
  std::uint64_t id;
  {
    std::lock_guard lock(mu_);
    id = next_batch_++;
    batches_[id] = Batch{records.size(), RD_KAFKA_RESP_ERR_NO_ERROR};
  }
  rd_kafka_resp_err_t produce_error = RD_KAFKA_RESP_ERR_NO_ERROR;
  for (std::size_t i = 0; i < records.size(); ++i) {
    produce_error = produce(records[i], id, deadline);
    if (produce_error) {
      std::lock_guard lock(mu_);
      batches_[id].outstanding -= records.size() - i;  // never produced
      break;
    }
  }
  Batch done;
  for (;;) {
    {
      std::lock_guard lock(mu_);
      done = batches_[id];
    }
    if (done.outstanding == 0 || clock_.steadyNow() >= deadline) break;
    rd_kafka_poll(producer_.get(), 20);
  }
  {
    std::lock_guard lock(mu_);
    batches_.erase(id);
  }
  if (produce_error || done.first_error) resetIfFatal();
  if (produce_error) return writeError(produce_error, "");
  if (done.first_error) return writeError(done.first_error, "");
  if (done.outstanding > 0)
    return writeError(RD_KAFKA_RESP_ERR__TIMED_OUT,
                      std::to_string(done.outstanding) + " of " + std::to_string(records.size()) +
                          " records not acknowledged within " +
                          std::to_string(timeout_.count() / 1000) + "s");
  return okStatus();
}

void KafkaStateLog::writeAsync(const std::vector<StateLogRecord>& records) {
  if (!producer_) return;
  const SteadyTime deadline = clock_.steadyNow() + timeout_;
  for (const StateLogRecord& r : records)
    if (rd_kafka_resp_err_t err = produce(r, 0, deadline))
      log_->warn(
          "A state record could not be queued; the next commit of its stream writes it "
          "again. topic={} partition={} error={}",
          topic_, r.partition, rd_kafka_err2name(err));
  rd_kafka_poll(producer_.get(), 0);
}

Status KafkaStateLog::read(const std::vector<std::int32_t>& partitions, milliseconds deadline,
                           std::stop_token stop, const RecordVisitor& visit) {
  const auto stopped = [&] {
    return Error::permanent(ErrorKind::kCancelled,
                            "reading " + describe() + " was stopped (the instance is stopping)");
  };
  if (partitions.empty()) return okStatus();
  const SteadyTime until = clock_.steadyNow() + deadline;
  auto left = [&] {
    auto ms = std::chrono::duration_cast<milliseconds>(until - clock_.steadyNow()).count();
    return static_cast<int>(std::max<long long>(1, ms));
  };
  auto consumer = makeClient(RD_KAFKA_CONSUMER);
  if (!consumer) return consumer.error();
  rd_kafka_t* rk = consumer->get();
  std::map<std::int32_t, std::int64_t> end;  // partition -> high watermark at the start
  for (std::int32_t p : partitions) {
    std::int64_t low = 0, high = 0;
    rd_kafka_resp_err_t err;
    do {
      err = rd_kafka_query_watermark_offsets(rk, topic_.c_str(), p, &low, &high,
                                             std::min(left(), 5000));
    } while (err && isTransport(err) && clock_.steadyNow() < until && !stop.stop_requested());
    if (stop.stop_requested()) return stopped();
    if (err)
      return readError(err,
                       "reading the end offset of state partition " + std::to_string(p) + " of");
    if (high > low) end[p] = high;
  }
  if (end.empty()) return okStatus();
  rd_kafka_topic_partition_list_t* list =
      rd_kafka_topic_partition_list_new(static_cast<int>(end.size()));
  for (const auto& [p, _] : end)
    rd_kafka_topic_partition_list_add(list, topic_.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  rd_kafka_resp_err_t assigned = rd_kafka_assign(rk, list);
  rd_kafka_topic_partition_list_destroy(list);
  if (assigned) return readError(assigned, "assigning");
  std::uint64_t records = 0;
  std::optional<Error> failed;
  while (!end.empty() && !failed && clock_.steadyNow() < until && !stop.stop_requested()) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, std::min(left(), 100));
    if (!m) continue;
    const std::int32_t p = m->partition;
    auto it = end.find(p);
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      if (it != end.end() && m->offset >= it->second) end.erase(it);
    } else if (m->err) {
      if (!isTransport(m->err))
        failed = readError(m->err, "reading state partition " + std::to_string(p) + " of");
    } else if (it != end.end()) {
      ++records;
      std::optional<std::string_view> value;
      if (m->payload) value = std::string_view(static_cast<const char*>(m->payload), m->len);
      visit(p, std::string_view(static_cast<const char*>(m->key), m->key ? m->key_len : 0), value,
            m->offset);
      if (m->offset + 1 >= it->second) end.erase(it);
    }
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(rk);
  if (failed) return *failed;
  if (!end.empty() && stop.stop_requested()) return stopped();
  if (!end.empty()) {
    std::string waiting;
    for (const auto& [p, _] : end) waiting += (waiting.empty() ? "" : ",") + std::to_string(p);
    return Error::retryableError(
        ErrorKind::kTransport,
        "reading state partitions " + waiting + " of " + describe() +
            " did not reach their end "
            "within " +
            std::to_string(deadline.count() / 1000) + "s (" + std::to_string(records) +
            " records read): check that the brokers run and are reachable (cluster.kafka.brokers, "
            "network, TLS/SASL properties), and the principal's Read ACL on the topic",
        "timeout");
  }
  return okStatus();
}

}  // namespace

Result<std::unique_ptr<StateLog>> openKafkaStateLog(const ClusterKafkaConfig& config,
                                                    const std::string& client_id, Clock& clock,
                                                    std::chrono::milliseconds write_timeout) {
  Result<KafkaProperties> props = buildClusterClientProperties(config, client_id);
  if (!props.ok()) return props.error();
  for (const std::string& w : props->warnings) getLogger("cluster.state")->warn("{}", w);
  auto log = std::make_unique<KafkaStateLog>(std::move(*props), stateTopic(config.group),
                                             config.brokers, config.group, clock, write_timeout);
  if (Status s = log->init(); !s.ok()) return s.error();
  return std::unique_ptr<StateLog>(std::move(log));
}

}  // namespace o365fwd
