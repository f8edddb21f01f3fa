#include "app/status/status_snapshotter.h"

#include <gtest/gtest.h>

#include "core/time_format.h"
#include "tests/fakes/memory_sink.h"

namespace o365fwd {
namespace {

using std::chrono::hours;

TEST(JudgeLag, WarnsAt24HoursAndIsCriticalAt72) {
  LagThresholds t;
  EXPECT_EQ(judgeLag(hours(23), t), LagLevel::kOk);
  EXPECT_EQ(judgeLag(hours(24), t), LagLevel::kWarning);
  EXPECT_EQ(judgeLag(hours(71), t), LagLevel::kWarning);
  EXPECT_EQ(judgeLag(hours(72), t), LagLevel::kCritical);
  EXPECT_EQ(judgeLag(hours(6 * 24), t), LagLevel::kCritical);
  LagThresholds custom{hours(1), hours(2)};
  EXPECT_EQ(judgeLag(hours(1), custom), LagLevel::kWarning);
}

TEST(StreamReport, LagFromWatermarkAndCriticalLagMakesAnActiveStreamAnError) {
  WallTime now = *parseUtc("2026-12-06T12:00:00Z");
  StreamStatus s;
  s.stream = StreamKey{"contoso", "Audit.Exchange"};
  s.state = StreamState::kActive;
  s.events_forwarded = 10;
  s.bytes_forwarded = 77;
  StreamReport none = streamReport(s, "guid", now, {});
  EXPECT_FALSE(none.lag_seconds);
  EXPECT_EQ(none.state, "active");
  EXPECT_EQ(none.tenant_id, "guid");
  EXPECT_EQ(none.bytes_forwarded_run, 77u);

  s.watermark = now - hours(30);
  StreamReport warn = streamReport(s, "guid", now, {});
  EXPECT_EQ(warn.lag_seconds, 30 * 3600);
  EXPECT_EQ(warn.lag_level, LagLevel::kWarning);
  EXPECT_EQ(warn.state, "active");

  s.watermark = now - hours(80);
  StreamReport critical = streamReport(s, "guid", now, {});
  EXPECT_EQ(critical.lag_level, LagLevel::kCritical);
  EXPECT_EQ(critical.state, "error");

  s.state = StreamState::kDisabled;  // stays disabled: that is the more precise diagnosis
  EXPECT_EQ(streamReport(s, "guid", now, {}).state, "disabled");

  s.watermark = now + hours(1);  // clock moved back: no negative lag
  EXPECT_EQ(streamReport(s, "guid", now, {}).lag_seconds, 0);
}

TEST(IsReady, NeedsASuccessfulPollSinceStartOfEveryStreamAndEverySinkUp) {
  WallTime start = *parseUtc("2026-12-06T11:00:00Z");
  StatusReport r;
  r.started_at = start;
  StreamReport s;
  s.last_success = start - hours(1);  // from the previous run (seeded from the state database)
  r.streams = {s};
  SinkReport k;
  k.state = "up";
  r.sinks = {k};
  EXPECT_FALSE(isReady(r));
  r.streams[0].last_success = start + std::chrono::seconds(5);
  EXPECT_TRUE(isReady(r));
  r.sinks[0].state = "down";
  EXPECT_FALSE(isReady(r));
  r.sinks[0].state = "up";
  r.shutting_down = true;
  EXPECT_FALSE(isReady(r));
  r.shutting_down = false;
  r.started_at.reset();
  EXPECT_FALSE(isReady(r));
}

TEST(StatusSnapshotter, CopiesBoardSinksAndApiCounters) {
  FakeClock clock;
  StatusBoard board(clock);
  StreamKey key{"contoso", "DLP.All"};
  board.addStream(key);
  board.markStarted();
  board.recordError(
      key,
      Error::permanent(ErrorKind::kPermission,
                       "Authorization: Bearer eyJhbGciOi.secret.part denied", "AF10001"),
      StreamState::kError);
  testing::MemorySink sink("siem", SinkType::kSyslog);
  ASSERT_TRUE(sink.start().ok());
  ApiStats api;
  api.recordThrottled();
  StatusSources sources;
  sources.board = &board;
  sources.sinks = {&sink};
  sources.tenant_ids = {{"contoso", "6f1c9a52-3d7e-4b8a-9c21-5e0f7a3b9d14"}};
  sources.api = {{"contoso", &api}};
  StatusSnapshotter snapshotter(sources, clock);
  StatusReport r = snapshotter.snapshot();
  ASSERT_EQ(r.streams.size(), 1u);
  EXPECT_EQ(r.streams[0].state, "error");
  EXPECT_EQ(r.streams[0].tenant_id, "6f1c9a52-3d7e-4b8a-9c21-5e0f7a3b9d14");
  ASSERT_TRUE(r.streams[0].last_error);
  EXPECT_EQ(r.streams[0].last_error->code, "AF10001");
  EXPECT_EQ(r.streams[0].last_error->message.find("eyJhbGciOi"), std::string::npos);
  ASSERT_EQ(r.sinks.size(), 1u);
  EXPECT_EQ(r.sinks[0].type, "syslog");
  EXPECT_EQ(r.sinks[0].state, "up");
  ASSERT_EQ(r.api.size(), 1u);
  EXPECT_EQ(r.api[0].api.throttled, 1u);
  EXPECT_TRUE(r.started_at);
  EXPECT_FALSE(r.ready);  // the stream never succeeded
  EXPECT_FALSE(r.shutting_down);
  snapshotter.markShuttingDown();
  EXPECT_TRUE(snapshotter.snapshot().shutting_down);
}

// A probe's report holds only what readiness needs, and says the same as the full one.
TEST(StatusSnapshotter, ProbeSnapshotHoldsOnlyTheStreamsThatAreNotReady) {
  FakeClock clock;
  StatusBoard board(clock);
  StreamKey ready{"contoso", "DLP.All"};
  StreamKey waiting{"fabrikam", "Audit.Exchange"};
  board.addStream(ready);
  board.addStream(waiting);
  board.markStarted();
  clock.advance(std::chrono::seconds(1));
  board.update(ready, [&](StreamStatus& s) { s.last_success = clock.wallNow(); });
  testing::MemorySink sink("siem", SinkType::kFile);
  ASSERT_TRUE(sink.start().ok());
  StatusSources sources;
  sources.board = &board;
  sources.sinks = {&sink};
  StatusSnapshotter snapshotter(sources, clock);
  StatusReport probe = snapshotter.probeSnapshot();
  ASSERT_EQ(probe.streams.size(), 1u);
  EXPECT_EQ(probe.streams[0].tenant, "fabrikam");
  EXPECT_FALSE(probe.ready);
  EXPECT_EQ(notReadyReasons(probe), notReadyReasons(snapshotter.snapshot()));
  board.update(waiting, [&](StreamStatus& s) { s.last_success = clock.wallNow(); });
  probe = snapshotter.probeSnapshot();
  EXPECT_TRUE(probe.streams.empty());
  EXPECT_TRUE(probe.ready);
  EXPECT_TRUE(snapshotter.snapshot().ready);
  snapshotter.markShuttingDown();
  EXPECT_FALSE(snapshotter.probeSnapshot().ready);
}

}  // namespace
}  // namespace o365fwd
