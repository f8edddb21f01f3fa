#include "connector/listing_windows.h"

#include <gtest/gtest.h>

#include "core/time_format.h"

namespace o365fwd {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

WallTime at(std::string_view text) {
  auto t = parseUtc(text);
  EXPECT_TRUE(t) << text;
  return t.value_or(WallTime{});
}

std::string str(const ListingWindow& w) {
  return "[" + formatApiTime(w.start) + ", " + formatApiTime(w.end) + ")";
}

// Consecutive, whole seconds, each 0 < length <= 24 h.
void expectWellFormed(const WindowPlan& plan) {
  for (std::size_t i = 0; i < plan.windows.size(); ++i) {
    const auto& w = plan.windows[i];
    EXPECT_LT(w.start, w.end) << str(w);
    EXPECT_LE(w.end - w.start, hours(24)) << str(w);
    EXPECT_EQ(w.start, floorToSecond(w.start)) << str(w);
    EXPECT_EQ(w.end, floorToSecond(w.end)) << str(w);
    if (i > 0) {
      EXPECT_EQ(plan.windows[i - 1].end, w.start) << "window " << i;
    }
  }
}

WindowPlanInput input(WallTime server_now) {
  WindowPlanInput in;
  in.server_now = server_now;
  return in;
}

TEST(ListingWindows, FirstStartListsInitialLookbackUpToNowRoundedDown) {
  auto in = input(at("2025-01-14T12:00:00.750Z"));
  in.initial_lookback = hours(6);
  auto plan = planWindows(in);
  ASSERT_EQ(plan.windows.size(), 1u);
  EXPECT_EQ(plan.windows[0], (ListingWindow{at("2025-01-14T06:00:00"), at("2025-01-14T12:00:00")}));
  EXPECT_FALSE(plan.unrecoverable_gap);
  EXPECT_FALSE(plan.overlap_cut);
  EXPECT_FALSE(plan.watermark_in_future);
}

TEST(ListingWindows, SplitsIntoFullDaysFirstThenTheRest) {
  auto in = input(at("2025-01-14T12:00:00"));
  in.watermark = at("2025-01-12T12:00:00");  // 48 h ago
  in.overlap = hours(4);                     // lo = 52 h ago
  auto plan = planWindows(in);
  expectWellFormed(plan);
  ASSERT_EQ(plan.windows.size(), 3u);
  EXPECT_EQ(plan.windows[0], (ListingWindow{at("2025-01-12T08:00:00"), at("2025-01-13T08:00:00")}));
  EXPECT_EQ(plan.windows[1], (ListingWindow{at("2025-01-13T08:00:00"), at("2025-01-14T08:00:00")}));
  EXPECT_EQ(plan.windows[2], (ListingWindow{at("2025-01-14T08:00:00"), at("2025-01-14T12:00:00")}));
}

TEST(ListingWindows, ExactlyTwentyFourHoursIsOneWindow) {
  auto in = input(at("2025-01-14T00:00:00"));
  in.initial_lookback = hours(24);
  auto plan = planWindows(in);
  ASSERT_EQ(plan.windows.size(), 1u);
  EXPECT_EQ(plan.windows[0].end - plan.windows[0].start, hours(24));

  in.initial_lookback = hours(24) + seconds(1);
  plan = planWindows(in);
  expectWellFormed(plan);
  ASSERT_EQ(plan.windows.size(), 2u);
  EXPECT_EQ(plan.windows[0], (ListingWindow{at("2025-01-12T23:59:59"), at("2025-01-13T23:59:59")}));
  EXPECT_EQ(plan.windows[1], (ListingWindow{at("2025-01-13T23:59:59"), at("2025-01-14T00:00:00")}));
}

TEST(ListingWindows, FractionalInstantsRoundDownSoNothingIsSkipped) {
  auto in = input(at("2025-01-14T12:00:00.999Z"));
  in.watermark = at("2025-01-14T10:00:00.900Z");
  in.overlap = milliseconds(0);
  auto plan = planWindows(in);
  ASSERT_EQ(plan.windows.size(), 1u);
  EXPECT_EQ(plan.windows[0], (ListingWindow{at("2025-01-14T10:00:00"), at("2025-01-14T12:00:00")}));
}

TEST(ListingWindows, ClampsToSevenDaysWithMarginAndReportsTheGap) {
  const WallTime now = at("2025-01-14T12:00:00");
  auto in = input(now);
  in.watermark = at("2025-01-06T12:00:00");  // 8 days ago: an outage longer than retention
  in.overlap = hours(12);
  auto plan = planWindows(in);
  expectWellFormed(plan);
  const WallTime oldest = at("2025-01-07T12:10:00");  // now - 7 d + 10 min
  ASSERT_FALSE(plan.windows.empty());
  EXPECT_EQ(plan.windows.front().start, oldest);
  EXPECT_EQ(plan.windows.back().end, now);
  EXPECT_EQ(plan.windows.size(), 7u);  // 167 h 50 min = 6 x 24 h + 23 h 50 min
  EXPECT_EQ(plan.windows.back().end - plan.windows.back().start, hours(23) + minutes(50));
  ASSERT_TRUE(plan.unrecoverable_gap);
  EXPECT_EQ(*plan.unrecoverable_gap, (ListingWindow{at("2025-01-06T12:00:00"), oldest}));
  ASSERT_TRUE(plan.overlap_cut);
  EXPECT_EQ(*plan.overlap_cut,
            (ListingWindow{at("2025-01-06T00:00:00"), at("2025-01-06T12:00:00")}));
}

TEST(ListingWindows, ClampThatCutsOnlyTheOverlapIsNoGap) {
  auto in = input(at("2025-01-14T12:00:00"));
  in.watermark = at("2025-01-07T13:00:00");  // 7 d - 1 h ago
  in.overlap = hours(12);
  auto plan = planWindows(in);
  expectWellFormed(plan);
  EXPECT_FALSE(plan.unrecoverable_gap);
  ASSERT_TRUE(plan.overlap_cut);
  EXPECT_EQ(*plan.overlap_cut,
            (ListingWindow{at("2025-01-07T01:00:00"), at("2025-01-07T12:10:00")}));
  EXPECT_EQ(plan.windows.front().start, at("2025-01-07T12:10:00"));
}

TEST(ListingWindows, FirstStartLookbackBeyondRetentionIsClampedWithoutGap) {
  auto in = input(at("2025-01-14T12:00:00"));
  in.initial_lookback = hours(24 * 7);
  auto plan = planWindows(in);
  EXPECT_EQ(plan.windows.front().start, at("2025-01-07T12:10:00"));
  EXPECT_FALSE(plan.unrecoverable_gap);
  EXPECT_FALSE(plan.overlap_cut);
}

TEST(ListingWindows, ClampRoundsTheOldestStartUpToStayInsideRetention) {
  auto in = input(at("2025-01-14T12:00:00.400Z"));
  in.initial_lookback = hours(24 * 7);
  auto plan = planWindows(in);
  // now - 7 d + 10 min = 2025-01-07T12:10:00.400: the start may not be earlier.
  EXPECT_EQ(plan.windows.front().start, at("2025-01-07T12:10:01"));
  EXPECT_EQ(plan.windows.back().end, at("2025-01-14T12:00:00"));
}

TEST(ListingWindows, ServerClockAheadOrBehindShiftsWindowsAndClamp) {
  const WallTime local_now = at("2025-01-14T12:00:00");
  const WallTime watermark = at("2025-01-07T12:12:00");  // local_now - 7 d + 12 min
  for (int skew_minutes : {-5, 0, 5}) {
    SCOPED_TRACE(skew_minutes);
    auto in = input(local_now + minutes(skew_minutes));
    in.watermark = watermark;
    in.overlap = milliseconds(0);
    auto plan = planWindows(in);
    expectWellFormed(plan);
    EXPECT_EQ(plan.windows.back().end, local_now + minutes(skew_minutes));
    if (skew_minutes > 2) {
      // Server 5 min ahead: its 7-day limit is 5 min later, so the watermark is beyond it.
      EXPECT_EQ(plan.windows.front().start, at("2025-01-07T12:15:00"));
      ASSERT_TRUE(plan.unrecoverable_gap);
      EXPECT_EQ(*plan.unrecoverable_gap, (ListingWindow{watermark, at("2025-01-07T12:15:00")}));
    } else {
      EXPECT_EQ(plan.windows.front().start, watermark);
      EXPECT_FALSE(plan.unrecoverable_gap);
    }
  }
}

TEST(ListingWindows, WatermarkInTheFutureIsTreatedAsNow) {
  auto in = input(at("2025-01-14T12:00:00"));
  in.watermark = at("2025-01-14T15:00:00");  // the clock moved back 3 h
  in.overlap = hours(2);
  auto plan = planWindows(in);
  EXPECT_TRUE(plan.watermark_in_future);
  ASSERT_EQ(plan.windows.size(), 1u);
  EXPECT_EQ(plan.windows[0], (ListingWindow{at("2025-01-14T10:00:00"), at("2025-01-14T12:00:00")}));
}

TEST(ListingWindows, OverlapLargerThanLookbackFollowsTheWatermark) {
  auto in = input(at("2025-01-14T12:00:00"));
  in.initial_lookback = hours(1);
  in.watermark = at("2025-01-14T11:00:00");
  in.overlap = hours(30);
  auto plan = planWindows(in);
  expectWellFormed(plan);
  ASSERT_EQ(plan.windows.size(), 2u);
  EXPECT_EQ(plan.windows[0].start, at("2025-01-13T05:00:00"));
  EXPECT_EQ(plan.windows[0].end, at("2025-01-14T05:00:00"));
  EXPECT_EQ(plan.windows[1].end, at("2025-01-14T12:00:00"));
}

TEST(ListingWindows, EmptyRangeGivesNoWindows) {
  auto in = input(at("2025-01-14T12:00:00.700Z"));
  in.watermark = at("2025-01-14T12:00:00.100Z");
  in.overlap = milliseconds(0);
  EXPECT_TRUE(planWindows(in).windows.empty());

  in.watermark = in.server_now;
  EXPECT_TRUE(planWindows(in).windows.empty());
}

TEST(ListingWindows, MaxWindowIsCappedAtTwentyFourHours) {
  auto in = input(at("2025-01-14T12:00:00"));
  in.initial_lookback = hours(72);
  in.max_window = hours(48);
  auto plan = planWindows(in);
  expectWellFormed(plan);
  EXPECT_EQ(plan.windows.size(), 3u);

  in.max_window = hours(8);
  EXPECT_EQ(planWindows(in).windows.size(), 9u);
}

}  // namespace
}  // namespace o365fwd
