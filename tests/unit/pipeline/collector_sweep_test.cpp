// The deep sweep (collection.sweep_interval): planning, due times, the lateness histogram, and the
// Collector's scheduling of sweeps under a FakeClock.
#include <gtest/gtest.h>

#include <thread>

#include "pipeline/collector.h"
#include "pipeline/deep_sweep.h"
#include "tests/fakes/fake_content_source.h"
#include "tests/fakes/memory_sink.h"
#include "tests/fakes/memory_state_store.h"
#include "tests/support/temp_dir.h"

namespace o365fwd {
namespace {

using namespace std::chrono_literals;
using std::chrono::hours;
using testing::FakeBlob;
using testing::FakeContentSource;
using testing::MemorySink;
using testing::MemoryStateStore;

const StreamKey kExchange{"contoso", "Audit.Exchange"};
const WallTime kNow = WallTime(std::chrono::seconds(1'736'856'000));  // 2025-01-14T12:00:00Z

TEST(PlanSweep, CoversTheRetentionOlderThanTheLiveListingInWindowsOfAtMostADay) {
  SweepPlanInput in;
  in.watermark = kNow - 5min;
  in.server_now = kNow;
  in.overlap = 12h;
  auto windows = planSweep(in);
  ASSERT_FALSE(windows.empty());
  EXPECT_EQ(windows.front().start, kNow - hours(24 * 7) + 10min);  // retention minus the margin
  EXPECT_EQ(windows.back().end, kNow - 5min - 12h);                // where the live listing starts
  for (std::size_t i = 0; i < windows.size(); ++i) {
    EXPECT_LE(windows[i].end - windows[i].start, hours(24));
    EXPECT_LT(windows[i].start, windows[i].end);
    if (i > 0) {
      EXPECT_EQ(windows[i].start, windows[i - 1].end);
    }
  }
  EXPECT_EQ(windows.size(), 7u);  // 6 d 11 h 45 min in ≤ 24 h windows
}

TEST(PlanSweep, StartsAtTheFloorAndIsEmptyForAYoungStream) {
  SweepPlanInput in;
  in.watermark = kNow;
  in.server_now = kNow;
  in.overlap = 12h;
  in.floor = kNow - 30h;
  auto windows = planSweep(in);
  ASSERT_EQ(windows.size(), 1u);
  EXPECT_EQ(windows[0], (ListingWindow{kNow - 30h, kNow - 12h}));
  in.floor = kNow - 11h;  // everything since the first listing is still re-listed live
  EXPECT_TRUE(planSweep(in).empty());
  in.floor = kNow - hours(24 * 30);  // older than the retention: clamped
  EXPECT_EQ(planSweep(in).front().start, kNow - hours(24 * 7) + 10min);
}

TEST(SweepDue, FirstAlwaysThenEveryIntervalAndNeverWhenDisabled) {
  EXPECT_TRUE(sweepDue(std::nullopt, kNow, 1h));
  EXPECT_FALSE(sweepDue(kNow - 59min, kNow, 1h));
  EXPECT_TRUE(sweepDue(kNow - 60min, kNow, 1h));
  EXPECT_FALSE(sweepDue(std::nullopt, kNow, 0ms));
  EXPECT_TRUE(sweepDue(kNow + 3h, kNow, 1h)) << "a last sweep in the future (clock stepped back)";
}

TEST(LatenessHistogram, CountsEachObservationInTheFirstBucketThatHoldsIt) {
  LatenessHistogram h;
  h.observe(5min);        // <= 300 s
  h.observe(301s);        // (300, 900]
  h.observe(hours(20));   // (12 h, 24 h]
  h.observe(hours(200));  // +Inf
  EXPECT_EQ(h.counts[0], 1u);
  EXPECT_EQ(h.counts[1], 1u);
  EXPECT_EQ(h.counts[5], 1u);
  EXPECT_EQ(h.counts[10], 1u);
  EXPECT_EQ(h.count, 4u);
  EXPECT_DOUBLE_EQ(h.sum_seconds, 300 + 301 + 20 * 3600 + 200 * 3600);
  FirstListings seen(2);
  EXPECT_TRUE(seen.firstTime("a"));
  EXPECT_FALSE(seen.firstTime("a"));
  EXPECT_TRUE(seen.firstTime("b"));
  EXPECT_TRUE(seen.firstTime("c"));  // forgets "a", the oldest
  EXPECT_TRUE(seen.firstTime("a"));
}

std::string body(const std::string& id) {
  return R"([{"CreationTime":"2025-01-14T09:31:07","Id":")" + id +
         R"(","Operation":"Send","RecordType":2,"Workload":"Exchange"}])";
}

// A daemon Collector on a FakeClock; the test moves time and waits (bounded) for its effects.
struct SweepHarness {
  FakeClock clock{kNow};
  Random random{7};
  MemoryStateStore store;
  StatusBoard status{clock};
  ::o365fwd::testing::TempDir dir;
  DeadLetterWriter dead_letters{dir.path(), clock};
  FakeContentSource source;
  MemorySink sink{"mem"};

  void add(const std::string& id, WallTime created) {
    FakeBlob b;
    b.ref.stream = kExchange;
    b.ref.content_id = id;
    b.ref.content_uri = "https://manage.office.com/api/v1.0/t/activity/feed/audit/" + id;
    b.ref.created = created;
    b.ref.expiration = created + hours(24 * 7);
    b.body = body(id);
    source.addBlob(b);
  }
  CollectorOptions options(CollectorMode mode) {
    CollectorOptions o;
    o.mode = mode;
    o.collection.max_concurrent_downloads = 2;
    o.collection.initial_lookback = hours(48);
    o.collection.overlap = 12h;
    o.collection.poll_interval = 60s;
    o.collection.sweep_interval = 1h;
    o.delivery_backoff = {1ms, 5ms, 1ms};
    o.cycle_backoff = {1ms, 5ms, 1ms};
    o.committer.commit_interval = 5ms;
    return o;
  }
  StreamStatus stream() const { return status.snapshot().at(0); }
};

template <typename F>
bool eventually(F&& predicate) {
  for (int i = 0; i < 1000; ++i) {  // up to 10 s of real time
    if (predicate()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return predicate();
}

bool listedBelow(const FakeContentSource& source, WallTime t, std::size_t from) {
  for (std::size_t i = from; i < source.windows.size(); ++i)
    if (source.windows[i].start < t) return true;
  return false;
}

TEST(CollectorSweep, DaemonSweepsOncePerIntervalAndCollectsALateBlobOnlyThen) {
  SweepHarness h;
  h.add("on-time", kNow - 1h);
  ASSERT_TRUE(h.sink.start().ok());
  Collector collector(h.options(CollectorMode::kDaemon), {{kExchange, &h.source, nullptr}},
                      {&h.sink}, h.store, h.status, h.dead_letters, h.clock, h.random);
  // The runner stops with its own token: a failed ASSERT returns, and the jthread stops it.
  std::jthread runner([&](std::stop_token stop) { collector.run(stop); });

  ASSERT_TRUE(eventually([&] { return h.stream().sweeps_completed == 1; }));
  EXPECT_EQ(h.store.sweepRecord(kExchange)->floor, kNow - hours(48)) << "first listing start";
  EXPECT_EQ(h.store.sweepRecord(kExchange)->last_sweep, kNow);
  EXPECT_EQ(h.sink.records().size(), 1u);
  // The late blob: created 30 h ago, far below the live listing's reach (watermark - 12 h).
  h.add("late", kNow - 30h);
  std::size_t before = h.source.windows.size();
  h.clock.advance(30min);  // live cycles run; no sweep is due yet
  ASSERT_TRUE(eventually([&] { return h.stream().last_poll == kNow + 30min; }));
  ASSERT_TRUE(eventually([&] { return h.source.windows.size() > before; }));
  std::this_thread::sleep_for(300ms);  // the sweeper had time to (wrongly) start
  EXPECT_EQ(h.stream().sweeps_completed, 1u);
  EXPECT_EQ(h.source.fetchesOf("late"), 0);
  EXPECT_FALSE(listedBelow(h.source, kNow - 12h, before)) << "live cycles stay above wm - overlap";

  h.clock.advance(31min);  // 61 min after the first sweep: the second one is due
  ASSERT_TRUE(eventually([&] { return h.stream().sweeps_completed == 2; }));
  EXPECT_EQ(h.source.fetchesOf("late"), 1);
  EXPECT_EQ(h.sink.records().size(), 2u);
  StreamStatus s = h.stream();
  EXPECT_EQ(s.late_blobs, 1u);
  EXPECT_GE(s.max_lateness_seconds, 31 * 3600);
  EXPECT_EQ(s.lateness.count, 2u);  // every newly listed blob: the on-time one and the late one
  EXPECT_EQ(s.lateness.counts[6], 1u) << "31 h lies in (24 h, 48 h]";
  EXPECT_EQ(h.store.sweepRecord(kExchange)->last_sweep, kNow + 61min);
  runner.request_stop();
}

TEST(CollectorSweep, AParkedStreamSweepsAgainWhenTheWallClockStepsBackBeyondTheInterval) {
  // After its first sweep a daemon's stream is parked until its next sweep falls due (an hour
  // later by the wall clock). A wall clock stepped back by more than the interval makes the
  // stored sweep time lie in the future: sweepDue() says due, and the parked stream must be seen.
  SweepHarness h;
  h.add("on-time", kNow - 1h);
  ASSERT_TRUE(h.sink.start().ok());
  Collector collector(h.options(CollectorMode::kDaemon), {{kExchange, &h.source, nullptr}},
                      {&h.sink}, h.store, h.status, h.dead_letters, h.clock, h.random);
  // The runner stops with its own token: a failed ASSERT returns, and the jthread stops it.
  std::jthread runner([&](std::stop_token stop) { collector.run(stop); });
  ASSERT_TRUE(eventually([&] { return h.stream().sweeps_completed == 1; }));
  std::this_thread::sleep_for(500ms);  // a scan has parked it
  EXPECT_EQ(h.stream().sweeps_completed, 1u);
  h.clock.setWall(kNow - 3h);
  ASSERT_TRUE(eventually([&] { return h.stream().sweeps_completed == 2; }));
  runner.request_stop();
}

TEST(CollectorSweep, OnceSweepsWhenTheStoredSweepIsOlderThanTheIntervalAndRecordsIt) {
  SweepHarness h;
  h.add("a", kNow - 2h);
  ASSERT_TRUE(h.sink.start().ok());
  auto run = [&] {
    Collector collector(h.options(CollectorMode::kOnce), {{kExchange, &h.source, nullptr}},
                        {&h.sink}, h.store, h.status, h.dead_letters, h.clock, h.random);
    std::stop_source never;
    return collector.run(never.get_token());
  };
  EXPECT_TRUE(run().complete);
  // A first run's listing goes from the floor (48 h ago) to now: it is stored as the first sweep,
  // and nothing is listed a second time (two 24 h windows, not four).
  EXPECT_EQ(h.store.sweepsRecorded(), 1);
  EXPECT_EQ(h.store.sweepRecord(kExchange)->last_sweep, kNow);
  EXPECT_EQ(h.source.windows.size(), 2u);
  EXPECT_EQ(h.source.fetchesOf("a"), 1);
  h.add("late", kNow - 40h);
  h.clock.advance(20min);
  std::size_t before = h.source.windows.size();
  EXPECT_TRUE(run().complete);
  EXPECT_EQ(h.store.sweepsRecorded(), 1) << "the last sweep is 20 min old: no sweep";
  EXPECT_FALSE(listedBelow(h.source, kNow - 12h, before));
  EXPECT_EQ(h.source.fetchesOf("late"), 0);
  h.clock.advance(45min);
  EXPECT_TRUE(run().complete);
  EXPECT_EQ(h.store.sweepsRecorded(), 2);
  EXPECT_EQ(h.source.fetchesOf("late"), 1);
  EXPECT_EQ(h.sink.records().size(), 2u);
}

TEST(CollectorSweep, ConcurrentSweepersCollectEveryLateBlobExactlyOnce) {
  SweepHarness h;
  const char* kTypes[] = {"Audit.Exchange", "Audit.General", "Audit.SharePoint"};
  std::vector<StreamSpec> streams;
  for (int t = 0; t < 4; ++t)
    for (const char* type : kTypes)
      streams.push_back({{"tenant" + std::to_string(t), type}, &h.source, nullptr});
  std::vector<std::string> ids;
  auto add = [&](const StreamKey& key, WallTime created) {
    FakeBlob blob;
    blob.ref.stream = key;
    blob.ref.content_id = key.str() + "-" + std::to_string(ids.size());
    blob.ref.content_uri =
        "https://manage.office.com/api/v1.0/t/activity/feed/audit/" + std::to_string(ids.size());
    blob.ref.created = created;
    blob.ref.expiration = created + hours(24 * 7);
    blob.body = body("id-" + std::to_string(ids.size()));
    h.source.addBlob(blob);
    ids.push_back(blob.ref.content_id);
  };
  for (const StreamSpec& s : streams) add(s.key, kNow - 1h);
  ASSERT_TRUE(h.sink.start().ok());
  CollectorOptions o = h.options(CollectorMode::kOnce);
  o.streams_per_sweeper = 2;  // 12 streams: 6 sweepers at once
  auto run = [&] {
    Collector collector(o, streams, {&h.sink}, h.store, h.status, h.dead_letters, h.clock,
                        h.random);
    std::stop_source never;
    return collector.run(never.get_token());
  };
  EXPECT_TRUE(run().complete);
  // Late blobs in every stream, 30 h and 40 h old: below the live listing (watermark - 12 h).
  for (const StreamSpec& s : streams) {
    add(s.key, kNow - 30h);
    add(s.key, kNow - 40h);
  }
  h.clock.advance(65min);  // the next run's sweep is due
  EXPECT_TRUE(run().complete);
  EXPECT_EQ(h.sink.records().size(), ids.size());
  for (const std::string& id : ids) EXPECT_EQ(h.source.fetchesOf(id), 1) << id;
  EXPECT_EQ(h.store.sweepsRecorded(), 24);  // every stream swept in each run
}

TEST(CollectorSweep, ZeroIntervalNeverSweeps) {
  SweepHarness h;
  h.add("a", kNow - 2h);
  ASSERT_TRUE(h.sink.start().ok());
  CollectorOptions o = h.options(CollectorMode::kOnce);
  o.collection.sweep_interval = 0ms;
  Collector collector(o, {{kExchange, &h.source, nullptr}}, {&h.sink}, h.store, h.status,
                      h.dead_letters, h.clock, h.random);
  std::stop_source never;
  EXPECT_TRUE(collector.run(never.get_token()).complete);
  EXPECT_EQ(h.store.sweepsRecorded(), 0);
  EXPECT_FALSE(h.store.sweepRecord(kExchange)->floor);
  EXPECT_FALSE(listedBelow(h.source, kNow - 48h, 0));
}

}  // namespace
}  // namespace o365fwd
