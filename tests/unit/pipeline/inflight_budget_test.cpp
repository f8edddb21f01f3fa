// InflightBudget's byte accounting while bodies arrive: grants within the budget, waits when
// full, refuses a body that alone exceeds it, gives the head download priority and preempts the
// youngest paused download only when nothing else can make room.
#include "pipeline/inflight_budget.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

namespace o365fwd {
namespace {

using Grant = BodyBudget::Grant;

TEST(InflightBudget, CountsBytesWhileTheyArriveAndKeepsThemForTheBlob) {
  InflightBudget budget(100, 4);
  ASSERT_TRUE(budget.acquireSlot({}));
  auto d = budget.startDownload();
  EXPECT_EQ(d->grow(40), Grant::kGranted);
  EXPECT_EQ(d->grow(30), Grant::kGranted);
  EXPECT_EQ(budget.bytes(), 70u);
  EXPECT_EQ(d->keep(), 70u);
  d.reset();  // the download ends; the kept bytes stay until release()
  EXPECT_EQ(budget.bytes(), 70u);
  budget.release(70);
  EXPECT_EQ(budget.bytes(), 0u);
  EXPECT_EQ(budget.blobs(), 0u);
  EXPECT_EQ(budget.peakBytes(), 70u);
}

TEST(InflightBudget, ChargesTheParseReserveWhileTheBodyArrivesAndTruesItUpAfterwards) {
  InflightBudget budget(1000, 4, /*parse_reserve_percent=*/20);
  ASSERT_TRUE(budget.acquireSlot({}));
  auto d = budget.startDownload();
  EXPECT_EQ(d->grow(500), Grant::kGranted);
  EXPECT_EQ(budget.bytes(), 600u);  // 500 body bytes + 20 %
  EXPECT_EQ(d->keep(), 600u);
  budget.giveBack(50);  // the parse needed 50, not 100
  EXPECT_EQ(budget.bytes(), 550u);
  EXPECT_EQ(budget.blobs(), 1u);  // giveBack keeps the blob's slot
  budget.release(550);
  EXPECT_EQ(budget.bytes(), 0u);
  EXPECT_EQ(budget.blobs(), 0u);
}

TEST(InflightBudget, ABodyThatWithItsParseReserveExceedsTheBudgetIsRefused) {
  InflightBudget budget(1000, 4, 25);
  auto d = budget.startDownload();
  EXPECT_EQ(d->grow(700), Grant::kGranted);  // 875
  EXPECT_EQ(d->grow(120), Grant::kNever);    // 875 + 150 > 1000: can never fit
}

TEST(InflightBudget, ABodyThatAloneExceedsTheBudgetIsRefused) {
  InflightBudget budget(100, 4);
  auto d = budget.startDownload();
  EXPECT_EQ(d->grow(90), Grant::kGranted);
  EXPECT_EQ(d->grow(11), Grant::kNever);
  EXPECT_EQ(budget.bytes(), 90u);
  d->discard();
  EXPECT_EQ(budget.bytes(), 0u);
}

TEST(InflightBudget, WaitsWhileDownloadedBlobsHoldTheBudgetWithoutPreempting) {
  InflightBudget budget(100, 4);
  budget.addBytes(60);  // a downloaded blob its sinks have not taken yet
  auto head = budget.startDownload();
  auto young = budget.startDownload();
  EXPECT_EQ(head->grow(20), Grant::kGranted);
  EXPECT_EQ(young->grow(20), Grant::kGranted);
  EXPECT_EQ(young->grow(10), Grant::kWait);
  EXPECT_EQ(head->grow(10), Grant::kWait);  // room will come from the downloaded blob
  EXPECT_FALSE(young->preempted());
  budget.release(60);
  EXPECT_EQ(young->grow(10), Grant::kWait);  // the head waits: younger downloads stand back
  EXPECT_EQ(head->grow(10), Grant::kGranted);
  EXPECT_EQ(young->grow(10), Grant::kGranted);
  EXPECT_EQ(budget.preemptions(), 0u);
}

TEST(InflightBudget, PreemptsTheYoungestPausedDownloadWhenOnlyDownloadsHoldTheBudget) {
  InflightBudget budget(100, 4);
  auto head = budget.startDownload();
  auto middle = budget.startDownload();
  auto young = budget.startDownload();
  EXPECT_EQ(head->grow(40), Grant::kGranted);
  EXPECT_EQ(middle->grow(30), Grant::kGranted);
  EXPECT_EQ(young->grow(30), Grant::kGranted);
  EXPECT_EQ(middle->grow(5), Grant::kWait);
  EXPECT_EQ(young->grow(5), Grant::kWait);
  EXPECT_EQ(head->grow(5), Grant::kWait);  // deadlock otherwise: the youngest must give way
  EXPECT_TRUE(young->preempted());
  EXPECT_FALSE(middle->preempted());
  EXPECT_EQ(head->grow(5), Grant::kWait);  // one preemption at a time
  EXPECT_FALSE(middle->preempted());
  young->discard();  // the transport aborted it
  EXPECT_FALSE(young->preempted());
  EXPECT_EQ(budget.bytes(), 70u);
  EXPECT_EQ(head->grow(5), Grant::kGranted);
  EXPECT_EQ(budget.preemptions(), 1u);
}

TEST(InflightBudget, SharedBytesCountWithTheBlobsAndAreReplacedNotAdded) {
  InflightBudget budget(100, 4);
  budget.addBytes(30);
  budget.setSharedBytes(20);  // the de-duplicator's table
  EXPECT_EQ(budget.bytes(), 50u);
  budget.setSharedBytes(40);  // it doubled
  EXPECT_EQ(budget.bytes(), 70u);
  EXPECT_EQ(budget.peakBytes(), 70u);
  auto d = budget.startDownload();
  EXPECT_EQ(d->grow(20), Grant::kGranted);
  EXPECT_EQ(d->grow(20), Grant::kWait);  // 110 > 100: the held blob will give room back
  EXPECT_EQ(budget.preemptions(), 0u);
  budget.release(30);
  budget.setSharedBytes(10);  // its keys were released: the table halved
  EXPECT_EQ(budget.bytes(), 30u);
  EXPECT_EQ(d->grow(20), Grant::kGranted);
  EXPECT_EQ(budget.bytes(), 50u);
}

TEST(InflightBudget, TheHeadIsNotKeptWaitingBySharedBytesAlone) {
  InflightBudget budget(100, 4);
  budget.setSharedBytes(10);  // what the table keeps when no blob is held
  auto head = budget.startDownload();
  EXPECT_EQ(head->grow(85), Grant::kGranted);
  EXPECT_EQ(head->grow(10), Grant::kGranted);  // nothing else will ever give room back
  EXPECT_EQ(budget.bytes(), 105u);
  EXPECT_EQ(head->grow(10), Grant::kNever);  // its own bytes still may not exceed the budget
}

TEST(InflightBudget, DestroyingADownloadGivesBackWhatItHeld) {
  InflightBudget budget(100, 4);
  {
    auto d = budget.startDownload();
    EXPECT_EQ(d->grow(50), Grant::kGranted);
  }
  EXPECT_EQ(budget.bytes(), 0u);
}

TEST(InflightBudget, APreemptedDownloadWaitsUntilItIsTheOldest) {
  InflightBudget budget(100, 4);
  auto head = budget.startDownload();
  auto young = budget.startDownload();
  EXPECT_EQ(head->grow(60), Grant::kGranted);
  EXPECT_EQ(young->grow(40), Grant::kGranted);
  EXPECT_EQ(young->grow(5), Grant::kWait);
  EXPECT_EQ(head->grow(5), Grant::kWait);
  ASSERT_TRUE(young->preempted());
  young->discard();
  EXPECT_EQ(budget.bytes(), 60u);
  std::stop_source stop;
  std::atomic<int> woke{0};
  std::thread waiter(
      [&] { woke = budget.waitUntilOldest(young->seq(), stop.get_token()) ? 1 : 2; });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(woke.load(), 0);  // the head still downloads: restarting now would be preempted again
  EXPECT_EQ(head->grow(5), Grant::kGranted);
  head.reset();  // the head's blob was committed: the young download is now the oldest
  waiter.join();
  EXPECT_EQ(woke.load(), 1);

  auto other = budget.startDownload();
  EXPECT_EQ(other->grow(90), Grant::kGranted);
  std::thread stopped(
      [&] { woke = budget.waitUntilOldest(other->seq() + 100, stop.get_token()) ? 1 : 2; });
  stop.request_stop();
  stopped.join();
  EXPECT_EQ(woke.load(), 2);
}

// Body reuse: a freed blob's body is kept, counted in bytes(), and handed to a download whose
// decoded size it fits; it never makes a download or a slot wait.
std::string bodyOf(std::size_t capacity) {
  std::string s;
  s.reserve(capacity);
  return s;
}

TEST(InflightBudget, AKeptBodyCountsInTheBudgetUntilADownloadReusesIt) {
  const std::uint64_t mib = 1u << 20;
  InflightBudget budget(64 * mib, 4);
  auto keeper = budget.bodyKeeper();
  keeper->keep(bodyOf(2 * mib));
  const std::uint64_t cap = budget.keptBytes();
  EXPECT_GE(cap, 2 * mib);
  EXPECT_EQ(budget.bytes(), cap);
  ASSERT_TRUE(budget.acquireSlot({}));
  auto d = budget.startDownload();
  EXPECT_TRUE(d->reusableBuffer(cap / 2).empty());        // would waste more than an eighth
  EXPECT_LT(d->reusableBuffer(cap + 1).capacity(), cap);  // too small: a new string
  EXPECT_EQ(budget.keptBytes(), cap);
  ASSERT_EQ(d->grow(cap - 1000), Grant::kGranted);
  std::string reused = d->reusableBuffer(cap - 1000);
  EXPECT_EQ(reused.capacity(), cap);
  EXPECT_TRUE(reused.empty());
  EXPECT_EQ(budget.keptBytes(), 0u);
  EXPECT_EQ(budget.bytes(), cap - 1000);  // only the download's own grant is left
}

TEST(InflightBudget, KeepsFewSmallBodiesAndOnlyWhileHalfTheBudgetIsFree) {
  const std::uint64_t mib = 1u << 20;
  InflightBudget budget(64 * mib, 4);  // at most 4 MiB kept
  auto keeper = budget.bodyKeeper();
  keeper->keep(bodyOf(1000));                              // too small to be worth it
  keeper->keep(bodyOf(InflightBudget::kMaxKeptBody + 1));  // too large
  EXPECT_EQ(budget.keptBytes(), 0u);
  for (int i = 0; i < 6; ++i) keeper->keep(bodyOf(mib));
  EXPECT_GT(budget.keptBytes(), 2 * mib);
  EXPECT_LE(budget.keptBytes(), 4 * mib);  // max_bytes / 16
  InflightBudget busy(64 * mib, 4);
  busy.addBytes(40 * mib);  // held blobs: less than half the budget is free
  busy.bodyKeeper()->keep(bodyOf(mib));
  EXPECT_EQ(busy.keptBytes(), 0u);
  EXPECT_EQ(busy.bytes(), 40 * mib);
}

TEST(InflightBudget, KeptBodiesAreDroppedWhenADownloadNeedsTheirRoom) {
  const std::uint64_t mib = 1u << 20;
  InflightBudget budget(64 * mib, 4);
  budget.bodyKeeper()->keep(bodyOf(2 * mib));
  const std::uint64_t kept = budget.keptBytes();
  ASSERT_GT(kept, 0u);
  auto d = budget.startDownload();
  // 63 MiB fit only without the kept body: it is dropped instead of making the download wait.
  EXPECT_EQ(d->grow(63 * mib), Grant::kGranted);
  EXPECT_EQ(budget.keptBytes(), 0u);
  EXPECT_EQ(budget.bytes(), 63 * mib);
}

TEST(InflightBudget, AKeeperOutlivingItsBudgetJustFreesTheBody) {
  std::shared_ptr<InflightBudget::BodyKeeper> keeper;
  {
    InflightBudget budget(64u << 20, 4);
    keeper = budget.bodyKeeper();
  }
  keeper->keep(bodyOf(1u << 20));  // no budget to count it in: freed, nothing crashes
}

}  // namespace
}  // namespace o365fwd
