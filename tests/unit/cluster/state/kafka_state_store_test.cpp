#include "cluster/state/kafka_state_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "cluster/tenant_partitioner.h"
#include "tests/fakes/fake_state_log.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/cluster/txn/exactly_once_fixture.h"
#include "tests/unit/pipeline/state/state_store_contract.h"

namespace o365fwd {
namespace {

using contract::StateStoreContract;
using std::chrono::hours;
using std::chrono::seconds;
using testing::FakeStateLog;
using testing::FakeStateTopic;
using ::testing::HasSubstr;

constexpr int kPartitions = 4;
const WallTime kT0 = WallTime(seconds(1'736'856'000));

std::vector<std::int32_t> allPartitions() {
  std::vector<std::int32_t> out;
  for (int p = 0; p < kPartitions; ++p) out.push_back(p);
  return out;
}

// A KafkaStateStore over a shared fake topic and a local state_dir.
class FakeKafkaStore {
 public:
  std::unique_ptr<KafkaStateStore> open(const std::vector<std::int32_t>& load = allPartitions()) {
    auto local = LocalStateFiles::open(dir_.path() / "state");
    EXPECT_TRUE(local.ok()) << (local.ok() ? "" : local.error().message);
    if (!local.ok()) return nullptr;
    auto store = std::make_unique<KafkaStateStore>(std::make_unique<FakeStateLog>(topic_),
                                                   kPartitions, std::move(*local));
    Status loaded = store->loadPartitions(load, std::chrono::seconds(5));
    EXPECT_TRUE(loaded.ok()) << (loaded.ok() ? "" : loaded.error().message);
    return loaded.ok() ? std::move(store) : nullptr;
  }
  FakeStateTopic& topic() { return *topic_; }
  std::shared_ptr<FakeStateTopic> topicPtr() { return topic_; }

 private:
  testing::TempDir dir_;
  std::shared_ptr<FakeStateTopic> topic_ = std::make_shared<FakeStateTopic>();
};

class FakeKafkaUnderTest final : public contract::StateStoreUnderTest {
 public:
  std::unique_ptr<StateStore> open() override {
    topic_.topic().compact();  // what the broker may do between two owners
    return topic_.open();
  }
  bool failNextWrite() override {
    std::lock_guard lock(topic_.topic().mu);
    topic_.topic().fail_writes = 1;
    topic_.topic().fail_after_first = true;  // a partial write: the worst case without transactions
    return true;
  }

 private:
  FakeKafkaStore topic_;
};

INSTANTIATE_TEST_SUITE_P(KafkaOverFakeLog, StateStoreContract,
                         ::testing::Values(contract::StateStoreContractParam{
                             "KafkaOverFakeLog",
                             [] { return std::make_unique<FakeKafkaUnderTest>(); }}),
                         contract::stateStoreContractName);
// The StateStore contract over the exactly-once store (commits as transactions, no sink records).
class ExactlyOnceUnderTest final : public contract::StateStoreUnderTest {
 public:
  std::unique_ptr<StateStore> open() override {
    std::vector<std::int32_t> all;
    for (int p = 0; p < testing::kEosPartitions; ++p) all.push_back(p);
    testing::FakeCluster::Instance i =
        cluster_.open(all);  // the same state_dir: sink positions are host-local
    sinks_.push_back(std::move(i.sink));
    return std::move(i.store);
  }
  bool failNextWrite() override {
    cluster_.txn()->abortable_commits = 3;  // every attempt of the first partition's transaction
    return true;
  }

 private:
  testing::FakeCluster cluster_;
  std::vector<std::unique_ptr<StagedKafkaSink>> sinks_;
};

INSTANTIATE_TEST_SUITE_P(KafkaExactlyOnceOverFakes, StateStoreContract,
                         ::testing::Values(contract::StateStoreContractParam{
                             "KafkaExactlyOnceOverFakes",
                             [] { return std::make_unique<ExactlyOnceUnderTest>(); }}),
                         contract::stateStoreContractName);

// Two tenants in different partitions (found, not assumed: the partitioner decides).
std::pair<std::string, std::string> tenantsInTwoPartitions() {
  std::string a = "tenant0";
  for (int i = 1; i < 100; ++i) {
    std::string b = "tenant" + std::to_string(i);
    if (tenantPartition(b, kPartitions) != tenantPartition(a, kPartitions)) return {a, b};
  }
  return {a, a};
}

BlobCommit blob(const std::string& tenant, std::string id, std::vector<RecordKey> keys,
                WallTime created = kT0) {
  BlobCommit b;
  b.content = ContentRef{{tenant, "Audit.Exchange"},
                         std::move(id),
                         "https://example.invalid/b",
                         created,
                         created + hours(24 * 7)};
  b.keys = std::move(keys);
  b.records_forwarded = b.keys.size();
  return b;
}

TEST(KafkaStateStore, EveryRecordOfATenantGoesToItsPartitionAndTheCheckpointComesLast) {
  FakeKafkaStore env;
  auto store = env.open();
  ASSERT_TRUE(store);
  auto [a, b] = tenantsInTwoPartitions();
  ASSERT_TRUE(store
                  ->commit({blob(a, "a1", {{1, 1}}), blob(b, "b1", {{2, 2}}), blob(a, "a2", {})},
                           {{StreamKey{a, "Audit.Exchange"}, kT0}}, kT0)
                  .ok());
  std::lock_guard lock(env.topic().mu);
  for (const auto& [p, records] : env.topic().partitions) {
    ASSERT_FALSE(records.empty());
    for (const StateLogRecord& r : records) {
      auto key = decodeStateKey(r.key);
      ASSERT_TRUE(key.ok()) << r.key;
      EXPECT_EQ(tenantPartition(key->stream.tenant, kPartitions), p) << r.key;
    }
    EXPECT_EQ(records.back().key[0], 'c') << "the checkpoint is the last record of its partition";
  }
  EXPECT_EQ(env.topic().partitions[tenantPartition(a, kPartitions)].size(), 3u)
      << "b/a1, b/a2, c/a";
}

TEST(KafkaStateStore, ABlobOfManyRecordsIsSplitIntoRecordsBelowKafkasMessageSize) {
  FakeKafkaStore env;
  auto store = env.open();
  ASSERT_TRUE(store);
  std::vector<RecordKey> keys;
  for (std::uint64_t i = 0; i < 2 * kDigestsPerRecord + 5; ++i) keys.push_back({i, i});
  ASSERT_TRUE(store->commit({blob("contoso", "big", keys)}, {}, kT0).ok());
  std::lock_guard lock(env.topic().mu);
  std::vector<std::string> blob_keys;
  for (const auto& [_, records] : env.topic().partitions)
    for (const StateLogRecord& r : records) {
      ASSERT_TRUE(r.value);
      EXPECT_LT(r.value->size() + r.key.size(), 1'000'000u) << r.key;
      if (r.key[0] == 'b') blob_keys.push_back(r.key);
    }
  EXPECT_EQ(blob_keys, (std::vector<std::string>{"b/contoso/Audit.Exchange/big",
                                                 "b/contoso/Audit.Exchange/big/1",
                                                 "b/contoso/Audit.Exchange/big/2"}));
}

TEST(KafkaStateStore, AWriteForATenantOfAnUnloadedPartitionIsAPermanentErrorAndWritesNothing) {
  FakeKafkaStore env;
  auto [a, b] = tenantsInTwoPartitions();
  auto store = env.open({tenantPartition(a, kPartitions)});
  ASSERT_TRUE(store);
  const StreamKey sb{b, "Audit.Exchange"};
  Status s = store->commit({blob(a, "a1", {{1, 1}}), blob(b, "b1", {{2, 2}})}, {}, kT0);
  ASSERT_FALSE(s.ok());
  EXPECT_FALSE(s.error().retryable);
  EXPECT_EQ(s.error().kind, ErrorKind::kInternal);
  EXPECT_THAT(s.error().message, HasSubstr("tenant " + b + " belongs to state partition " +
                                           std::to_string(tenantPartition(b, kPartitions)) +
                                           ", which this instance has not loaded"));
  EXPECT_EQ(env.topic().size(), 0u) << "nothing of the commit was written";
  EXPECT_FALSE(store->recordBlobFailure(blob(b, "x", {}).content, "bad").ok());
  EXPECT_FALSE(store->recordLostBlob(blob(b, "x", {}).content, "gone").ok());
  EXPECT_FALSE(store->recordSweep(sb, kT0).ok());
  EXPECT_FALSE(store->setSweepFloor(sb, kT0).ok());
  EXPECT_EQ(env.topic().size(), 0u);
  // Reads of the unloaded partition answer as for an unknown stream.
  EXPECT_FALSE(*store->watermark(sb));
  EXPECT_EQ(*store->blobsDone(sb, {"b1"}), std::vector<bool>{false});
}

TEST(KafkaStateStore, TwoPartitionsAreLoadedAndReleasedIndependently) {
  FakeKafkaStore env;
  auto [a, b] = tenantsInTwoPartitions();
  const int pa = tenantPartition(a, kPartitions), pb = tenantPartition(b, kPartitions);
  {
    auto writer = env.open();
    ASSERT_TRUE(writer);
    ASSERT_TRUE(writer
                    ->commit({blob(a, "a1", {{1, 1}}), blob(b, "b1", {{2, 2}})},
                             {{StreamKey{a, "Audit.Exchange"}, kT0},
                              {StreamKey{b, "Audit.Exchange"}, kT0 + hours(1)}},
                             kT0)
                    .ok());
  }
  auto store = env.open({});
  ASSERT_TRUE(store);
  EXPECT_TRUE(store->loadedPartitions().empty());
  EXPECT_EQ(*store->keysSeen({{1, 1}, {2, 2}}), (std::vector<bool>{false, false}));
  ASSERT_TRUE(store->loadPartitions({pa}, seconds(5)).ok());
  EXPECT_EQ(store->loadedPartitions(), std::vector<std::int32_t>{pa});
  EXPECT_EQ(*store->keysSeen({{1, 1}, {2, 2}}), (std::vector<bool>{true, false}));
  EXPECT_EQ(*store->watermark({a, "Audit.Exchange"}), kT0);
  EXPECT_FALSE(*store->watermark({b, "Audit.Exchange"}));
  ASSERT_TRUE(store->loadPartitions({pb, pa}, seconds(5)).ok()) << "pa again is a no-op";
  EXPECT_EQ(*store->keysSeen({{1, 1}, {2, 2}}), (std::vector<bool>{true, true}));
  EXPECT_EQ(store->counters()->size(), 2u);

  ClusterStateStats both = store->stats();
  EXPECT_EQ(both.partitions, (std::vector<std::int32_t>{std::min(pa, pb), std::max(pa, pb)}));
  EXPECT_EQ(both.streams, 2u);
  EXPECT_EQ(both.blobs, 2u);
  EXPECT_EQ(both.keys, 2u);
  EXPECT_EQ(both.partitions_loaded, 2u);
  store->releasePartitions({pa});
  EXPECT_EQ(store->loadedPartitions(), std::vector<std::int32_t>{pb});
  EXPECT_EQ(store->stats().keys, 1u);
  EXPECT_EQ(*store->keysSeen({{1, 1}, {2, 2}}), (std::vector<bool>{false, true}));
  EXPECT_EQ(*store->blobsDone({a, "Audit.Exchange"}, {"a1"}), std::vector<bool>{false});
  EXPECT_EQ(*store->blobsDone({b, "Audit.Exchange"}, {"b1"}), std::vector<bool>{true});
  EXPECT_EQ(store->counters()->size(), 1u);
  EXPECT_FALSE(store->commit({blob(a, "a2", {})}, {}, kT0).ok());
  ASSERT_TRUE(store->loadPartitions({pa}, seconds(5)).ok());
  EXPECT_EQ(*store->keysSeen({{1, 1}}), std::vector<bool>{true}) << "loaded again";
  EXPECT_FALSE(store->loadPartitions({kPartitions}, seconds(5)).ok()) << "no such partition";
  store->releasePartitions({pa});
  std::stop_source stopping;
  stopping.request_stop();
  Status stopped = store->loadPartitions({pa}, seconds(5), stopping.get_token());
  ASSERT_FALSE(stopped.ok());
  EXPECT_EQ(stopped.error().kind, ErrorKind::kCancelled);
  EXPECT_EQ(store->loadedPartitions(), std::vector<std::int32_t>{pb});
  ASSERT_TRUE(store->loadPartitions({pa}, seconds(5)).ok());
  {
    std::lock_guard lock(env.topic().mu);
    env.topic().fail_writes = 1;
  }
  EXPECT_FALSE(store->commit({blob(a, "a3", {})}, {}, kT0).ok());
  EXPECT_EQ(store->stats().write_failures, 1u);
  EXPECT_THAT(store->stats().last_write_error, HasSubstr("injected failure"));
}

TEST(KafkaStateStore, PruneTombstonesABlobOnlyOnceItExpiredAndItsKeysLeftTheWindow) {
  FakeKafkaStore env;
  auto store = env.open();
  ASSERT_TRUE(store);
  const auto window = hours(24 * 7);
  BlobCommit b1 = blob("contoso", "b1", {{1, 1}});
  b1.content.expiration = kT0 + hours(1);
  ASSERT_TRUE(store->commit({b1}, {}, kT0).ok());
  b1.keys = {{1, 2}};
  ASSERT_TRUE(store->commit({b1}, {}, kT0).ok());  // committed again: b/.../b1/1
  ASSERT_TRUE(store->prune(kT0 + hours(2), window).ok());
  EXPECT_EQ(*store->blobsDone({"contoso", "Audit.Exchange"}, {"b1"}), std::vector<bool>{false});
  auto tombstones = [&] {
    std::lock_guard lock(env.topic().mu);
    std::vector<std::string> keys;
    for (const auto& [_, records] : env.topic().partitions)
      for (const StateLogRecord& r : records)
        if (!r.value) keys.push_back(r.key);
    return keys;
  };
  EXPECT_TRUE(tombstones().empty()) << "its keys are still within the window";
  ASSERT_TRUE(store->prune(kT0 + window + seconds(1), window).ok());
  EXPECT_EQ(tombstones(), (std::vector<std::string>{"b/contoso/Audit.Exchange/b1",
                                                    "b/contoso/Audit.Exchange/b1/1"}));
  EXPECT_EQ(*store->keysSeen({{1, 1}, {1, 2}}), (std::vector<bool>{false, false}));
  env.topic().compact();
  store.reset();
  store = env.open();
  ASSERT_TRUE(store);
  EXPECT_EQ(*store->keysSeen({{1, 1}, {1, 2}}), (std::vector<bool>{false, false}));
  EXPECT_EQ(*store->blobsDone({"contoso", "Audit.Exchange"}, {"b1"}), std::vector<bool>{false});
}

TEST(KafkaStateStore, ForeignAndDamagedRecordsAreSkippedAndANewerFormatFailsTheLoad) {
  FakeKafkaStore env;
  {
    auto writer = env.open();
    ASSERT_TRUE(writer);
    ASSERT_TRUE(writer->commit({blob("contoso", "b1", {{1, 1}})}, {}, kT0).ok());
  }
  const std::int32_t p = tenantPartition("contoso", kPartitions);
  std::string other_tenant = "x";
  while (tenantPartition(other_tenant, kPartitions) == p) other_tenant += "x";
  {
    std::lock_guard lock(env.topic().mu);
    auto& records = env.topic().partitions[p];
    records.push_back({p, "hello world", std::string("not ours")});
    records.push_back({p, "b/" + other_tenant + "/Audit.Exchange/z", encodeBlob({})});
    records.push_back({p, "b/contoso/Audit.Exchange/b2", std::string("\x01\x02", 2)});
    records.push_back({p, "c/contoso/Audit.General", std::nullopt});
  }
  auto store = env.open();
  ASSERT_TRUE(store) << "foreign and damaged records do not stop the load";
  EXPECT_EQ(*store->keysSeen({{1, 1}}), std::vector<bool>{true});
  EXPECT_EQ(*store->blobsDone({"contoso", "Audit.Exchange"}, {"b1", "b2"}),
            (std::vector<bool>{true, false}));
  store.reset();
  {
    std::lock_guard lock(env.topic().mu);
    std::string newer = encodeCheckpoint({});
    newer[0] = static_cast<char>(kStateFormatVersion + 1);
    env.topic().partitions[p].push_back({p, "c/contoso/Audit.Exchange", newer});
  }
  testing::TempDir reader_dir;
  auto local = LocalStateFiles::open(reader_dir.path() / "s");
  ASSERT_TRUE(local.ok());
  KafkaStateStore reader(std::make_unique<FakeStateLog>(env.topicPtr()), kPartitions,
                         std::move(*local));
  Status s = reader.loadPartitions({p}, seconds(5));
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.error().message, HasSubstr("newer than this o365fwd reads"));
  EXPECT_THAT(s.error().message, HasSubstr("loading state partitions " + std::to_string(p)));
  EXPECT_TRUE(reader.loadedPartitions().empty());
  EXPECT_EQ(*reader.keysSeen({{1, 1}}), std::vector<bool>{false})
      << "a failed load leaves nothing of the partition behind";
}

TEST(KafkaStateStore, TheSecondStoreOnOneStateDirIsRefusedNamingTheHolder) {
  testing::TempDir dir;
  auto first = LocalStateFiles::open(dir.path() / "state");
  ASSERT_TRUE(first.ok());
  auto second = LocalStateFiles::open(dir.path() / "state");
  ASSERT_FALSE(second.ok());
  EXPECT_THAT(second.error().message,
              HasSubstr("is in use by another o365fwd process (pid " + std::to_string(::getpid())));
}

}  // namespace
}  // namespace o365fwd
