#include "pipeline/collector.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "core/time_format.h"
#include "tests/fakes/fake_content_source.h"
#include "tests/fakes/memory_sink.h"
#include "tests/fakes/memory_state_store.h"
#include "tests/support/temp_dir.h"

namespace o365fwd {
namespace {

using namespace std::chrono_literals;
using testing::FakeBlob;
using testing::FakeContentSource;
using testing::MemorySink;
using testing::MemoryStateStore;

const StreamKey kExchange{"contoso", "Audit.Exchange"};

std::string record(const std::string& id, const std::string& op = "Send") {
  return R"({"CreationTime":"2025-01-14T09:31:07","Id":")" + id + R"(","Operation":")" + op +
         R"(","RecordType":2,"Workload":"Exchange","ObjectId":"https:\/\/x.example\/a"})";
}

std::string blobOf(const std::vector<std::string>& records) {
  std::string body = "[";
  for (std::size_t i = 0; i < records.size(); ++i) body += (i ? ",\n " : "") + records[i];
  return body + "]";
}

struct Harness {
  SystemClock clock;
  Random random{7};
  MemoryStateStore store;
  StatusBoard status{clock};
  testing::TempDir dir;
  DeadLetterWriter dead_letters{dir.path(), clock};
  FakeContentSource source;
  MemorySink sink{"mem"};
  MemorySink second{"mem2"};
  WallTime now = clock.wallNow();
  std::shared_ptr<const RecordFilter> filter;  // the stream's record filters (null: none)

  void add(const std::string& content_id, std::chrono::minutes age,
           std::vector<std::string> records, const StreamKey& stream = kExchange) {
    FakeBlob b;
    b.ref.stream = stream;
    b.ref.content_id = content_id;
    b.ref.content_uri = "https://manage.office.com/api/v1.0/t/activity/feed/audit/" + content_id;
    b.ref.created = now - age;
    b.ref.expiration = b.ref.created + std::chrono::hours(24 * 7);
    b.body = blobOf(records);
    source.addBlob(b);
  }

  CollectorOptions options(CollectorMode mode = CollectorMode::kOnce) {
    CollectorOptions o;
    o.mode = mode;
    o.collection.max_concurrent_downloads = 4;
    o.collection.initial_lookback = std::chrono::hours(48);
    o.collection.max_blob_attempts = 2;
    o.delivery_backoff = {1ms, 5ms, 1ms};
    o.cycle_backoff = {1ms, 5ms, 1ms};
    o.committer.commit_interval = 10ms;
    return o;
  }

  CollectorResult runOnce(std::vector<Sink*> sinks, CollectorOptions o) {
    for (Sink* s : sinks) EXPECT_TRUE(s->start().ok());
    Collector collector(o, {{kExchange, &source, filter}}, sinks, store, status, dead_letters,
                        clock, random);
    std::stop_source never;
    return collector.run(never.get_token());
  }
};

std::multiset<std::string> ids(const MemorySink& sink) {
  std::multiset<std::string> out;
  for (const BatchPtr& b : sink.batches())
    for (std::size_t i = 0; i < b->size(); ++i)
      out.insert(std::string(b->id(i)) + "/" + std::string(b->operation(i)));
  return out;
}

// A sink policy that rejects (for its size) every record with this Id and delivers the rest.
MemorySink::Policy rejecting(std::string id) {
  return [id = std::move(id)](const RecordBatch& b) {
    DeliveryReport r;
    for (std::uint32_t i = 0; i < b.size(); ++i)
      if (b.id(i) == id) r.rejected.push_back({i, "too large"});
    return r;
  };
}

TEST(Collector, OnceDeliversEveryRecordOnceAcrossPagesAndWindows) {
  Harness h;
  for (int i = 0; i < 10; ++i)
    h.add("blob" + std::to_string(i), std::chrono::minutes(60 * 3 * i + 5),
          {record("r" + std::to_string(i) + "a"), record("r" + std::to_string(i) + "b")});
  CollectorResult result = h.runOnce({&h.sink}, h.options());
  EXPECT_TRUE(result.complete);
  auto got = ids(h.sink);
  EXPECT_EQ(got.size(), 20u);
  EXPECT_EQ(std::set<std::string>(got.begin(), got.end()).size(), 20u);
  EXPECT_GE(h.source.windows.size(), 2u);  // 48 h lookback -> at least two ≤24 h windows
  for (const ListingWindow& w : h.source.windows)
    EXPECT_LE(w.end - w.start, std::chrono::hours(24));
  auto wm = h.store.watermark(kExchange);
  ASSERT_TRUE(wm.ok() && wm->has_value());
  EXPECT_GE(**wm,
            h.now - std::chrono::seconds(1));  // everything resolved: watermark at the listing end
  auto totals = h.status.totals();
  EXPECT_EQ(totals.events_forwarded, 20u);
  EXPECT_EQ(totals.blobs_done, 10u);
}

TEST(Collector, SecondRunForwardsNothingAgain) {
  Harness h;
  h.add("b1", 30min, {record("x1"), record("x2")});
  EXPECT_TRUE(h.runOnce({&h.sink}, h.options()).complete);
  MemorySink again{"again"};
  EXPECT_TRUE(h.runOnce({&again}, h.options()).complete);
  EXPECT_TRUE(again.records().empty());
  EXPECT_EQ(h.source.fetchesOf("b1"), 1);  // done blobs are not downloaded again
}

TEST(Collector, DuplicatesAcrossBlobsAreDroppedButMatchAndUndoSurvive) {
  Harness h;
  h.add("b1", 50min, {record("same"), record("dlp", "DlpRuleMatch")});
  h.add("b2", 40min, {record("same"), record("dlp", "DlpRuleUndo"), record("new")});
  EXPECT_TRUE(h.runOnce({&h.sink}, h.options()).complete);
  auto got = ids(h.sink);
  EXPECT_EQ(got, (std::multiset<std::string>{"same/Send", "dlp/DlpRuleMatch", "dlp/DlpRuleUndo",
                                             "new/Send"}));
  EXPECT_EQ(h.status.totals().duplicates_dropped, 1u);
}

TEST(Collector, RetryableSinkIsRetriedAndTheOtherSinkGetsTheBlobOnce) {
  Harness h;
  h.add("b1", 30min, {record("a"), record("b")});
  std::atomic<int> calls{0};
  h.second.setPolicy([&](const RecordBatch&) {
    DeliveryReport r;
    if (++calls <= 2) {
      r.status = DeliveryStatus::kRetryable;
      r.error = Error::retryableError(ErrorKind::kSink, "receiver down");
    }
    return r;
  });
  EXPECT_TRUE(h.runOnce({&h.sink, &h.second}, h.options()).complete);
  EXPECT_EQ(h.sink.records().size(), 2u);    // not re-sent to the sink that had it
  EXPECT_EQ(h.second.records().size(), 2u);  // delivered on the third attempt
  EXPECT_EQ(calls.load(), 3);
}

// An error only the operator can fix (sinks/sink.h needsOperator) ends a run --once at once:
// one attempt for the blob that met it, the others are not sent, no further cycles.
TEST(Collector, OnceStopsAtASinkErrorThatNeedsTheOperator) {
  Harness h;
  for (int i = 0; i < 6; ++i)
    h.add("b" + std::to_string(i), std::chrono::minutes(10 + i), {record("r" + std::to_string(i))});
  std::atomic<int> calls{0};
  h.sink.setPolicy([&](const RecordBatch&) {
    ++calls;
    DeliveryReport r;
    r.status = DeliveryStatus::kRetryable;
    r.error = Error::permanent(ErrorKind::kConfig, "topic \"t\" does not exist; create it",
                               "UNKNOWN_TOPIC_OR_PART");
    return r;
  });
  CollectorOptions o = h.options();
  o.collection.max_concurrent_downloads = 1;
  CollectorResult result = h.runOnce({&h.sink}, o);
  EXPECT_FALSE(result.complete);
  ASSERT_EQ(result.problems.size(), 1u);
  EXPECT_NE(result.problems[0].find("a sink needs the operator (UNKNOWN_TOPIC_OR_PART)"),
            std::string::npos)
      << result.problems[0];
  EXPECT_LE(calls.load(), 2);  // no retries, no second cycle (the one in flight may be sent)
  EXPECT_EQ(h.status.totals().blobs_done, 0u);
}

// The daemon keeps retrying the same error (the operator may fix it at any time).
TEST(Collector, DaemonRetriesASinkErrorThatNeedsTheOperatorUntilItHeals) {
  Harness h;
  h.add("b1", 30min, {record("a")});
  std::atomic<int> calls{0};
  h.sink.setPolicy([&](const RecordBatch&) {
    DeliveryReport r;
    if (++calls <= 3) {
      r.status = DeliveryStatus::kRetryable;
      r.error =
          Error::permanent(ErrorKind::kPermission, "not authorized", "TOPIC_AUTHORIZATION_FAILED");
    }
    return r;
  });
  ASSERT_TRUE(h.sink.start().ok());
  Collector collector(h.options(CollectorMode::kDaemon), {{kExchange, &h.source, nullptr}},
                      {&h.sink}, h.store, h.status, h.dead_letters, h.clock, h.random);
  std::stop_source stop;
  std::jthread runner([&] { collector.run(stop.get_token()); });
  for (int i = 0; i < 500 && h.status.totals().blobs_done == 0; ++i)
    std::this_thread::sleep_for(10ms);
  stop.request_stop();
  runner.join();
  EXPECT_EQ(h.status.totals().blobs_done, 1u);
  EXPECT_EQ(calls.load(), 4);
}

// Records without Id and with ill-formed UTF-8 are forwarded and counted per stream; dead letters
// and lost blobs of this run are counted apart from the persisted totals.
TEST(Collector, OddRecordsAreForwardedAndCountedAndRunLossIsCounted) {
  Harness h;
  h.add("b1", 30min,
        {record("a"), R"({"Operation":"NoId"})", R"({"Id":7,"Operation":"NumericId"})",
         "{\"Id\":\"bad\",\"Operation\":\"x\xC3\"}"});
  h.add("b2", 20min, {R"({"Operation":"NoId"})", record("b")});
  h.sink.setPolicy(rejecting("b"));
  EXPECT_TRUE(h.runOnce({&h.sink}, h.options()).complete);
  EXPECT_EQ(h.sink.records().size(), 5u);  // all but the rejected one, the no-Id twins included
  auto totals = h.status.totals();
  EXPECT_EQ(totals.records_without_id, 3u);
  EXPECT_EQ(totals.records_invalid_utf8, 1u);
  EXPECT_EQ(totals.dead_lettered_run, 1u);
  EXPECT_EQ(totals.blobs_lost_run, 0u);
}

TEST(Collector, RejectedRecordsAreDeadLetteredAndTheBlobIsDone) {
  Harness h;
  h.add("b1", 30min, {record("ok"), record("huge")});
  h.sink.setPolicy(rejecting("huge"));
  EXPECT_TRUE(h.runOnce({&h.sink}, h.options()).complete);
  EXPECT_EQ(h.dead_letters.count(), 1u);
  EXPECT_EQ(h.status.totals().events_forwarded, 1u);
  EXPECT_EQ(h.status.totals().dead_lettered, 1u);
}

TEST(Collector, TransientDownloadFailureIsRetriedInALaterCycle) {
  Harness h;
  FakeBlob b;
  b.ref.stream = kExchange;
  b.ref.content_id = "flaky";
  b.ref.created = h.now - 30min;
  b.ref.expiration = h.now + 1h;
  b.body = blobOf({record("a")});
  b.fail_fetches = 2;
  h.source.addBlob(b);
  CollectorResult result = h.runOnce({&h.sink}, h.options());
  EXPECT_TRUE(result.complete);
  EXPECT_EQ(h.sink.records().size(), 1u);
  EXPECT_EQ(h.source.fetchesOf("flaky"), 3);
}

TEST(Collector, ExpiredBlobIsCountedLostNotSkippedSilently) {
  Harness h;
  FakeBlob b;
  b.ref.stream = kExchange;
  b.ref.content_id = "old";
  b.ref.created = h.now - 30min;
  b.ref.expiration = h.now - 1min;
  b.body = blobOf({record("z")});
  h.source.addBlob(b);
  FakeBlob gone = b;
  gone.ref.content_id = "gone";
  gone.ref.expiration = h.now + 1h;
  gone.permanent_error = "AF20051";
  h.source.addBlob(gone);
  EXPECT_TRUE(h.runOnce({&h.sink}, h.options()).complete);
  EXPECT_TRUE(h.sink.records().empty());
  EXPECT_EQ(h.status.totals().blobs_lost, 2u);
  EXPECT_EQ(h.source.fetchesOf("old"), 0);
}

TEST(Collector, PermissionErrorOnABlobKeepsItNotDone) {
  Harness h;
  FakeBlob b;
  b.ref.stream = kExchange;
  b.ref.content_id = "forbidden";
  b.ref.created = h.now - 30min;
  b.ref.expiration = h.now + 1h;
  b.body = blobOf({record("p")});
  b.permanent_error = "AF10001";  // consent withdrawn: the operator must act, the blob must wait
  h.source.addBlob(b);
  CollectorResult result = h.runOnce({&h.sink}, h.options());
  EXPECT_FALSE(result.complete);
  EXPECT_EQ(h.dead_letters.count(), 0u);
  auto done = h.store.blobsDone(kExchange, {"forbidden"});
  ASSERT_TRUE(done.ok());
  EXPECT_FALSE((*done)[0]);
  auto snap = h.status.snapshot();
  ASSERT_TRUE(snap[0].last_error.has_value());
  EXPECT_EQ(snap[0].last_error->code, "AF10001");
}

TEST(Collector, InvalidJsonIsRetriedThenDeadLettered) {
  Harness h;
  FakeBlob b;
  b.ref.stream = kExchange;
  b.ref.content_id = "broken";
  b.ref.created = h.now - 30min;
  b.ref.expiration = h.now + 1h;
  b.body = "[{\"Id\":\"a\"";
  h.source.addBlob(b);
  CollectorResult result = h.runOnce({&h.sink}, h.options());  // max_blob_attempts = 2
  EXPECT_TRUE(result.complete);
  EXPECT_EQ(h.source.fetchesOf("broken"), 2);
  EXPECT_EQ(h.dead_letters.count(), 1u);
  auto done = h.store.blobsDone(kExchange, {"broken"});
  ASSERT_TRUE(done.ok());
  EXPECT_TRUE((*done)[0]);
}

TEST(Collector, FailedBlobHoldsTheWatermark) {
  Harness h;
  h.add("early", 120min, {record("e")});
  FakeBlob stuck;
  stuck.ref.stream = kExchange;
  stuck.ref.content_id = "stuck";
  stuck.ref.created = h.now - 60min;
  stuck.ref.expiration = h.now + 1h;
  stuck.body = blobOf({record("s")});
  stuck.fail_fetches = 1000;
  h.source.addBlob(stuck);
  h.add("late", 10min, {record("l")});
  CollectorResult result = h.runOnce({&h.sink}, h.options());
  EXPECT_FALSE(result.complete);
  ASSERT_EQ(result.problems.size(), 1u);
  auto wm = h.store.watermark(kExchange);
  ASSERT_TRUE(wm.ok() && wm->has_value());
  EXPECT_EQ(**wm, stuck.ref.created);  // not past the blob that failed
  EXPECT_EQ(h.sink.records().size(), 2u);
}

TEST(Collector, SubscriptionErrorIsReportedOnTheStream) {
  Harness h;
  h.source.subscription_error = "AF20023";
  CollectorResult result = h.runOnce({&h.sink}, h.options());
  EXPECT_FALSE(result.complete);
  auto snap = h.status.snapshot();
  ASSERT_EQ(snap.size(), 1u);
  EXPECT_EQ(snap[0].state, StreamState::kDisabled);
  ASSERT_TRUE(snap[0].last_error.has_value());
  EXPECT_EQ(snap[0].last_error->code, "AF20023");
}

// A delivered blob waits for its commit holding its keys, not its body (issue 14 part 4); its
// charge on the in-flight budget stays until the commit (it bounds the uncommitted tail).
TEST(Collector, ADeliveredBlobFreesItsBodyBeforeItsCommit) {
  Harness h;
  std::vector<std::string> records;
  const std::string padding(2000, 'p');
  for (int i = 0; i < 50; ++i)
    records.push_back(R"({"Id":"big)" + std::to_string(i) + R"(","Operation":"Send","Pad":")" +
                      padding + R"("})");
  h.add("b1", std::chrono::minutes(30), records);
  h.sink.setKeepBatches(false);
  ASSERT_TRUE(h.sink.start().ok());
  CollectorOptions o = h.options(CollectorMode::kDaemon);
  o.committer.commit_interval = 3s;  // the blob waits for its commit
  Collector collector(o, {{kExchange, &h.source, nullptr}}, {&h.sink}, h.store, h.status,
                      h.dead_letters, h.clock, h.random);
  std::stop_source stop;
  std::thread runner([&] { collector.run(stop.get_token()); });
  for (int i = 0; i < 500 && h.sink.stats().delivered < 50; ++i) std::this_thread::sleep_for(10ms);
  ASSERT_EQ(h.sink.stats().delivered, 50u);
  ASSERT_EQ(h.sink.sent().size(), 1u);
  bool freed = false;
  for (int i = 0; i < 100 && !freed; ++i) {  // the report reaches the collector just after
    freed = h.sink.sent()[0].expired();
    if (!freed) std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(freed) << "the batch (~100 KB body) is still held";
  EXPECT_EQ(collector.budget().blobs(), 1u) << "the slot is held until the commit";
  EXPECT_GT(collector.budget().bytes(), 100'000u) << "and the charge";
  stop.request_stop();
  runner.join();
}

TEST(Collector, BackpressureBoundsBlobsInFlight) {
  Harness h;
  for (int i = 0; i < 40; ++i)
    h.add("b" + std::to_string(i), std::chrono::minutes(100 - i),
          {record("id" + std::to_string(i))});
  h.sink.setAutoDeliver(false);
  h.sink.setCapacity(2);
  ASSERT_TRUE(h.sink.start().ok());
  CollectorOptions o = h.options();
  Collector collector(o, {{kExchange, &h.source, nullptr}}, {&h.sink}, h.store, h.status,
                      h.dead_letters, h.clock, h.random);
  std::stop_source stop;
  std::thread runner([&] { collector.run(stop.get_token()); });
  ASSERT_TRUE(h.sink.waitPending(2, 5s));
  std::this_thread::sleep_for(100ms);
  // 4 workers: 2 batches pending in the sink, at most 2 more blocked in send(); the rest wait.
  EXPECT_LE(h.source.fetch_calls.load(), 4 * 4 + 4);
  EXPECT_LE(collector.budget().blobs(), 4u * 4u);
  for (int round = 0; round < 100 && h.sink.records().size() < 40; ++round) {
    h.sink.deliverPending();
    std::this_thread::sleep_for(10ms);
  }
  stop.request_stop();
  runner.join();
  EXPECT_EQ(h.sink.records().size(), 40u);
}

}  // namespace
}  // namespace o365fwd

namespace o365fwd {
namespace {

TEST(CollectorWindows, SkewShiftsWindowsAndTheSevenDayClampReportsTheGap) {
  Harness h;
  h.source.skew = std::chrono::hours(3);  // the server's clock runs 3 h ahead of ours
  // A watermark ten days old: everything before now - 7 d (+ margin) can no longer be listed.
  ASSERT_TRUE(h.store.commit({}, {{kExchange, h.now - std::chrono::hours(24 * 10)}}, h.now).ok());
  CollectorOptions o = h.options();
  o.collection.sweep_interval = std::chrono::milliseconds(0);  // the live windows only
  CollectorResult result = h.runOnce({&h.sink}, o);
  EXPECT_TRUE(result.complete);
  ASSERT_FALSE(h.source.windows.empty());
  WallTime server_now = h.now + std::chrono::hours(3);
  const ListingWindow& first = h.source.windows.front();
  const ListingWindow& last = h.source.windows.back();
  EXPECT_GE(first.start, server_now - std::chrono::hours(24 * 7) + std::chrono::minutes(10) -
                             std::chrono::seconds(1));
  EXPECT_LE(first.start, server_now - std::chrono::hours(24 * 7) + std::chrono::minutes(11));
  EXPECT_GE(last.end, server_now - std::chrono::seconds(2));
  EXPECT_LE(last.end, server_now + std::chrono::seconds(2));
  for (std::size_t i = 0; i < h.source.windows.size(); ++i) {
    EXPECT_LE(h.source.windows[i].end - h.source.windows[i].start, std::chrono::hours(24));
    if (i > 0) {
      EXPECT_EQ(h.source.windows[i].start, h.source.windows[i - 1].end);  // no gaps, no overlap
    }
  }
  EXPECT_EQ(h.source.windows.size(), 7u);  // ~7 days in ≤24 h windows
  auto snap = h.status.snapshot();
  ASSERT_EQ(snap.size(), 1u);
  ASSERT_TRUE(snap[0].last_error.has_value());
  EXPECT_EQ(snap[0].last_error->code, "retention_gap");
}

// Record filters: a filtered record is counted, not forwarded, and its key is committed like a
// delivered one's, so the same record in a later blob is not sent after the filters change.
TEST(Collector, FilteredRecordsAreCountedAndRecordedAsSeen) {
  Harness h;
  FilterConfig filters;
  filters.exclude.operation = {"send"};  // case does not matter
  h.filter = makeRecordFilter(filters);
  h.add("b1", 30min, {record("x1"), record("x2", "MailItemsAccessed"), record("x3")});
  h.add("b2", 20min, {record("x4", "Send")});  // a blob whose records are all filtered
  EXPECT_TRUE(h.runOnce({&h.sink}, h.options()).complete);
  EXPECT_EQ(ids(h.sink), (std::multiset<std::string>{"x2/MailItemsAccessed"}));
  auto totals = h.status.totals();
  EXPECT_EQ(totals.records_filtered, 3u);
  EXPECT_EQ(totals.records_filtered_run, 3u);
  EXPECT_EQ(totals.events_forwarded, 1u);
  EXPECT_EQ(totals.blobs_done, 2u);  // the all-filtered blob is done too
  auto stored = h.store.counters();  // committed with the blobs: survives a restart
  ASSERT_TRUE(stored.ok());
  std::uint64_t stored_filtered = 0;
  for (const StreamCounters& c : *stored) stored_filtered += c.records_filtered;
  EXPECT_EQ(stored_filtered, 3u);
  EXPECT_EQ(totals.dead_lettered, 0u);

  // The filters go; a later blob repeats a filtered record and brings a new one.
  h.filter = nullptr;
  h.add("b3", 10min, {record("x1"), record("x5")});
  MemorySink after{"after"};
  EXPECT_TRUE(h.runOnce({&after}, h.options()).complete);
  EXPECT_EQ(ids(after), (std::multiset<std::string>{"x5/Send"}));
}

TEST(Collector, ReplayAppliesTheCurrentFilters) {
  Harness h;
  h.add("b1", 30min, {record("x1"), record("x2", "MailItemsAccessed")});
  EXPECT_TRUE(h.runOnce({&h.sink}, h.options()).complete);
  FilterConfig filters;
  filters.include.operation = {"MailItemsAccessed"};
  h.filter = makeRecordFilter(filters);
  CollectorOptions o = h.options(CollectorMode::kReplay);
  o.replay_window = ListingWindow{h.now - std::chrono::hours(2), h.now};
  MemorySink replayed{"replayed"};
  EXPECT_TRUE(h.runOnce({&replayed}, o).complete);
  EXPECT_EQ(ids(replayed), (std::multiset<std::string>{"x2/MailItemsAccessed"}));
}

}  // namespace
}  // namespace o365fwd
