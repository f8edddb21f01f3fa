#include "sinks/pending_batch_queue.h"

#include <gtest/gtest.h>

#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "tests/unit/sinks/sink_contract_test.h"

namespace o365fwd::testing {
namespace {

struct TestItem : PendingBatch {
  int tag = 0;  // stands for a sink's own per-batch data
};

// An item of `records` records of 10 bytes each, reporting into `log` at `slot`.
TestItem makeItem(CallbackLog& log, std::size_t slot, std::uint64_t records, int tag = 0) {
  TestItem item;
  item.batch = makeTestBatch("q" + std::to_string(slot), records);
  item.done = log.callback(slot);
  item.records = records;
  item.bytes = records * 10;
  item.tag = tag;
  return item;
}

class PendingBatchQueueTest : public ::testing::Test {
 protected:
  PendingBatchQueueTest() { queue_.markStarted(); }

  std::vector<TestItem> takeAll() {
    std::vector<TestItem> out;
    queue_.takeBatches(out, UINT64_MAX);
    return out;
  }

  FakeClock clock_;
  CallbackLog log_;
  PendingBatchQueue<TestItem> queue_{"test sink t1", 100, clock_};  // 100 bytes
};

TEST_F(PendingBatchQueueTest, DeliveredAndFailedItemsFireDoneOnceAndAreCounted) {
  queue_.submit(makeItem(log_, 0, 3, 7), {});
  queue_.submit(makeItem(log_, 1, 2, 8), {});
  SinkStats queued = queue_.stats();
  EXPECT_EQ(queued.queued, 5u);
  EXPECT_EQ(queued.queued_bytes, 50u);
  ASSERT_TRUE(queue_.waitForBatches({}));

  std::vector<TestItem> taken = takeAll();
  ASSERT_EQ(taken.size(), 2u);
  EXPECT_EQ(taken[0].tag, 7);  // the sink's own data travels with the item, oldest first
  EXPECT_EQ(taken[1].tag, 8);
  EXPECT_EQ(queue_.stats().queued, 5u) << "taken items stay counted until reported";
  EXPECT_EQ(log_.calls(0) + log_.calls(1), 0u);

  taken[0].rejected.push_back(RejectedRecord{1, "too large"});
  queue_.deliver(taken[0]);
  queue_.fail(taken[1], Error::retryableError(ErrorKind::kIo, "disk full"));

  ASSERT_EQ(log_.calls(0), 1u);
  EXPECT_EQ(log_.report(0).status, DeliveryStatus::kDelivered);
  ASSERT_EQ(log_.report(0).rejected.size(), 1u);
  EXPECT_EQ(log_.report(0).rejected[0].index, 1u);
  ASSERT_EQ(log_.calls(1), 1u);
  EXPECT_EQ(log_.report(1).status, DeliveryStatus::kRetryable);
  ASSERT_TRUE(log_.report(1).error.has_value());
  EXPECT_EQ(log_.report(1).error->message, "disk full");
  EXPECT_FALSE(taken[0].batch) << "the batch is released before done";

  SinkStats s = queue_.stats();
  EXPECT_EQ(s.delivered, 3u);
  EXPECT_EQ(s.rejected, 1u);
  EXPECT_EQ(s.failed, 2u);
  EXPECT_EQ(s.queued, 0u);
  EXPECT_EQ(s.queued_bytes, 0u);
  EXPECT_TRUE(queue_.flush(std::chrono::milliseconds(0)).ok());
}

TEST_F(PendingBatchQueueTest, BatchWithNothingToWriteIsAnsweredAtOnce) {
  TestItem item = makeItem(log_, 0, 0);
  item.rejected = {RejectedRecord{0, "empty record"}, RejectedRecord{1, "empty record"}};
  queue_.submit(std::move(item), {});
  ASSERT_EQ(log_.calls(0), 1u);
  EXPECT_EQ(log_.report(0).status, DeliveryStatus::kDelivered);
  EXPECT_EQ(log_.report(0).rejected.size(), 2u);
  EXPECT_EQ(queue_.stats().rejected, 2u);
  EXPECT_EQ(queue_.stats().queued, 0u);
  EXPECT_FALSE(queue_.waitForBatches({}, std::chrono::milliseconds(0)));
  EXPECT_TRUE(queue_.flush(std::chrono::milliseconds(0)).ok());
}

TEST_F(PendingBatchQueueTest, SubmitBeforeStartOrAfterCloseIsRetryable) {
  PendingBatchQueue<TestItem> fresh("test sink t2", 100, clock_);
  fresh.submit(makeItem(log_, 0, 2), {});
  ASSERT_EQ(log_.calls(0), 1u);
  EXPECT_EQ(log_.report(0).status, DeliveryStatus::kRetryable);
  EXPECT_EQ(log_.report(0).error->message, "Test sink t2 is not running");
  EXPECT_EQ(log_.report(0).error->kind, ErrorKind::kCancelled);

  queue_.close();
  EXPECT_TRUE(queue_.stopped());
  queue_.submit(makeItem(log_, 1, 3), {});
  ASSERT_EQ(log_.calls(1), 1u);
  EXPECT_EQ(log_.report(1).status, DeliveryStatus::kRetryable);
  EXPECT_EQ(queue_.stats().failed, 3u);
  EXPECT_EQ(queue_.stats().queued, 0u);
}

TEST_F(PendingBatchQueueTest, StopTokenEndsASubmitWaitingForRoom) {
  queue_.submit(makeItem(log_, 0, 8), {});  // 80 of 100 bytes
  std::stop_source stop;
  std::thread blocked([&] { queue_.submit(makeItem(log_, 1, 3), stop.get_token()); });
  stop.request_stop();
  blocked.join();
  ASSERT_EQ(log_.calls(1), 1u) << "30 more bytes do not fit; the stop token must end the wait";
  EXPECT_EQ(log_.report(1).status, DeliveryStatus::kRetryable);
  EXPECT_EQ(log_.report(1).error->message,
            "Stopped while waiting for space in the queue of test sink t1");
  SinkStats s = queue_.stats();
  EXPECT_EQ(s.queued, 8u);
  EXPECT_EQ(s.failed, 3u);
  EXPECT_EQ(log_.calls(0), 0u);
  EXPECT_EQ(takeAll().size(), 1u);
}

TEST_F(PendingBatchQueueTest, CloseEndsASubmitWaitingForRoom) {
  queue_.submit(makeItem(log_, 0, 8), {});
  std::thread blocked([&] { queue_.submit(makeItem(log_, 1, 3), {}); });
  queue_.close();
  blocked.join();  // would hang if close() did not wake the waiting submit
  ASSERT_EQ(log_.calls(1), 1u);
  EXPECT_EQ(log_.report(1).status, DeliveryStatus::kRetryable);
  EXPECT_EQ(queue_.stats().queued, 8u);
}

TEST_F(PendingBatchQueueTest, ReportingFreesRoomForAWaitingSubmit) {
  queue_.submit(makeItem(log_, 0, 8), {});
  std::vector<TestItem> first = takeAll();
  ASSERT_EQ(first.size(), 1u);
  std::thread waiting([&] { queue_.submit(makeItem(log_, 1, 3), {}); });
  queue_.deliver(first[0]);
  waiting.join();  // would hang if reporting did not free the room
  ASSERT_TRUE(queue_.waitForBatches({}));
  std::vector<TestItem> second = takeAll();
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].records, 3u);
  EXPECT_EQ(log_.calls(1), 0u);
  EXPECT_EQ(queue_.stats().queued, 3u);
  queue_.deliver(second[0]);
  EXPECT_EQ(log_.calls(1), 1u);
}

TEST_F(PendingBatchQueueTest, ALargerBatchIsAdmittedAloneIntoAnEmptyQueue) {
  std::stop_source stop;
  stop.request_stop();  // the submit must not need to wait at all
  queue_.submit(makeItem(log_, 0, 50), stop.get_token());  // 500 bytes > 100
  EXPECT_EQ(log_.calls(0), 0u);
  EXPECT_EQ(queue_.stats().queued_bytes, 500u);
  queue_.submit(makeItem(log_, 1, 1), stop.get_token());  // no room beside it
  ASSERT_EQ(log_.calls(1), 1u);
  EXPECT_EQ(log_.report(1).status, DeliveryStatus::kRetryable);
}

TEST_F(PendingBatchQueueTest, TakeBatchesStopsAtTheCycleLimitButTakesAtLeastOne) {
  for (std::size_t i = 0; i < 3; ++i) queue_.submit(makeItem(log_, i, 3, static_cast<int>(i)), {});
  std::vector<TestItem> out;
  queue_.takeBatches(out, 60);  // 30 + 30 fit, the third not
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].tag, 1);
  out.clear();
  queue_.takeBatches(out, 5);  // larger than the limit, taken alone
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].tag, 2);
  EXPECT_FALSE(queue_.waitForBatches({}, std::chrono::milliseconds(0)));
}

TEST_F(PendingBatchQueueTest, WaitForBatchesReturnsFalseWhenStoppedWithNothingQueued) {
  std::stop_source stop;
  std::thread writer([&] { EXPECT_FALSE(queue_.waitForBatches(stop.get_token())); });
  stop.request_stop();
  writer.join();  // would hang if the stop token did not end the wait
  std::stop_source stop2;
  stop2.request_stop();
  queue_.idle(stop2.get_token(), std::chrono::hours(1));  // returns at once: stop requested
}

TEST_F(PendingBatchQueueTest, FlushTimesOutWhileADoneIsOutstanding) {
  queue_.submit(makeItem(log_, 0, 2), {});
  Status flushed = queue_.flush(std::chrono::milliseconds(1));
  ASSERT_FALSE(flushed.ok());
  EXPECT_EQ(flushed.error().message, "Test sink t1: 1 batches still unacknowledged after 1 ms");
  std::vector<TestItem> taken = takeAll();
  EXPECT_FALSE(queue_.flush(std::chrono::milliseconds(1)).ok()) << "taken is still outstanding";
  queue_.deliver(taken[0]);
  EXPECT_TRUE(queue_.flush(std::chrono::milliseconds(0)).ok());
}

TEST_F(PendingBatchQueueTest, FailQueuedReportsEveryUntakenItemOnce) {
  for (std::size_t i = 0; i < 3; ++i) queue_.submit(makeItem(log_, i, 1), {});
  queue_.close();
  Error error = Error::retryableError(ErrorKind::kCancelled, "stopped");
  queue_.failQueued(error);
  queue_.failQueued(error);  // nothing left: no second call
  for (std::size_t i = 0; i < 3; ++i) {
    ASSERT_EQ(log_.calls(i), 1u) << "item " << i;
    EXPECT_EQ(log_.report(i).status, DeliveryStatus::kRetryable);
  }
  SinkStats s = queue_.stats();
  EXPECT_EQ(s.failed, 3u);
  EXPECT_EQ(s.queued, 0u);
  EXPECT_TRUE(queue_.flush(std::chrono::milliseconds(0)).ok());
}

TEST_F(PendingBatchQueueTest, StateAndLastError) {
  EXPECT_EQ(queue_.stats().state, SinkState::kStarting);
  EXPECT_FALSE(queue_.lastError().has_value());
  EXPECT_FALSE(queue_.markUp());
  EXPECT_EQ(queue_.stats().state, SinkState::kUp);
  Error error = Error::retryableError(ErrorKind::kIo, "No space left on device");
  EXPECT_FALSE(queue_.markDown(error)) << "was up";
  EXPECT_TRUE(queue_.markDown(error)) << "already down";
  SinkStats down = queue_.stats();
  EXPECT_EQ(down.state, SinkState::kDown);
  ASSERT_TRUE(down.last_error.has_value());
  EXPECT_EQ(down.last_error->message, "No space left on device");
  EXPECT_EQ(down.last_error_at, clock_.wallNow());
  EXPECT_TRUE(queue_.markUp()) << "recovered";
  EXPECT_EQ(queue_.stats().state, SinkState::kUp);
  EXPECT_TRUE(queue_.stats().last_error.has_value()) << "the last error is kept";
}

}  // namespace
}  // namespace o365fwd::testing
