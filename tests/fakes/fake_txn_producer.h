#pragma once
// In-memory Kafka transactions (cluster/txn/txn_producer.h) for unit tests: a FakeTxnCluster holds
// each transactional.id's epoch, the committed sink messages and — through a FakeStateTopic — the
// committed state records, so a KafkaStateStore can be reopened over what the transactions wrote.
// A producer's messages are buffered until its commit(); init() with the same id bumps the epoch,
// which fences every older producer of that id (its begin/produce/commit fail fatal, fenced).
// Failures are injected per call kind. Thread-safe. Unit tests only.
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cluster/txn/txn_producer.h"
#include "tests/fakes/fake_state_log.h"

namespace o365fwd::testing {

struct FakeSinkMessage {
  std::string topic;
  std::string key;
  std::string value;
  std::map<std::string, std::string> headers;
};

struct FakeTxnCluster {
  FakeTxnCluster(std::shared_ptr<FakeStateTopic> topic, std::string topic_name)
      : state(std::move(topic)), state_topic(std::move(topic_name)) {}
  std::shared_ptr<FakeStateTopic> state;
  std::string state_topic;

  std::mutex mu;
  std::map<std::string, int> epochs;       // transactional.id -> current epoch
  std::vector<FakeSinkMessage> committed;  // sink messages of committed transactions
  int commits = 0, aborts = 0, inits = 0;
  // Injected failures: the next this many calls fail.
  int abortable_commits = 0;   // commit() fails abortable (nothing written)
  int retriable_commits = 0;   // commit() fails retriable (nothing written; a retry commits)
  int retriable_inits = 0;     // init() times out
  int abortable_produces = 0;  // produce() fails abortable
  int fatal_commits = 0;       // commit() fails fatal, not fenced

  std::vector<FakeSinkMessage> sinkMessages() {
    std::lock_guard lock(mu);
    return committed;
  }
};

class FakeTxnProducer final : public TxnProducer {
 public:
  FakeTxnProducer(std::shared_ptr<FakeTxnCluster> cluster, std::string id)
      : cluster_(std::move(cluster)), id_(std::move(id)) {}

  TxnResult init(std::chrono::milliseconds) override {
    std::lock_guard lock(cluster_->mu);
    if (cluster_->retriable_inits > 0) {
      --cluster_->retriable_inits;
      return error(TxnErrorClass::kRetriable, "_TIMED_OUT");
    }
    ++cluster_->inits;
    epoch_ = ++cluster_->epochs[id_];
    return std::nullopt;
  }
  TxnResult begin() override {
    std::lock_guard lock(cluster_->mu);
    if (TxnResult f = fencedLocked()) return f;
    open_ = true;
    return std::nullopt;
  }
  TxnResult produce(const TxnMessage& m, std::chrono::milliseconds) override {
    std::lock_guard lock(cluster_->mu);
    if (TxnResult f = fencedLocked()) return f;
    if (!open_) return error(TxnErrorClass::kFatal, "_STATE");
    if (cluster_->abortable_produces > 0) {
      --cluster_->abortable_produces;
      return error(TxnErrorClass::kAbortable, "_MSG_TIMED_OUT");
    }
    Buffered b;
    b.topic = std::string(m.topic);
    b.partition = m.partition;
    b.key = std::string(m.key);
    if (m.value) b.value = std::string(*m.value);
    for (const auto& [k, v] : m.headers) b.headers[std::string(k)] = std::string(v);
    buffer_.push_back(std::move(b));
    return std::nullopt;
  }
  TxnResult commit(std::chrono::milliseconds) override {
    std::vector<StateLogRecord> state;
    {
      std::lock_guard lock(cluster_->mu);
      if (TxnResult f = fencedLocked()) return f;
      if (cluster_->fatal_commits > 0) {
        --cluster_->fatal_commits;
        return error(TxnErrorClass::kFatal, "_INCONSISTENT");
      }
      if (cluster_->abortable_commits > 0) {
        --cluster_->abortable_commits;
        return error(TxnErrorClass::kAbortable, "_MSG_TIMED_OUT");
      }
      if (cluster_->retriable_commits > 0) {
        --cluster_->retriable_commits;
        return error(TxnErrorClass::kRetriable, "_TIMED_OUT");
      }
      for (Buffered& b : buffer_) {
        if (b.topic == cluster_->state_topic)
          state.push_back({b.partition, b.key, b.value});
        else
          cluster_->committed.push_back({b.topic, b.key, b.value.value_or(""), b.headers});
      }
      buffer_.clear();
      open_ = false;
      ++cluster_->commits;
    }
    std::lock_guard lock(cluster_->state->mu);
    for (StateLogRecord& r : state) cluster_->state->partitions[r.partition].push_back(r);
    return std::nullopt;
  }
  TxnResult abort(std::chrono::milliseconds) override {
    std::lock_guard lock(cluster_->mu);
    if (TxnResult f = fencedLocked()) return f;
    buffer_.clear();
    open_ = false;
    ++cluster_->aborts;
    return std::nullopt;
  }

 private:
  struct Buffered {
    std::string topic;
    std::int32_t partition = -1;
    std::string key;
    std::optional<std::string> value;
    std::map<std::string, std::string> headers;
  };
  static TxnResult error(TxnErrorClass kind, const std::string& code, bool fenced = false) {
    TxnError e;
    e.kind = kind;
    e.code = code;
    e.message = "injected " + code;
    e.fenced = fenced;
    return e;
  }
  TxnResult fencedLocked() const {
    if (epoch_ == 0 || cluster_->epochs[id_] != epoch_)
      return error(TxnErrorClass::kFatal, "_FENCED", true);
    return std::nullopt;
  }

  std::shared_ptr<FakeTxnCluster> cluster_;
  std::string id_;
  int epoch_ = 0;
  bool open_ = false;
  std::vector<Buffered> buffer_;
};

inline TxnProducerFactory fakeTxnFactory(std::shared_ptr<FakeTxnCluster> cluster) {
  return [cluster](const std::string& id) -> Result<std::unique_ptr<TxnProducer>> {
    return std::unique_ptr<TxnProducer>(new FakeTxnProducer(cluster, id));
  };
}

}  // namespace o365fwd::testing
