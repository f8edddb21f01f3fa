// Exactly-once into Kafka (cluster/txn/): a KafkaStateStore over the ExactlyOnceLog and fake
// transactions (tests/fakes/fake_txn_producer.h): a blob's records and its state are committed in
// one transaction per partition, abortable failures are produced again once, a pending commit is
// resumed, a new owner fences the old one, and what a fenced owner commits is never visible.
#include "cluster/txn/exactly_once_log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cluster/cluster_options.h"
#include "cluster/state/kafka_state_store.h"
#include "cluster/tenant_partitioner.h"
#include "cluster/txn/staged_kafka_sink.h"
#include "core/clock.h"
#include "tests/fakes/fake_state_log.h"
#include "tests/fakes/fake_txn_producer.h"
#include "tests/unit/cluster/txn/exactly_once_fixture.h"

namespace o365fwd {
namespace {

using testing::commitOf;
using testing::FakeCluster;
using ::testing::HasSubstr;
using testing::kEosPartitions;
using testing::kEosT0;
using testing::makeBatch;

std::multiset<std::string> keysOf(const std::vector<testing::FakeSinkMessage>& messages) {
  std::multiset<std::string> out;
  for (const auto& m : messages) out.insert(m.key);
  return out;
}

TEST(ExactlyOnceLog, ABlobsRecordsAndItsStateAreCommittedInOneTransaction) {
  FakeCluster cluster;
  const std::int32_t p = tenantPartition("contoso", kEosPartitions);
  auto a = cluster.open({p});
  BatchPtr batch = makeBatch("contoso", "b1", 3);
  DeliveryReport report = FakeCluster::send(a, batch);
  EXPECT_EQ(report.status, DeliveryStatus::kDelivered);
  EXPECT_TRUE(cluster.txn()->sinkMessages().empty()) << "nothing is produced before the commit";
  EXPECT_EQ(a.log->stagedBlobs(), 1u);

  ASSERT_TRUE(a.store->commit({commitOf(*batch)}, {}, kEosT0).ok());
  auto messages = cluster.txn()->sinkMessages();
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(messages[0].topic, "audit-contoso");
  EXPECT_EQ(messages[0].key, "b1-0");
  EXPECT_EQ(messages[0].value, std::string(batch->raw(0)));
  EXPECT_EQ(messages[0].headers.at("o365.tenant"), "contoso");
  EXPECT_EQ(messages[0].headers.at("o365.content_id"), "content-b1");
  EXPECT_EQ(cluster.txn()->commits, 1);
  EXPECT_EQ(a.log->stagedBlobs(), 0u);
  // The blob record went into the same transaction, on the tenant's state partition.
  bool blob_record = false;
  for (const StateLogRecord& r : cluster.topic()->partitions[p])
    blob_record = blob_record || r.key.find("content-b1") != std::string::npos;
  EXPECT_TRUE(blob_record);
  auto stats = a.store->stats().exactly_once;
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->transactions_committed, 1u);
  EXPECT_EQ(stats->records_committed, 3u);
  EXPECT_TRUE(stats->fenced_partitions.empty());

  // A new owner loads the partition and finds the blob done.
  auto b = cluster.open({p}, 1);
  EXPECT_EQ(*b.store->blobsDone(batch->content.stream, {"content-b1"}), std::vector<bool>{true});
}

TEST(ExactlyOnceLog, AnAbortableFailureIsAbortedAndProducedOnceInANewTransaction) {
  FakeCluster cluster;
  auto a = cluster.open({tenantPartition("contoso", kEosPartitions)});
  BatchPtr batch = makeBatch("contoso", "b1", 4);
  FakeCluster::send(a, batch);
  cluster.txn()->abortable_commits = 1;
  cluster.txn()->abortable_produces = 1;
  ASSERT_TRUE(a.store->commit({commitOf(*batch)}, {}, kEosT0).ok());
  EXPECT_EQ(keysOf(cluster.txn()->sinkMessages()),
            (std::multiset<std::string>{"b1-0", "b1-1", "b1-2", "b1-3"}));
  EXPECT_EQ(cluster.txn()->aborts, 2);
  auto stats = *a.store->stats().exactly_once;
  EXPECT_EQ(stats.transactions_aborted, 2u);
  EXPECT_EQ(stats.transactions_committed, 1u);
}

TEST(ExactlyOnceLog, AbortsBeyondTheAttemptsFailTheCommitAndChangeNothing) {
  FakeCluster cluster;
  auto a = cluster.open({tenantPartition("contoso", kEosPartitions)});
  BatchPtr batch = makeBatch("contoso", "b1", 2);
  FakeCluster::send(a, batch);
  cluster.txn()->abortable_commits = 3;
  Status s = a.store->commit({commitOf(*batch)}, {}, kEosT0);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(s.error().retryable);
  EXPECT_THAT(s.error().message, HasSubstr("g.tx."));
  EXPECT_TRUE(cluster.txn()->sinkMessages().empty());
  EXPECT_EQ(*a.store->blobsDone(batch->content.stream, {"content-b1"}), std::vector<bool>{false});
  // The committer's retry writes them, once.
  ASSERT_TRUE(a.store->commit({commitOf(*batch)}, {}, kEosT0).ok());
  EXPECT_EQ(cluster.txn()->sinkMessages().size(), 2u);
  EXPECT_EQ(*a.store->blobsDone(batch->content.stream, {"content-b1"}), std::vector<bool>{true});
}

TEST(ExactlyOnceLog, ACommitThatTimedOutIsResumedAndItsRecordsAreNotProducedTwice) {
  FakeCluster cluster;
  auto a = cluster.open({tenantPartition("contoso", kEosPartitions)});
  BatchPtr batch = makeBatch("contoso", "b1", 3);
  FakeCluster::send(a, batch);
  cluster.txn()->retriable_commits = 1 << 30;  // the brokers do not answer within the deadline
  Status s = a.store->commit({commitOf(*batch)}, {}, kEosT0);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(*a.store->blobsDone(batch->content.stream, {"content-b1"}), std::vector<bool>{false});
  cluster.txn()->retriable_commits = 0;
  ASSERT_TRUE(a.store->commit({commitOf(*batch)}, {}, kEosT0).ok());
  EXPECT_EQ(keysOf(cluster.txn()->sinkMessages()),
            (std::multiset<std::string>{"b1-0", "b1-1", "b1-2"}));
  EXPECT_EQ(*a.store->blobsDone(batch->content.stream, {"content-b1"}), std::vector<bool>{true});
}

TEST(ExactlyOnceLog, ANewOwnerFencesTheOldOneWhoseCommitIsNeverVisible) {
  FakeCluster cluster;
  const std::int32_t p = tenantPartition("contoso", kEosPartitions);
  auto zombie = cluster.open({p}, 0);
  BatchPtr batch = makeBatch("contoso", "b1", 3);
  FakeCluster::send(zombie, batch);
  // The group gave p to another instance while the first was paused: it claims and loads p.
  auto owner = cluster.open({p}, 1);
  // The paused instance wakes up and commits: fenced, nothing written, the blob not done there.
  ASSERT_TRUE(zombie.store->commit({commitOf(*batch)}, {}, kEosT0).ok());
  EXPECT_TRUE(cluster.txn()->sinkMessages().empty());
  EXPECT_EQ(*zombie.store->blobsDone(batch->content.stream, {"content-b1"}),
            std::vector<bool>{false});
  auto stats = *zombie.store->exactlyOnceStats();
  EXPECT_EQ(stats.fenced_partitions, std::vector<std::int32_t>{p});
  EXPECT_EQ(stats.blobs_dropped, 1u);
  EXPECT_THAT(stats.fenced_error, HasSubstr("taken over by another instance"));
  // Later commits of the fenced partition are dropped too, without asking the brokers.
  BatchPtr later = makeBatch("contoso", "b2", 1);
  FakeCluster::send(zombie, later);
  ASSERT_TRUE(zombie.store->commit({commitOf(*later)}, {}, kEosT0).ok());
  EXPECT_TRUE(cluster.txn()->sinkMessages().empty());
  // The new owner collects the blob: its records appear once.
  FakeCluster::send(owner, batch);
  ASSERT_TRUE(owner.store->commit({commitOf(*batch)}, {}, kEosT0).ok());
  EXPECT_EQ(keysOf(cluster.txn()->sinkMessages()),
            (std::multiset<std::string>{"b1-0", "b1-1", "b1-2"}));

  // The partition comes back to the first instance: claimed and loaded anew, it sees the blob
  // done; what it staged before the fence is never written.
  ASSERT_TRUE(zombie.store->loadPartitions({p}, std::chrono::seconds(5)).ok());
  EXPECT_TRUE(zombie.store->exactlyOnceStats()->fenced_partitions.empty());
  EXPECT_EQ(*zombie.store->blobsDone(batch->content.stream, {"content-b1"}),
            std::vector<bool>{true});
  ASSERT_TRUE(zombie.store->commit({commitOf(*later)}, {}, kEosT0).ok());
  EXPECT_EQ(cluster.txn()->sinkMessages().size(), 3u) << "b2 was staged before the fence";
  EXPECT_EQ(*zombie.store->blobsDone(later->content.stream, {"content-b2"}),
            std::vector<bool>{false});
  // Sent again under the new claim, it is written.
  FakeCluster::send(zombie, later);
  ASSERT_TRUE(zombie.store->commit({commitOf(*later)}, {}, kEosT0).ok());
  EXPECT_EQ(cluster.txn()->sinkMessages().size(), 4u);
}

TEST(ExactlyOnceLog, AFatalProducerErrorStopsThePartitionWithWhatToDo) {
  FakeCluster cluster;
  const std::int32_t p = tenantPartition("contoso", kEosPartitions);
  auto a = cluster.open({p});
  BatchPtr batch = makeBatch("contoso", "b1", 1);
  FakeCluster::send(a, batch);
  cluster.txn()->fatal_commits = 1;
  ASSERT_TRUE(a.store->commit({commitOf(*batch)}, {}, kEosT0).ok());
  EXPECT_TRUE(cluster.txn()->sinkMessages().empty());
  auto stats = *a.store->exactlyOnceStats();
  EXPECT_EQ(stats.fenced_partitions, std::vector<std::int32_t>{p});
  EXPECT_THAT(stats.fenced_error, HasSubstr("restart this instance"));
}

TEST(ExactlyOnceLog, BlobsOfTwoPartitionsAreTwoTransactionsAndOneFailingKeepsTheOther) {
  FakeCluster cluster;
  std::string other = "tenant1";
  for (int i = 2;
       tenantPartition(other, kEosPartitions) == tenantPartition("contoso", kEosPartitions); ++i)
    other = "tenant" + std::to_string(i);
  auto a = cluster.open(
      {tenantPartition("contoso", kEosPartitions), tenantPartition(other, kEosPartitions)});
  BatchPtr one = makeBatch("contoso", "c", 2);
  BatchPtr two = makeBatch(other, "o", 2);
  FakeCluster::send(a, one);
  FakeCluster::send(a, two);
  ASSERT_TRUE(a.store->commit({commitOf(*one), commitOf(*two)}, {}, kEosT0).ok());
  EXPECT_EQ(cluster.txn()->commits, 2);
  EXPECT_EQ(cluster.txn()->sinkMessages().size(), 4u);
}

TEST(ExactlyOnceLog, RecordsAboveTheSizeLimitAreRejectedAndNeverProduced) {
  FakeCluster cluster;
  auto a = cluster.open({tenantPartition("contoso", kEosPartitions)});
  auto batch = std::make_shared<RecordBatch>(*makeBatch("contoso", "b1", 2));
  BatchPtr big = makeBatch("contoso", "big", 1, 400);
  // Record 1 replaced by one of 400+ bytes (the sink's limit is 200).
  const std::string raw(big->raw(0));
  batch->records[1].raw =
      Span{static_cast<std::uint32_t>(batch->body.size()), static_cast<std::uint32_t>(raw.size())};
  batch->body += raw;
  DeliveryReport report = FakeCluster::send(a, batch);
  ASSERT_EQ(report.rejected.size(), 1u);
  EXPECT_EQ(report.rejected[0].index, 1u);
  EXPECT_THAT(report.rejected[0].reason, HasSubstr("max_message_size 200"));
  ASSERT_TRUE(a.store->commit({commitOf(*batch)}, {}, kEosT0).ok());
  EXPECT_EQ(keysOf(cluster.txn()->sinkMessages()), (std::multiset<std::string>{"b1-0"}));
}

TEST(ExactlyOnceLog, ReleasingAPartitionDropsWhatWasStagedForIt) {
  FakeCluster cluster;
  const std::int32_t p = tenantPartition("contoso", kEosPartitions);
  auto a = cluster.open({p});
  FakeCluster::send(a, makeBatch("contoso", "b1", 2));
  EXPECT_EQ(a.log->stagedBlobs(), 1u);
  a.store->releasePartitions({p});
  EXPECT_EQ(a.log->stagedBlobs(), 0u);
}

TEST(ExactlyOnceLog, ClaimingRetriesAnInitThatTimedOut) {
  FakeCluster cluster;
  cluster.txn()->retriable_inits = 2;
  auto a = cluster.open({0});
  EXPECT_EQ(cluster.txn()->inits, 1);
  EXPECT_EQ(a.store->loadedPartitions(), std::vector<std::int32_t>{0});
}

}  // namespace
}  // namespace o365fwd
