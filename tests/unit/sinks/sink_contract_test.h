#pragma once
// The Sink contract (sinks/sink.h) as a typed test suite every Sink implementation instantiates:
//
//   struct MyTraits {
//     // A fresh, not yet started sink; queue_bytes > 0 asks for a queue bounded to about that many
//     // bytes (for the backpressure test), 0 for the default.
//     std::unique_ptr<Sink> make(std::uint64_t queue_bytes = 0);
//     // Records that have arrived at the destination, each as its raw bytes.
//     std::vector<std::string> destination();
//     // Holds the sink so that accepted batches stay pending / lets it go on. stall() is called
//     // before start() in some tests.
//     void stall();
//     void unstall();
//   };
//   INSTANTIATE_TYPED_TEST_SUITE_P(My, SinkContractTest, MyTraits);
//
// Also offers makeTestBatch() for sink unit tests: realistic records with decoded fields.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "core/time_format.h"
#include "sinks/sink.h"

namespace o365fwd::testing {

// A batch of `count` records "{"Id":"<tag>-<i>",...}" padded to about `record_size` bytes, with
// Id, Operation, RecordType, Workload and CreationTime filled in as the parser would.
inline BatchPtr makeTestBatch(const std::string& tag, std::size_t count,
                              std::size_t record_size = 200, const std::string& tenant = "contoso",
                              const std::string& content_type = "Audit.Exchange") {
  auto batch = std::make_shared<RecordBatch>();
  batch->content.stream = StreamKey{tenant, content_type};
  batch->content.content_id = "content-" + tag;
  batch->body = "[";
  auto add = [&](std::string& s, std::string_view v) {
    Span span{static_cast<std::uint32_t>(s.size()), static_cast<std::uint32_t>(v.size())};
    s.append(v);
    return span;
  };
  for (std::size_t i = 0; i < count; ++i) {
    std::string id = tag + "-" + std::to_string(i);
    std::string rec =
        R"({"CreationTime":"2025-01-14T09:45:12","Id":")" + id +
        R"(","Operation":"MailItemsAccessed","RecordType":50,"Workload":"Exchange","Pad":")";
    if (rec.size() + 2 < record_size) rec.append(record_size - rec.size() - 2, 'x');
    rec += "\"}";
    if (i) batch->body += ",";
    RecordMeta meta;
    meta.raw = add(batch->body, rec);
    meta.id = add(batch->arena, id);
    meta.operation = add(batch->arena, "MailItemsAccessed");
    meta.record_type = add(batch->arena, "50");
    meta.workload = add(batch->arena, "Exchange");
    meta.creation_time = parseUtc("2025-01-14T09:45:12");
    batch->records.push_back(meta);
  }
  batch->body += "]";
  return batch;
}

inline std::vector<std::string> rawRecords(const RecordBatch& batch) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < batch.size(); ++i) out.emplace_back(batch.raw(i));
  return out;
}

// Counts callbacks per send and keeps the reports.
class CallbackLog {
 public:
  DeliveryCallback callback(std::size_t slot) {
    {
      std::lock_guard lock(mu_);
      if (reports_.size() <= slot) reports_.resize(slot + 1);
    }
    return [this, slot](DeliveryReport report) {
      std::lock_guard lock(mu_);
      reports_[slot].push_back(std::move(report));
    };
  }
  std::size_t calls(std::size_t slot) const {
    std::lock_guard lock(mu_);
    return slot < reports_.size() ? reports_[slot].size() : 0;
  }
  DeliveryReport report(std::size_t slot) const {
    std::lock_guard lock(mu_);
    return reports_.at(slot).at(0);
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::vector<DeliveryReport>> reports_;
};

template <typename Traits>
class SinkContractTest : public ::testing::Test {
 protected:
  Traits traits_;
};

TYPED_TEST_SUITE_P(SinkContractTest);

TYPED_TEST_P(SinkContractTest, DoneFiresExactlyOnceAndDataArrives) {
  auto sink = this->traits_.make();
  ASSERT_TRUE(sink->start().ok());
  CallbackLog log;
  std::vector<std::string> sent;
  for (std::size_t i = 0; i < 10; ++i) {
    BatchPtr batch = makeTestBatch("b" + std::to_string(i), 5);
    auto raws = rawRecords(*batch);
    sent.insert(sent.end(), raws.begin(), raws.end());
    sink->send(batch, log.callback(i), std::stop_token{});
  }
  ASSERT_TRUE(sink->flush(std::chrono::seconds(30)).ok());
  for (std::size_t i = 0; i < 10; ++i) {
    ASSERT_EQ(log.calls(i), 1u) << "batch " << i;
    EXPECT_EQ(log.report(i).status, DeliveryStatus::kDelivered);
  }
  auto got = this->traits_.destination();
  std::sort(got.begin(), got.end());
  std::sort(sent.begin(), sent.end());
  EXPECT_EQ(got, sent);
  SinkStats stats = sink->stats();
  EXPECT_EQ(stats.delivered, 50u);
  EXPECT_EQ(stats.queued, 0u);
  EXPECT_EQ(stats.state, SinkState::kUp);
  sink->stop();
}

TYPED_TEST_P(SinkContractTest, EmptyBatchIsAcknowledgedOnce) {
  auto sink = this->traits_.make();
  ASSERT_TRUE(sink->start().ok());
  CallbackLog log;
  sink->send(makeTestBatch("empty", 0), log.callback(0), std::stop_token{});
  ASSERT_TRUE(sink->flush(std::chrono::seconds(30)).ok());
  ASSERT_EQ(log.calls(0), 1u);
  EXPECT_EQ(log.report(0).status, DeliveryStatus::kDelivered);
}

TYPED_TEST_P(SinkContractTest, FlushWaitsForOutstandingBatches) {
  auto sink = this->traits_.make();
  ASSERT_TRUE(sink->start().ok());
  this->traits_.stall();
  CallbackLog log;
  for (std::size_t i = 0; i < 3; ++i)
    sink->send(makeTestBatch("f" + std::to_string(i), 2), log.callback(i), {});
  EXPECT_FALSE(sink->flush(std::chrono::milliseconds(50)).ok());
  EXPECT_EQ(log.calls(0) + log.calls(1) + log.calls(2), 0u);
  EXPECT_GT(sink->stats().queued, 0u);
  this->traits_.unstall();
  ASSERT_TRUE(sink->flush(std::chrono::seconds(30)).ok());
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(log.calls(i), 1u);
  EXPECT_EQ(this->traits_.destination().size(), 6u);
  EXPECT_EQ(sink->stats().queued, 0u);
}

TYPED_TEST_P(SinkContractTest, StopReportsPendingAsRetryable) {
  auto sink = this->traits_.make();
  ASSERT_TRUE(sink->start().ok());
  this->traits_.stall();
  CallbackLog log;
  for (std::size_t i = 0; i < 3; ++i)
    sink->send(makeTestBatch("s" + std::to_string(i), 2), log.callback(i), {});
  sink->stop();
  for (std::size_t i = 0; i < 3; ++i) {
    ASSERT_EQ(log.calls(i), 1u) << "batch " << i;
    DeliveryReport report = log.report(i);
    EXPECT_EQ(report.status, DeliveryStatus::kRetryable);
    EXPECT_TRUE(report.error.has_value());
  }
  this->traits_.unstall();
  sink->stop();  // idempotent
  EXPECT_TRUE(this->traits_.destination().empty());
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(log.calls(i), 1u);
}

TYPED_TEST_P(SinkContractTest, SendAfterStopIsRetryable) {
  auto sink = this->traits_.make();
  ASSERT_TRUE(sink->start().ok());
  sink->stop();
  CallbackLog log;
  sink->send(makeTestBatch("late", 1), log.callback(0), {});
  ASSERT_EQ(log.calls(0), 1u);
  EXPECT_EQ(log.report(0).status, DeliveryStatus::kRetryable);
}

TYPED_TEST_P(SinkContractTest, StopTokenUnblocksASendWaitingForQueueSpace) {
  auto sink = this->traits_.make(1000);  // about one batch of 4 x 200 bytes
  ASSERT_TRUE(sink->start().ok());
  this->traits_.stall();
  CallbackLog log;
  sink->send(makeTestBatch("first", 4), log.callback(0), {});
  std::stop_source stop;
  std::atomic<bool> returned{false};
  std::thread blocked([&] {
    sink->send(makeTestBatch("second", 4), log.callback(1), stop.get_token());
    returned = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(returned.load()) << "send() must block while the queue is full";
  EXPECT_EQ(log.calls(1), 0u);
  stop.request_stop();
  blocked.join();
  ASSERT_EQ(log.calls(1), 1u);
  EXPECT_EQ(log.report(1).status, DeliveryStatus::kRetryable);
  this->traits_.unstall();
  ASSERT_TRUE(sink->flush(std::chrono::seconds(30)).ok());
  ASSERT_EQ(log.calls(0), 1u);
  EXPECT_EQ(log.report(0).status, DeliveryStatus::kDelivered);
  EXPECT_EQ(this->traits_.destination(), rawRecords(*makeTestBatch("first", 4)));
}

TYPED_TEST_P(SinkContractTest, ConcurrentSenders) {
  auto sink = this->traits_.make();
  ASSERT_TRUE(sink->start().ok());
  constexpr std::size_t kThreads = 4, kBatches = 25, kRecords = 4;
  CallbackLog log;
  for (std::size_t s = 0; s < kThreads * kBatches; ++s) (void)log.callback(s);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (std::size_t b = 0; b < kBatches; ++b) {
        std::size_t slot = t * kBatches + b;
        sink->send(makeTestBatch("t" + std::to_string(slot), kRecords, 100 + 37 * b),
                   log.callback(slot), {});
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_TRUE(sink->flush(std::chrono::seconds(60)).ok());
  std::vector<std::string> sent;
  for (std::size_t slot = 0; slot < kThreads * kBatches; ++slot) {
    ASSERT_EQ(log.calls(slot), 1u) << "slot " << slot;
    EXPECT_EQ(log.report(slot).status, DeliveryStatus::kDelivered);
    auto raws = rawRecords(
        *makeTestBatch("t" + std::to_string(slot), kRecords, 100 + 37 * (slot % kBatches)));
    sent.insert(sent.end(), raws.begin(), raws.end());
  }
  auto got = this->traits_.destination();
  std::sort(got.begin(), got.end());
  std::sort(sent.begin(), sent.end());
  EXPECT_EQ(got, sent);  // every record intact, none twice, none interleaved
}

REGISTER_TYPED_TEST_SUITE_P(SinkContractTest, DoneFiresExactlyOnceAndDataArrives,
                            EmptyBatchIsAcknowledgedOnce, FlushWaitsForOutstandingBatches,
                            StopReportsPendingAsRetryable, SendAfterStopIsRetryable,
                            StopTokenUnblocksASendWaitingForQueueSpace, ConcurrentSenders);

}  // namespace o365fwd::testing
