#pragma once
// One Kafka transactional producer (one transactional.id), as an interface of ours: what the
// exactly-once log (cluster/txn/exactly_once_log.h) asks of librdkafka's transactional API.
// KafkaTxnProducer (cluster/txn/kafka_txn_producer.cpp, the librdkafka seam) implements it; unit
// tests use tests/fakes/fake_txn_producer.h.
//
// Threads: one caller at a time (the exactly-once log serialises its writes).
//
// Promises: each call classifies its failure the way librdkafka's transactional API does —
// retriable (call the same method again), abortable (abort the transaction, then produce its
// messages again in a new one) or fatal (this producer is done: fenced by a newer producer with the
// same transactional.id, or a fatal producer error; only a new producer, init() first, may go on).
// commit() returns ok only after every message of the transaction was acknowledged and the
// transaction committed (visible to read_committed consumers).
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace o365fwd {

enum class TxnErrorClass { kRetriable, kAbortable, kFatal };

struct TxnError {
  TxnErrorClass kind = TxnErrorClass::kRetriable;
  bool fenced = false;  // fatal because a newer producer with the same transactional.id exists
  std::string code;     // librdkafka's error name, e.g. "_FENCED", "_TIMED_OUT"
  std::string message;
};

// ok = no error.
using TxnResult = std::optional<TxnError>;

struct TxnMessage {
  std::string_view topic;
  std::int32_t partition = -1;  // -1: the producer's partitioner chooses (by key)
  std::string_view key;
  std::optional<std::string_view> value;  // nullopt: a tombstone
  std::vector<std::pair<std::string_view, std::string_view>> headers;
};

class TxnProducer {
 public:
  virtual ~TxnProducer() = default;
  // Registers the transactional.id with its coordinator: fences every older producer with the same
  // id and completes (aborts) a transaction such a producer left open. Retriable on timeout.
  virtual TxnResult init(std::chrono::milliseconds timeout) = 0;
  virtual TxnResult begin() = 0;
  // Queues one message of the open transaction (copied); waits while the queue is full, at most
  // `timeout`.
  virtual TxnResult produce(const TxnMessage& message, std::chrono::milliseconds timeout) = 0;
  // Flushes and commits the open transaction.
  virtual TxnResult commit(std::chrono::milliseconds timeout) = 0;
  virtual TxnResult abort(std::chrono::milliseconds timeout) = 0;
};

// Builds a producer for one transactional.id (no broker round trip: init() does that).
using TxnProducerFactory =
    std::function<Result<std::unique_ptr<TxnProducer>>(const std::string& transactional_id)>;

}  // namespace o365fwd
