// The librdkafka seam of exactly-once delivery (docs/CLUSTER.md "Exactly-once into Kafka"): one
// transactional producer per transactional.id. Only this file of cluster/txn/ includes rdkafka.h.
#include "cluster/txn/kafka_txn_producer.h"

#include <librdkafka/rdkafka.h>

#include "cluster/cluster_options.h"
#include "core/logging.h"

namespace o365fwd {
namespace {

bool isFencedCode(rd_kafka_resp_err_t err) {
  return err == RD_KAFKA_RESP_ERR__FENCED || err == RD_KAFKA_RESP_ERR_PRODUCER_FENCED ||
         err == RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH;
}

void logLine(const rd_kafka_t*, int level, const char* fac, const char* buf) {
  auto lvl = level <= 3 ? spdlog::level::warn : spdlog::level::debug;
  getLogger("cluster.txn")->log(lvl, "librdkafka {}: {}", fac ? fac : "", buf ? buf : "");
}

class KafkaTxnProducer final : public TxnProducer {
 public:
  explicit KafkaTxnProducer(rd_kafka_t* rk) : rk_(rk) {}
  ~KafkaTxnProducer() override {
    // Nothing waits here: an open transaction is aborted by the coordinator (the next owner's
    // init() or transaction.timeout.ms); queued messages of it are never visible.
    rd_kafka_purge(rk_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_destroy_flags(rk_, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
  }

  TxnResult init(std::chrono::milliseconds timeout) override {
    return classify(rd_kafka_init_transactions(rk_, ms(timeout)));
  }
  TxnResult begin() override { return classify(rd_kafka_begin_transaction(rk_)); }
  TxnResult commit(std::chrono::milliseconds timeout) override {
    return classify(rd_kafka_commit_transaction(rk_, ms(timeout)));
  }
  TxnResult abort(std::chrono::milliseconds timeout) override {
    return classify(rd_kafka_abort_transaction(rk_, ms(timeout)));
  }
  TxnResult produce(const TxnMessage& m, std::chrono::milliseconds timeout) override;

 private:
  static int ms(std::chrono::milliseconds d) {
    return static_cast<int>(std::max<std::int64_t>(1, d.count()));
  }
  TxnResult classify(rd_kafka_error_t* error) const;
  TxnResult fromCode(rd_kafka_resp_err_t err) const;

  rd_kafka_t* rk_;
};

TxnResult KafkaTxnProducer::classify(rd_kafka_error_t* error) const {
  if (!error) return std::nullopt;
  TxnError e;
  rd_kafka_resp_err_t code = rd_kafka_error_code(error);
  e.code = rd_kafka_err2name(code);
  e.message = rd_kafka_error_string(error);
  if (rd_kafka_error_is_fatal(error)) {
    e.kind = TxnErrorClass::kFatal;
  } else if (rd_kafka_error_txn_requires_abort(error)) {
    e.kind = TxnErrorClass::kAbortable;
  } else if (rd_kafka_error_is_retriable(error)) {
    e.kind = TxnErrorClass::kRetriable;
  } else {
    e.kind = TxnErrorClass::kFatal;  // librdkafka: treat the unflagged ones as fatal
  }
  char errstr[256];
  rd_kafka_resp_err_t fatal = rd_kafka_fatal_error(rk_, errstr, sizeof errstr);
  e.fenced = isFencedCode(code) || isFencedCode(fatal);
  if (e.fenced) e.kind = TxnErrorClass::kFatal;
  rd_kafka_error_destroy(error);
  return e;
}

TxnResult KafkaTxnProducer::fromCode(rd_kafka_resp_err_t err) const {
  TxnError e;
  e.code = rd_kafka_err2name(err);
  e.message = rd_kafka_err2str(err);
  char errstr[256];
  rd_kafka_resp_err_t fatal = rd_kafka_fatal_error(rk_, errstr, sizeof errstr);
  if (err == RD_KAFKA_RESP_ERR__FATAL || fatal) {
    e.kind = TxnErrorClass::kFatal;
    if (fatal) {
      e.code = rd_kafka_err2name(fatal);
      e.message = errstr;
    }
  } else {
    e.kind = TxnErrorClass::kAbortable;
  }
  e.fenced = isFencedCode(err) || isFencedCode(fatal);
  return e;
}

TxnResult KafkaTxnProducer::produce(const TxnMessage& m, std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  std::string topic(m.topic);
  void* value = m.value ? const_cast<char*>(m.value->data()) : nullptr;
  const std::size_t value_size = m.value ? m.value->size() : 0;
  for (;;) {
    rd_kafka_headers_t* hdrs = nullptr;
    if (!m.headers.empty()) {
      hdrs = rd_kafka_headers_new(m.headers.size());
      for (const auto& [name, v] : m.headers)
        rd_kafka_header_add(hdrs, name.data(), static_cast<ssize_t>(name.size()), v.data(),
                            static_cast<ssize_t>(v.size()));
    }
    rd_kafka_resp_err_t err = rd_kafka_producev(
        rk_, RD_KAFKA_V_TOPIC(topic.c_str()),
        RD_KAFKA_V_PARTITION(m.partition < 0 ? RD_KAFKA_PARTITION_UA : m.partition),
        RD_KAFKA_V_KEY(m.key.empty() ? nullptr : m.key.data(), m.key.size()),
        RD_KAFKA_V_VALUE(value, value_size), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return std::nullopt;  // headers now owned
    if (hdrs) rd_kafka_headers_destroy(hdrs);
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || std::chrono::steady_clock::now() >= until)
      return fromCode(err);
    rd_kafka_poll(rk_, 50);
  }
}

}  // namespace

Result<TxnProducerFactory> kafkaTxnProducerFactory(const ClusterKafkaConfig& config,
                                                   const KafkaTxnProducerOptions& options) {
  Result<KafkaProperties> built = buildClusterClientProperties(config, options.client_id);
  if (!built.ok()) return built.error();
  auto props = std::make_shared<KafkaProperties>(std::move(*built));
  const auto message_timeout = options.transaction_timeout - std::chrono::seconds(5);
  std::vector<std::pair<std::string, std::string>> ours = {
      {"enable.idempotence", "true"},
      {"acks", "all"},
      {"linger.ms", std::to_string(options.linger.count())},
      {"compression.type", options.compression == "none" ? "none" : options.compression},
      {"transaction.timeout.ms", std::to_string(options.transaction_timeout.count())},
      {"message.timeout.ms", std::to_string(std::max<std::int64_t>(1000, message_timeout.count()))},
      {"queue.buffering.max.kbytes", "65536"}};
  TxnProducerFactory factory =
      [props, ours](const std::string& transactional_id) -> Result<std::unique_ptr<TxnProducer>> {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    char errstr[512];
    auto set = [&](const std::string& key, const std::string& value, bool secret) -> Status {
      if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), errstr, sizeof errstr) ==
          RD_KAFKA_CONF_OK)
        return okStatus();
      return refusedKafkaProperty("cluster.kafka", key, errstr, secret);
    };
    Status s = okStatus();
    for (const KafkaProperty& p : props->properties)
      if (s.ok()) s = set(p.key, p.value.reveal(), p.secret);
    for (const auto& [k, v] : ours)
      if (s.ok()) s = set(k, v, false);
    if (s.ok()) s = set("transactional.id", transactional_id, false);
    if (!s.ok()) {
      rd_kafka_conf_destroy(conf);
      return s.error();
    }
    rd_kafka_conf_set_log_cb(conf, &logLine);
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!rk) {
      rd_kafka_conf_destroy(conf);
      return Error::permanent(
          ErrorKind::kConfig,
          std::string("transactional Kafka producer could not be created: ") + errstr);
    }
    return std::unique_ptr<TxnProducer>(new KafkaTxnProducer(rk));
  };
  return factory;
}

}  // namespace o365fwd
