#pragma once
// Test fixture for exactly-once (cluster/txn/): KafkaStateStores over one fake Kafka cluster
// (fake state topic + fake transactions), each with a staged Kafka sink; blobs to send. Used by
// tests/unit/cluster/txn/exactly_once_log_test.cpp and by the StateStore contract suite over the
// exactly-once store in tests/unit/cluster/state/kafka_state_store_test.cpp. Unit tests only.
#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "cluster/cluster_options.h"
#include "cluster/state/kafka_state_store.h"
#include "cluster/txn/exactly_once_log.h"
#include "cluster/txn/staged_kafka_sink.h"
#include "core/clock.h"
#include "tests/fakes/fake_state_log.h"
#include "tests/fakes/fake_txn_producer.h"
#include "tests/support/temp_dir.h"

namespace o365fwd::testing {

inline constexpr int kEosPartitions = 4;
inline const WallTime kEosT0 = WallTime(std::chrono::seconds(1'736'856'000));
inline const std::string kEosGroup = "g";

// `count` records {"Id":"<tag>-<i>"} of one blob of `tenant`.
inline BatchPtr makeBatch(const std::string& tenant, const std::string& tag, std::size_t count,
                          std::size_t pad = 0) {
  auto batch = std::make_shared<RecordBatch>();
  batch->content.stream = StreamKey{tenant, "Audit.Exchange"};
  batch->content.content_id = "content-" + tag;
  batch->content.expiration = kEosT0 + std::chrono::hours(24 * 7);
  for (std::size_t i = 0; i < count; ++i) {
    const std::string id = tag + "-" + std::to_string(i);
    const std::string rec = R"({"Id":")" + id + R"(","Pad":")" + std::string(pad, 'x') + "\"}";
    RecordMeta meta;
    meta.raw = Span{static_cast<std::uint32_t>(batch->body.size()),
                    static_cast<std::uint32_t>(rec.size())};
    batch->body += rec;
    meta.id = Span{static_cast<std::uint32_t>(batch->arena.size()),
                   static_cast<std::uint32_t>(id.size())};
    batch->arena += id;
    batch->records.push_back(meta);
  }
  return batch;
}

inline BlobCommit commitOf(const RecordBatch& batch) {
  BlobCommit c;
  c.content = batch.content;
  for (std::size_t i = 0; i < batch.size(); ++i)
    c.keys.push_back(RecordKey{std::hash<std::string_view>{}(batch.id(i)), i + 1});
  c.records_forwarded = batch.size();
  return c;
}

// Instances over one fake Kafka cluster: the state topic and the transactions.
class FakeCluster {
 public:
  struct Instance {
    std::unique_ptr<KafkaStateStore> store;
    ExactlyOnceLog* log = nullptr;
    std::unique_ptr<StagedKafkaSink> sink;
  };
  // An instance holding `partitions` (claimed and loaded), with a staged Kafka sink.
  Instance open(const std::vector<std::int32_t>& partitions, int instance = 0) {
    auto local = LocalStateFiles::open(dir_.path() / ("state" + std::to_string(instance)));
    EXPECT_TRUE(local.ok());
    ExactlyOnceOptions options;
    options.group = kEosGroup;
    options.partitions = kEosPartitions;
    options.commit_timeout = std::chrono::milliseconds(200);
    auto log = std::make_unique<ExactlyOnceLog>(std::make_unique<FakeStateLog>(topic_),
                                                testing::fakeTxnFactory(txn_), options, clock_);
    Instance out;
    out.log = log.get();
    out.store = std::make_unique<KafkaStateStore>(std::move(log), kEosPartitions, std::move(*local),
                                                  out.log);
    Status s = out.store->loadPartitions(partitions, std::chrono::seconds(5));
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    KafkaSinkConfig config;
    config.topic = "audit-{tenant}";
    config.max_message_size = 200;
    out.sink = std::make_unique<StagedKafkaSink>("kafka", config, *out.store->recordStage());
    EXPECT_TRUE(out.sink->start().ok());
    return out;
  }
  // Hands `batch` to the instance's sink, as the delivery fan-out does.
  static DeliveryReport send(Instance& i, BatchPtr batch) {
    DeliveryReport got;
    int calls = 0;
    i.sink->send(std::move(batch),
                 [&](DeliveryReport r) {
                   got = std::move(r);
                   ++calls;
                 },
                 {});
    EXPECT_EQ(calls, 1);
    return got;
  }
  std::shared_ptr<FakeTxnCluster> txn() { return txn_; }
  std::shared_ptr<FakeStateTopic> topic() { return topic_; }

 private:
  testing::TempDir dir_;
  SystemClock clock_;
  std::shared_ptr<FakeStateTopic> topic_ = std::make_shared<FakeStateTopic>();
  std::shared_ptr<FakeTxnCluster> txn_ =
      std::make_shared<FakeTxnCluster>(topic_, stateTopic(kEosGroup));
};

}  // namespace o365fwd::testing
