// InflightBudget's byte accounting while bodies arrive: grants within the budget, waits when
// full, refuses a body that alone exceeds it, gives the head download priority and preempts the
// youngest paused download only when nothing else can make room.
#include "pipeline/inflight_budget.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
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

}  // namespace
}  // namespace o365fwd
