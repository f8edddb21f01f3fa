#pragma once
// The StateStore contract (pipeline/state/state_store.h) as a value-parameterised gtest suite:
// every store runs the same behaviour tests. A new store enters behind the interface and this
// suite.
//
// Include this header from exactly ONE source file of a test executable (it defines the tests),
// then instantiate it with a factory of your store:
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, StateStoreContract,
//                            ::testing::Values(StateStoreContractParam{"Sqlite", makeSqlite}),
//                            stateStoreContractName);
//
// Instances: SQLite (tests/unit/pipeline/state/sqlite_state_store_test.cpp), Kafka over the fake
// log (tests/unit/cluster/kafka_state_store_test.cpp), Kafka on a real KRaft broker
// (tests/integration/kafka_state_store_test.cpp).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "pipeline/state/state_store.h"

namespace o365fwd::contract {

// One store's durable location: open() may be called again after the previous store was
// destroyed and must see what it committed.
class StateStoreUnderTest {
 public:
  virtual ~StateStoreUnderTest() = default;
  virtual std::unique_ptr<StateStore> open() = 0;
  // Makes the next write of the open store fail as an unreachable disk or broker would; false
  // when the implementation cannot inject that (the test is skipped).
  virtual bool failNextWrite() { return false; }
};

struct StateStoreContractParam {
  std::string name;
  // nullptr: the store cannot run here (e.g. no Kafka broker installed); the tests are skipped.
  std::function<std::unique_ptr<StateStoreUnderTest>()> make;
};

inline std::string stateStoreContractName(
    const ::testing::TestParamInfo<StateStoreContractParam>& info) {
  return info.param.name;
}

using std::chrono::hours;
using std::chrono::seconds;
using ::testing::HasSubstr;

inline const WallTime kContractT0 = WallTime(seconds(1'736'856'000));  // 2025-01-14T12:00:00Z
inline const StreamKey kContractExchange{"contoso", "Audit.Exchange"};
inline const StreamKey kContractSharePoint{"contoso", "Audit.SharePoint"};
inline const StreamKey kContractOther{"fabrikam/eu", "Audit.General"};  // a '/' in the name

inline ContentRef contractBlobRef(const StreamKey& stream, std::string id,
                                  WallTime created = kContractT0) {
  return ContentRef{stream, std::move(id), "https://example.invalid/blob", created,
                    created + hours(24 * 7)};
}

inline BlobCommit contractBlob(const StreamKey& stream, std::string id, std::vector<RecordKey> keys,
                               WallTime created = kContractT0) {
  BlobCommit b;
  b.content = contractBlobRef(stream, std::move(id), created);
  b.keys = std::move(keys);
  b.records_forwarded = b.keys.size();
  return b;
}

inline std::vector<RecordKey> contractKeyRange(std::uint64_t from, std::uint64_t count) {
  std::vector<RecordKey> keys;
  for (std::uint64_t i = from; i < from + count; ++i)
    keys.push_back({i * 0x9E3779B97F4A7C15ull, ~i});
  return keys;
}

inline std::size_t contractCountSeen(StateStore& store, const std::vector<RecordKey>& keys) {
  auto seen = store.keysSeen(keys);
  EXPECT_TRUE(seen.ok());
  return seen.ok() ? static_cast<std::size_t>(std::count(seen->begin(), seen->end(), true)) : 0;
}

class StateStoreContract : public ::testing::TestWithParam<StateStoreContractParam> {
 protected:
  void SetUp() override {
    under_test_ = GetParam().make();
    if (!under_test_) GTEST_SKIP() << GetParam().name << " is not available on this machine";
    store_ = under_test_->open();
    ASSERT_TRUE(store_) << "the store could not be opened";
  }
  void TearDown() override {
    store_.reset();
    under_test_.reset();
  }
  // Closes the store and opens it again over the same location.
  void reopen() {
    store_.reset();
    store_ = under_test_->open();
    ASSERT_TRUE(store_) << "the store could not be opened again";
  }

  std::unique_ptr<StateStoreUnderTest> under_test_;
  std::unique_ptr<StateStore> store_;
};

TEST_P(StateStoreContract, WatermarkRoundTripsExactlyAndNeverMovesBackwards) {
  auto none = store_->watermark(kContractExchange);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(*none);
  const WallTime t1 = kContractT0 + std::chrono::nanoseconds(123'456'789);
  ASSERT_TRUE(store_->commit({}, {{kContractExchange, t1}}, kContractT0).ok());
  EXPECT_EQ(*store_->watermark(kContractExchange), t1);
  ASSERT_TRUE(store_->commit({}, {{kContractExchange, t1 - hours(1)}}, kContractT0).ok());
  EXPECT_EQ(*store_->watermark(kContractExchange), t1) << "an older watermark must be ignored";
  ASSERT_TRUE(store_->commit({}, {{kContractExchange, t1 + hours(1)}}, kContractT0).ok());
  EXPECT_EQ(*store_->watermark(kContractExchange), t1 + hours(1));
  EXPECT_FALSE(*store_->watermark(kContractSharePoint));
  reopen();
  EXPECT_EQ(*store_->watermark(kContractExchange), t1 + hours(1));
}

TEST_P(StateStoreContract, BlobsDoneAnswersInInputOrderPerStreamAndSurvivesReopen) {
  ASSERT_TRUE(store_
                  ->commit({contractBlob(kContractExchange, "b1", {}),
                            contractBlob(kContractExchange, "b3", {}),
                            contractBlob(kContractOther, "x/1%2F", {})},
                           {}, kContractT0)
                  .ok());
  for (int round = 0; round < 2; ++round) {
    SCOPED_TRACE(round == 0 ? "before reopen" : "after reopen");
    auto done = store_->blobsDone(kContractExchange, {"b3", "b2", "b1", "b3", ""});
    ASSERT_TRUE(done.ok());
    EXPECT_EQ(*done, (std::vector<bool>{true, false, true, true, false}));
    EXPECT_EQ(*store_->blobsDone(kContractSharePoint, {"b1", "b3"}),
              (std::vector<bool>{false, false}));
    EXPECT_EQ(*store_->blobsDone(kContractOther, {"x/1%2F", "x", "x/1/"}),
              (std::vector<bool>{true, false, false}));
    EXPECT_TRUE(store_->blobsDone(kContractExchange, {})->empty());
    if (round == 0) reopen();
  }
}

TEST_P(StateStoreContract, KeysSeenAfterCommitIncludingKeysAboveTwoToTheSixtyThree) {
  const RecordKey a{0xFFFFFFFFFFFFFFFFull, 1}, b{1, 0x8000000000000000ull}, c{0, 0};
  const RecordKey absent{0xFFFFFFFFFFFFFFFFull, 2};
  ASSERT_TRUE(store_
                  ->commit({contractBlob(kContractExchange, "b1", {a, b, a}),
                            contractBlob(kContractSharePoint, "b2", {c})},
                           {}, kContractT0)
                  .ok());
  auto seen = store_->keysSeen({absent, c, a, b, absent});
  ASSERT_TRUE(seen.ok());
  EXPECT_EQ(*seen, (std::vector<bool>{false, true, true, true, false}));
  EXPECT_TRUE(store_->keysSeen({})->empty());
  reopen();
  EXPECT_EQ(*store_->keysSeen({absent, c, a, b}), (std::vector<bool>{false, true, true, true}));
}

TEST_P(StateStoreContract, CountersAddUpPerStreamAndABlobIsCountedDoneOnce) {
  BlobCommit b1 = contractBlob(kContractExchange, "b1", {{1, 1}, {1, 2}});
  b1.duplicates_dropped = 3;
  b1.dead_lettered = 1;
  b1.records_filtered = 7;
  ASSERT_TRUE(store_
                  ->commit({b1, contractBlob(kContractSharePoint, "s1", {{2, 1}})},
                           {{kContractExchange, kContractT0}}, kContractT0)
                  .ok());
  ASSERT_TRUE(store_->commit({b1}, {}, kContractT0 + hours(1)).ok());  // b1 committed again
  ASSERT_TRUE(
      store_->recordLostBlob(contractBlobRef(kContractExchange, "gone"), "AF20051 expired").ok());
  ASSERT_TRUE(
      store_->recordLostBlob(contractBlobRef(kContractExchange, "gone"), "AF20051 again").ok());
  ASSERT_TRUE(
      store_->recordLostBlob(contractBlobRef(kContractExchange, "gone-too"), "past expiration")
          .ok());
  for (int round = 0; round < 2; ++round) {
    SCOPED_TRACE(round == 0 ? "before reopen" : "after reopen");
    auto counters = store_->counters();
    ASSERT_TRUE(counters.ok());
    ASSERT_EQ(counters->size(), 2u);
    const StreamCounters& ex = (*counters)[0];  // ordered by tenant, content type
    EXPECT_EQ(ex.stream, kContractExchange);
    EXPECT_EQ(ex.watermark, kContractT0);
    EXPECT_EQ(ex.blobs_done, 1u);
    EXPECT_EQ(ex.events_forwarded, 4u);
    EXPECT_EQ(ex.duplicates_dropped, 6u);
    EXPECT_EQ(ex.dead_lettered, 2u);
    EXPECT_EQ(ex.records_filtered, 14u);
    EXPECT_EQ(ex.blobs_lost, 2u);
    EXPECT_EQ(ex.last_success, kContractT0 + hours(1));
    const StreamCounters& sp = (*counters)[1];
    EXPECT_EQ(sp.stream, kContractSharePoint);
    EXPECT_FALSE(sp.watermark);
    EXPECT_EQ(sp.blobs_done, 1u);
    EXPECT_EQ(sp.events_forwarded, 1u);
    EXPECT_EQ(sp.blobs_lost, 0u);
    EXPECT_EQ(sp.last_success, kContractT0);
    if (round == 0) reopen();
  }
}

TEST_P(StateStoreContract, FailureAttemptsPersistAcrossReopenAndACommitClearsThem) {
  const ContentRef bad = contractBlobRef(kContractExchange, "bad");
  EXPECT_EQ(*store_->recordBlobFailure(bad, "invalid JSON at offset 17"), 1);
  EXPECT_EQ(*store_->recordBlobFailure(bad, "invalid JSON at offset 17"), 2);
  EXPECT_EQ(*store_->recordBlobFailure(contractBlobRef(kContractSharePoint, "bad"),
                                       std::string(5000, 'x')),
            1);
  reopen();
  EXPECT_EQ(*store_->recordBlobFailure(bad, "invalid JSON"), 3);
  ASSERT_TRUE(store_->commit({contractBlob(kContractExchange, "bad", {})}, {}, kContractT0).ok());
  EXPECT_EQ(*store_->recordBlobFailure(bad, "invalid JSON"), 1);
  EXPECT_EQ(*store_->recordBlobFailure(contractBlobRef(kContractSharePoint, "bad"), "again"), 2);
  ASSERT_TRUE(store_->commit({contractBlob(kContractExchange, "bad", {})}, {}, kContractT0).ok());
  reopen();
  EXPECT_EQ(*store_->recordBlobFailure(bad, "invalid JSON"), 1) << "the clearing survives reopen";
}

TEST_P(StateStoreContract, ACommitThatFailsLeavesNothingBehindAndCanBeRetried) {
  ASSERT_TRUE(store_
                  ->commit({contractBlob(kContractExchange, "old", {{9, 9}})},
                           {{kContractExchange, kContractT0}}, kContractT0)
                  .ok());
  EXPECT_EQ(*store_->recordBlobFailure(contractBlobRef(kContractExchange, "new"), "timeout"), 1);
  if (!under_test_->failNextWrite()) GTEST_SKIP() << "this store cannot inject a failed write";
  const RecordKey key{7, 7};
  const std::vector<BlobCommit> blobs{contractBlob(kContractExchange, "new", {key}),
                                      contractBlob(kContractSharePoint, "sp", {{8, 8}})};
  const std::vector<std::pair<StreamKey, WallTime>> marks{
      {kContractExchange, kContractT0 + hours(1)}, {kContractSharePoint, kContractT0}};
  Status s = store_->commit(blobs, marks, kContractT0 + hours(1));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(*store_->blobsDone(kContractExchange, {"new"}), std::vector<bool>{false});
  EXPECT_EQ(*store_->keysSeen({key}), std::vector<bool>{false});
  EXPECT_EQ(*store_->watermark(kContractExchange), kContractT0);
  EXPECT_FALSE(*store_->watermark(kContractSharePoint));
  auto counters = store_->counters();
  ASSERT_TRUE(counters.ok());
  ASSERT_EQ(counters->size(), 1u) << "the stream added by the failed commit must be gone";
  EXPECT_EQ((*counters)[0].blobs_done, 1u);
  EXPECT_EQ((*counters)[0].events_forwarded, 1u);
  EXPECT_EQ(*store_->recordBlobFailure(contractBlobRef(kContractExchange, "new"), "timeout"), 2);

  ASSERT_TRUE(store_->commit(blobs, marks, kContractT0 + hours(1)).ok()) << "the same retried";
  reopen();
  EXPECT_EQ(*store_->blobsDone(kContractExchange, {"new"}), std::vector<bool>{true});
  EXPECT_EQ(*store_->keysSeen({key, {8, 8}}), (std::vector<bool>{true, true}));
  EXPECT_EQ(*store_->watermark(kContractExchange), kContractT0 + hours(1));
  counters = store_->counters();
  ASSERT_TRUE(counters.ok());
  ASSERT_EQ(counters->size(), 2u);
  EXPECT_EQ((*counters)[0].blobs_done, 2u) << "counted once, not once per attempt";
  EXPECT_EQ((*counters)[0].events_forwarded, 2u);
}

TEST_P(StateStoreContract, PruneRemovesExpiredBlobsAndFailuresAndTheyStayRemoved) {
  BlobCommit early = contractBlob(kContractExchange, "early", {});
  early.content.expiration = kContractT0 + hours(1);
  BlobCommit late = contractBlob(kContractExchange, "late", {});
  late.content.expiration = kContractT0 + hours(3);
  ASSERT_TRUE(store_->commit({early, late}, {}, kContractT0).ok());
  ContentRef failing = contractBlobRef(kContractExchange, "failing");
  failing.expiration = kContractT0 + hours(1);
  EXPECT_EQ(*store_->recordBlobFailure(failing, "bad JSON"), 1);

  ASSERT_TRUE(store_->prune(kContractT0 + hours(1), hours(1)).ok());  // expiration == now: kept
  EXPECT_EQ(*store_->blobsDone(kContractExchange, {"early", "late"}),
            (std::vector<bool>{true, true}));
  ASSERT_TRUE(store_->prune(kContractT0 + hours(2), hours(1)).ok());
  EXPECT_EQ(*store_->blobsDone(kContractExchange, {"early", "late"}),
            (std::vector<bool>{false, true}));
  reopen();
  EXPECT_EQ(*store_->blobsDone(kContractExchange, {"early", "late"}),
            (std::vector<bool>{false, true}));
  EXPECT_EQ(*store_->recordBlobFailure(failing, "bad JSON"), 1) << "the failure was pruned";
  EXPECT_EQ((*store_->counters())[0].blobs_done, 2u) << "pruning does not change the counters";
}

TEST_P(StateStoreContract, PruneRemovesKeysOlderThanTheWindowAndKeepsTheBoundary) {
  const auto window = hours(24 * 7);
  const RecordKey old_key{1, 1}, newer{2, 2}, refreshed{3, 3};
  ASSERT_TRUE(
      store_->commit({contractBlob(kContractExchange, "a", {old_key, refreshed})}, {}, kContractT0)
          .ok());
  ASSERT_TRUE(
      store_->commit({contractBlob(kContractExchange, "b", {newer})}, {}, kContractT0 + hours(48))
          .ok());
  ASSERT_TRUE(
      store_
          ->commit({contractBlob(kContractExchange, "c", {refreshed})}, {}, kContractT0 + hours(48))
          .ok());
  ASSERT_TRUE(store_->prune(kContractT0 + window, window).ok());  // seen at the cutoff: kept
  EXPECT_EQ(*store_->keysSeen({old_key}), std::vector<bool>{true});
  ASSERT_TRUE(store_->prune(kContractT0 + window + seconds(1), window).ok());
  EXPECT_EQ(*store_->keysSeen({old_key, newer, refreshed}), (std::vector<bool>{false, true, true}));
  ASSERT_TRUE(store_->prune(kContractT0 + window + hours(48) + seconds(1), window).ok());
  EXPECT_EQ(*store_->keysSeen({newer, refreshed}), (std::vector<bool>{false, false}));
}

TEST_P(StateStoreContract, KeysStaySeenThroughReopenAndARefreshOutlivesThePrune) {
  const auto window = hours(24 * 7);
  std::vector<RecordKey> all;
  for (std::uint64_t c = 0; c < 20; ++c) {
    auto keys = contractKeyRange(c * 30, 30);
    all.insert(all.end(), keys.begin(), keys.end());
    ASSERT_TRUE(store_
                    ->commit({contractBlob(kContractExchange, "b" + std::to_string(c), keys)}, {},
                             kContractT0)
                    .ok());
  }
  ASSERT_EQ(contractCountSeen(*store_, all), all.size());
  reopen();
  ASSERT_EQ(contractCountSeen(*store_, all), all.size());
  EXPECT_EQ(contractCountSeen(*store_, contractKeyRange(10'000, 100)), 0u);
  const std::vector<RecordKey> refreshed = contractKeyRange(0, 10);
  ASSERT_TRUE(store_
                  ->commit({contractBlob(kContractSharePoint, "again", refreshed)}, {},
                           kContractT0 + hours(48))
                  .ok());
  ASSERT_TRUE(store_->prune(kContractT0 + window + seconds(1), window).ok());
  EXPECT_EQ(contractCountSeen(*store_, all), refreshed.size());
  reopen();
  EXPECT_EQ(contractCountSeen(*store_, all), refreshed.size());
}

TEST_P(StateStoreContract, ABlobOfManyRecordsKeepsEveryKeyAcrossReopen) {
  const std::vector<RecordKey> many = contractKeyRange(0, 130'000);
  ASSERT_TRUE(store_->commit({contractBlob(kContractExchange, "big", many)}, {}, kContractT0).ok());
  const std::vector<RecordKey> more = contractKeyRange(200'000, 70'000);
  ASSERT_TRUE(store_->commit({contractBlob(kContractExchange, "big", more)}, {}, kContractT0).ok())
      << "the same blob committed again with other records";
  reopen();
  EXPECT_EQ(contractCountSeen(*store_, many), many.size());
  EXPECT_EQ(contractCountSeen(*store_, more), more.size());
  EXPECT_EQ(contractCountSeen(*store_, contractKeyRange(500'000, 1000)), 0u);
  auto counters = store_->counters();
  ASSERT_TRUE(counters.ok());
  ASSERT_EQ(counters->size(), 1u);
  EXPECT_EQ((*counters)[0].blobs_done, 1u);
  EXPECT_EQ((*counters)[0].events_forwarded, 200'000u);
}

TEST_P(StateStoreContract, AKeyIsSeenByOtherThreadsFromTheMomentItsCommitReturns) {
  std::atomic<std::uint64_t> committed{0};
  std::atomic<bool> stop{false};
  std::thread reader([&] {
    while (!stop.load()) {
      const std::uint64_t n = committed.load();
      if (n > 0) {
        EXPECT_EQ(contractCountSeen(*store_, contractKeyRange(0, n * 20)), n * 20)
            << "after " << n << " commits";
      }
    }
  });
  std::thread pruner([&] {
    for (int i = 0; i < 20 && !stop.load(); ++i)
      EXPECT_TRUE(store_->prune(kContractT0, hours(24 * 7)).ok());
  });
  for (std::uint64_t c = 0; c < 40; ++c) {
    ASSERT_TRUE(store_
                    ->commit({contractBlob(kContractExchange, "b" + std::to_string(c),
                                           contractKeyRange(c * 20, 20))},
                             {}, kContractT0)
                    .ok());
    committed.store(c + 1);
  }
  stop.store(true);
  reader.join();
  pruner.join();
  EXPECT_EQ(contractCountSeen(*store_, contractKeyRange(0, 800)), 800u);
}

TEST_P(StateStoreContract, SinkPositionsAreReplacedPerSinkAndSurviveReopen) {
  EXPECT_TRUE(store_->sinkPositions()->empty());
  ASSERT_TRUE(store_
                  ->commit({contractBlob(kContractExchange, "a", {{1, 1}})}, {},
                           {{"file", "v1 pos=10"}}, kContractT0)
                  .ok());
  EXPECT_EQ(*store_->sinkPositions(), (std::vector<SinkPosition>{{"file", "v1 pos=10"}}));
  ASSERT_TRUE(
      store_->commit({}, {}, {{"file", "v1 pos=30"}, {"copy", "v1 pos=5"}}, kContractT0).ok());
  reopen();
  EXPECT_EQ(*store_->sinkPositions(),
            (std::vector<SinkPosition>{{"copy", "v1 pos=5"}, {"file", "v1 pos=30"}}));
}

TEST_P(StateStoreContract, SweepRecordRoundTripsKeepsTheFirstFloorAndNeverMovesBack) {
  auto empty = store_->sweepRecord(kContractExchange);
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(empty->last_sweep);
  EXPECT_FALSE(empty->floor);
  ASSERT_TRUE(store_->setSweepFloor(kContractExchange, kContractT0 - hours(24)).ok());
  ASSERT_TRUE(store_->setSweepFloor(kContractExchange, kContractT0 - hours(2)).ok());  // ignored
  ASSERT_TRUE(store_->recordSweep(kContractExchange, kContractT0).ok());
  ASSERT_TRUE(store_->recordSweep(kContractExchange, kContractT0 - hours(1)).ok());  // ignored
  auto at_once = store_->sweepRecord(kContractExchange);  // before any commit or reopen
  ASSERT_TRUE(at_once.ok());
  EXPECT_EQ(at_once->last_sweep, kContractT0);
  EXPECT_EQ(at_once->floor, kContractT0 - hours(24));
  reopen();
  auto got = store_->sweepRecord(kContractExchange);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->last_sweep, kContractT0);
  EXPECT_EQ(got->floor, kContractT0 - hours(24));
  // After the reopen the stored values rule the same way: older and second values are ignored,
  // a later sweep time moves it, also through a commit of something else.
  ASSERT_TRUE(store_->recordSweep(kContractExchange, kContractT0 - hours(3)).ok());
  ASSERT_TRUE(store_->setSweepFloor(kContractExchange, kContractT0 - hours(5)).ok());
  EXPECT_EQ(store_->sweepRecord(kContractExchange)->last_sweep, kContractT0);
  EXPECT_EQ(store_->sweepRecord(kContractExchange)->floor, kContractT0 - hours(24));
  ASSERT_TRUE(store_->recordSweep(kContractExchange, kContractT0 + hours(1)).ok());
  ASSERT_TRUE(store_->commit({}, {{kContractSharePoint, kContractT0}}, kContractT0).ok());
  reopen();
  EXPECT_EQ(store_->sweepRecord(kContractExchange)->last_sweep, kContractT0 + hours(1));
  EXPECT_EQ(store_->sweepRecord(kContractExchange)->floor, kContractT0 - hours(24));
  auto other = store_->sweepRecord(kContractSharePoint);
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->last_sweep);
}

}  // namespace o365fwd::contract
