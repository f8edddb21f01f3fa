// Cluster mode, layer 3 (docs/CLUSTER.md "State records"): the Kafka state store on a real KRaft
// broker. The StateStore contract suite runs against it (each test on its own <group>.state topic,
// every reopen a new store instance that loads the partitions from the broker), then what only
// Kafka does: another host loads the same answers, prune writes tombstones, partitions load and
// release independently, a stopped broker gives retryable errors naming it and the store recovers,
// a missing topic says to run `o365fwd cluster init`.
//
// One process runs every test of this file (tests/CMakeLists.txt registers it as one ctest test),
// so the broker starts once.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>

#include "cluster/cluster_options.h"
#include "cluster/state/cluster_state_store.h"
#include "cluster/state/state_records.h"
#include "cluster/tenant_partitioner.h"
#include "tests/support/kafka_broker.h"
#include "tests/unit/pipeline/state/state_store_contract.h"

namespace o365fwd::testing {
namespace {

using contract::StateStoreContract;
using std::chrono::hours;
using std::chrono::seconds;
using ::testing::HasSubstr;

constexpr int kPartitions = 4;
const WallTime kT0 = WallTime(seconds(1'736'856'000));

// The broker every test of this process shares.
struct SharedBroker {
  std::unique_ptr<TempDir> dir;
  std::unique_ptr<KafkaBroker> broker;
  std::string error;
};
SharedBroker& shared() {
  static SharedBroker s;
  return s;
}
KafkaBroker* broker() {
  SharedBroker& s = shared();
  if (!s.broker && s.error.empty() && !KafkaBroker::jarDir().empty()) {
    s.dir = std::make_unique<TempDir>("kafka-state-it");
    s.broker = KafkaBroker::start(*s.dir, &s.error);
    if (!s.broker && s.error.empty()) s.error = "the broker did not start";
  }
  return s.broker.get();
}
class StopBrokerAtExit : public ::testing::Environment {
 public:
  void TearDown() override {
    shared().broker.reset();
    shared().dir.reset();
  }
};
[[maybe_unused]] ::testing::Environment* const kStopBroker =
    ::testing::AddGlobalTestEnvironment(new StopBrokerAtExit);

std::string freshGroup() {
  static std::atomic<int> n{0};
  return "it-state-" + std::to_string(::getpid()) + "-" + std::to_string(n++);
}

ClusterKafkaConfig configFor(const std::string& group) {
  ClusterKafkaConfig c;
  c.brokers = broker() ? broker()->bootstrap() : "127.0.0.1:1";
  c.group = group;
  c.partitions = kPartitions;
  return c;
}

std::vector<std::int32_t> allPartitions() {
  std::vector<std::int32_t> out;
  for (int p = 0; p < kPartitions; ++p) out.push_back(p);
  return out;
}

// A group with its own state topic; every store opened on it has its own state_dir ("host").
class StateTopic {
 public:
  StateTopic() : group_(freshGroup()) {
    if (broker())
      created_ = broker()->createTopic(stateTopic(group_), kPartitions, stateTopicConfigs());
  }
  bool ready() const { return broker() && created_.ok(); }
  std::unique_ptr<ClusterStateStore> open(const std::string& host,
                                          const std::vector<std::int32_t>& load = allPartitions(),
                                          KafkaStateStoreOptions options = {}) {
    auto store = openKafkaStateStore(configFor(group_), "o365fwd-" + host + "-1", clock_,
                                     dir_.path() / host, options);
    EXPECT_TRUE(store.ok()) << (store.ok() ? "" : store.error().message);
    if (!store.ok()) return nullptr;
    Status loaded = (*store)->loadPartitions(load, seconds(60));
    EXPECT_TRUE(loaded.ok()) << (loaded.ok() ? "" : loaded.error().message);
    return loaded.ok() ? std::move(*store) : nullptr;
  }
  const std::string& group() const { return group_; }

 private:
  std::string group_;
  Status created_ = okStatus();
  TempDir dir_{"kafka-state-host"};
  SystemClock clock_;
};

class KafkaUnderTest final : public contract::StateStoreUnderTest {
 public:
  std::unique_ptr<StateStore> open() override {
    if (!topic_.ready()) return nullptr;
    return topic_.open("host-a");
  }

 private:
  StateTopic topic_;
};

INSTANTIATE_TEST_SUITE_P(KafkaOnBroker, StateStoreContract,
                         ::testing::Values(contract::StateStoreContractParam{
                             "KafkaOnBroker",
                             []() -> std::unique_ptr<contract::StateStoreUnderTest> {
                               if (KafkaBroker::jarDir().empty()) return nullptr;
                               return std::make_unique<KafkaUnderTest>();
                             }}),
                         contract::stateStoreContractName);

class KafkaStateStoreIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    if (KafkaBroker::jarDir().empty()) GTEST_SKIP() << KafkaBroker::kNotInstalled;
    ASSERT_NE(broker(), nullptr) << shared().error;
    ASSERT_TRUE(topic_.ready());
  }
  StateTopic topic_;
};

BlobCommit blob(const std::string& tenant, std::string id, std::vector<RecordKey> keys,
                WallTime expiration = kT0 + hours(24 * 7)) {
  BlobCommit b;
  b.content = ContentRef{
      {tenant, "Audit.Exchange"}, std::move(id), "https://example.invalid/b", kT0, expiration};
  b.keys = std::move(keys);
  b.records_forwarded = b.keys.size();
  return b;
}

TEST_F(KafkaStateStoreIntegration, AnotherHostLoadsTheSameAnswers) {
  {
    auto a = topic_.open("host-a");
    ASSERT_TRUE(a);
    for (int t = 0; t < 12; ++t) {
      const std::string tenant = "tenant" + std::to_string(t);
      ASSERT_TRUE(a->commit({blob(tenant, "b1", {{static_cast<std::uint64_t>(t), 1}})},
                            {{StreamKey{tenant, "Audit.Exchange"}, kT0 + seconds(t)}}, kT0)
                      .ok());
    }
  }
  auto b = topic_.open("host-b");
  ASSERT_TRUE(b);
  auto counters = b->counters();
  ASSERT_TRUE(counters.ok());
  EXPECT_EQ(counters->size(), 12u);
  for (int t = 0; t < 12; ++t) {
    const StreamKey s{"tenant" + std::to_string(t), "Audit.Exchange"};
    EXPECT_EQ(*b->watermark(s), kT0 + seconds(t)) << s.str();
    EXPECT_EQ(*b->blobsDone(s, {"b1", "b2"}), (std::vector<bool>{true, false})) << s.str();
    EXPECT_EQ(*b->keysSeen({{static_cast<std::uint64_t>(t), 1}}), std::vector<bool>{true});
  }
  // Every record sits in its tenant's partition (what kafka-console-consumer would show).
  auto records = consumeTopic(broker()->bootstrap(), stateTopic(topic_.group()), 24, seconds(30));
  ASSERT_EQ(records.size(), 24u) << "12 blob and 12 checkpoint records";
  for (const KafkaRecord& r : records) {
    ASSERT_TRUE(r.key);
    auto key = decodeStateKey(*r.key);
    ASSERT_TRUE(key.ok()) << *r.key;
    EXPECT_EQ(r.partition, tenantPartition(key->stream.tenant, kPartitions)) << *r.key;
  }
}

TEST_F(KafkaStateStoreIntegration, PruneWritesTombstonesThatANewInstanceHonours) {
  const auto window = hours(1);
  {
    auto a = topic_.open("host-a");
    ASSERT_TRUE(a);
    ASSERT_TRUE(a->commit({blob("contoso", "old", {{1, 1}}, kT0 + hours(1)),
                           blob("contoso", "new", {{2, 2}})},
                          {}, kT0)
                    .ok());
    ASSERT_TRUE(a->prune(kT0 + hours(3), window).ok());
    EXPECT_EQ(*a->blobsDone({"contoso", "Audit.Exchange"}, {"old", "new"}),
              (std::vector<bool>{false, true}));
  }
  auto records = consumeTopic(broker()->bootstrap(), stateTopic(topic_.group()), 4, seconds(30));
  std::vector<std::string> tombstones;
  for (const KafkaRecord& r : records)
    if (r.key && r.value.empty()) tombstones.push_back(*r.key);
  std::sort(tombstones.begin(), tombstones.end());
  EXPECT_EQ(tombstones, std::vector<std::string>{"b/contoso/Audit.Exchange/old"});
  auto b = topic_.open("host-b");
  ASSERT_TRUE(b);
  EXPECT_EQ(*b->blobsDone({"contoso", "Audit.Exchange"}, {"old", "new"}),
            (std::vector<bool>{false, true}));
  EXPECT_EQ(*b->keysSeen({{1, 1}, {2, 2}}), (std::vector<bool>{false, false}))
      << "both were committed before the window the prune kept, as the pruning store answered "
         "(p/<partition> carries that to the new owner)";
}

TEST_F(KafkaStateStoreIntegration, TwoPartitionsAreLoadedAndReleasedIndependently) {
  std::string a = "tenant0", b = "tenant1";
  while (tenantPartition(b, kPartitions) == tenantPartition(a, kPartitions)) b += "x";
  const int pa = tenantPartition(a, kPartitions), pb = tenantPartition(b, kPartitions);
  {
    auto writer = topic_.open("host-a");
    ASSERT_TRUE(writer);
    ASSERT_TRUE(writer->commit({blob(a, "a1", {{1, 1}}), blob(b, "b1", {{2, 2}})}, {}, kT0).ok());
  }
  auto store = topic_.open("host-b", {pa});
  ASSERT_TRUE(store);
  EXPECT_EQ(*store->keysSeen({{1, 1}, {2, 2}}), (std::vector<bool>{true, false}));
  EXPECT_FALSE(store->commit({blob(b, "b2", {})}, {}, kT0).ok()) << "pb is not loaded";
  ASSERT_TRUE(store->loadPartitions({pb}, seconds(60)).ok());
  EXPECT_EQ(*store->keysSeen({{1, 1}, {2, 2}}), (std::vector<bool>{true, true}));
  store->releasePartitions({pa});
  EXPECT_EQ(*store->keysSeen({{1, 1}, {2, 2}}), (std::vector<bool>{false, true}));
  EXPECT_EQ(*store->blobsDone({b, "Audit.Exchange"}, {"b1"}), std::vector<bool>{true});
  EXPECT_EQ(store->loadedPartitions(), std::vector<std::int32_t>{pb});
}

TEST_F(KafkaStateStoreIntegration, ABrokerDownIsARetryableErrorNamingItAndTheStoreRecovers) {
  KafkaStateStoreOptions options;
  options.commit_timeout = seconds(3);
  auto store = topic_.open("host-a", allPartitions(), options);
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->commit({blob("contoso", "b1", {{1, 1}})}, {}, kT0).ok());
  broker()->stop();
  Status down = store->commit({blob("contoso", "b2", {{2, 2}})}, {}, kT0);
  ASSERT_FALSE(down.ok());
  EXPECT_TRUE(down.error().retryable);
  EXPECT_EQ(down.error().kind, ErrorKind::kTransport);
  EXPECT_THAT(down.error().message, HasSubstr(broker()->bootstrap()));
  EXPECT_THAT(down.error().message, HasSubstr("check that the brokers run"));
  EXPECT_EQ(*store->blobsDone({"contoso", "Audit.Exchange"}, {"b2"}), std::vector<bool>{false});
  SystemClock clock;
  TempDir other_dir;
  auto other = openKafkaStateStore(configFor(topic_.group()), "o365fwd-host-c-1", clock,
                                   other_dir.path() / "c");
  ASSERT_TRUE(other.ok()) << "opening needs no broker";
  Status load = (*other)->loadPartitions(allPartitions(), seconds(3));
  ASSERT_FALSE(load.ok());
  EXPECT_TRUE(load.error().retryable);
  EXPECT_THAT(load.error().message, HasSubstr(broker()->bootstrap()));
  EXPECT_TRUE((*other)->loadedPartitions().empty());

  ASSERT_TRUE(broker()->restart().ok());
  Status again = okStatus();
  for (int i = 0; i < 10; ++i) {  // the committer's retry
    again = store->commit({blob("contoso", "b2", {{2, 2}})}, {}, kT0);
    if (again.ok()) break;
  }
  ASSERT_TRUE(again.ok()) << again.error().message;
  store.reset();
  auto reopened = topic_.open("host-a");
  ASSERT_TRUE(reopened);
  EXPECT_EQ(*reopened->blobsDone({"contoso", "Audit.Exchange"}, {"b1", "b2"}),
            (std::vector<bool>{true, true}));
  EXPECT_EQ((*reopened->counters())[0].blobs_done, 2u);
}

TEST_F(KafkaStateStoreIntegration, AMissingTopicSaysToRunClusterInit) {
  SystemClock clock;
  TempDir dir;
  auto store = openKafkaStateStore(configFor("it-no-such-group"), "o365fwd-host-a-1", clock,
                                   dir.path() / "s");
  ASSERT_TRUE(store.ok());
  Status load = (*store)->loadPartitions({0}, seconds(20));
  ASSERT_FALSE(load.ok());
  EXPECT_FALSE(load.error().retryable);
  EXPECT_THAT(load.error().message, HasSubstr("run `o365fwd cluster init`"));
}

}  // namespace
}  // namespace o365fwd::testing
