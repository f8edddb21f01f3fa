// StatusHistory: bounded, records what was forwarded between samples, and the rate "now".
#include "app/status/status_history.h"

#include <gtest/gtest.h>

#include "core/time_format.h"

namespace o365fwd {
namespace {

using namespace std::chrono_literals;

WallTime t0() {
  return *parseUtc("2026-12-07T06:00:00Z");
}

TEST(StatusHistory, RecordsDeltasBetweenSamples) {
  StatusHistory h;
  h.record(t0(), 1000, 30, 0);
  h.record(t0() + 60s, 1600, 45, 2);
  auto points = h.points();
  ASSERT_EQ(points.size(), 2u);
  EXPECT_EQ(points[0].records, 0u);
  EXPECT_EQ(points[0].seconds, 0u);
  EXPECT_EQ(points[1].records, 600u);
  EXPECT_EQ(points[1].seconds, 60u);
  EXPECT_EQ(points[1].oldest_lag_seconds, 45);
  EXPECT_EQ(points[1].problem_streams, 2u);
}

TEST(StatusHistory, KeepsAtMostItsCapacityDroppingTheOldest) {
  StatusHistory h(3);
  for (int i = 0; i < 5; ++i) h.record(t0() + std::chrono::minutes(i), 10u * i, std::nullopt, 0);
  auto points = h.points();
  ASSERT_EQ(points.size(), 3u);
  EXPECT_EQ(points.front().at, t0() + 2min);
  EXPECT_EQ(points.back().at, t0() + 4min);
  EXPECT_EQ(points.back().records, 10u);
}

TEST(StatusHistory, PerMinuteFromTheLastSampleOrTheLastInterval) {
  StatusHistory h;
  EXPECT_FALSE(h.perMinute(t0(), 0).has_value());
  h.record(t0(), 0, std::nullopt, 0);
  // 30 s after the only sample, 500 more records: 1,000 a minute.
  EXPECT_EQ(h.perMinute(t0() + 30s, 500), 1000u);
  h.record(t0() + 60s, 1200, std::nullopt, 0);
  // 5 s after a sample: too short, the last interval's rate (1,200 in 60 s).
  EXPECT_EQ(h.perMinute(t0() + 65s, 1210), 1200u);
  // A restarted counter never yields a negative rate.
  EXPECT_EQ(h.perMinute(t0() + 90s, 10), 0u);
}

TEST(StatusHistory, SamplesAWholeReport) {
  StatusHistory h;
  StatusReport r;
  r.generated_at = t0();
  StreamReport s;
  s.tenant = "a";
  s.content_type = "Audit.Exchange";
  s.state = "error";
  s.lag_seconds = 120;
  s.events_forwarded_run = 42;
  r.streams.push_back(s);
  h.record(r);
  auto points = h.points();
  ASSERT_EQ(points.size(), 1u);
  EXPECT_EQ(points[0].oldest_lag_seconds, 120);
  EXPECT_EQ(points[0].problem_streams, 1u);
  EXPECT_EQ(recordsForwardedThisRun(r), 42u);
}

}  // namespace
}  // namespace o365fwd
